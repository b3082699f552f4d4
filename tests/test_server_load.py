"""The Oxigraph server of ``kg serve`` under load: several clients on 127.0.0.1 send every
competency question and malformed queries at once; every valid request gets the embedded store's
answer, every invalid one a 4xx, and the server stays up.

The figures (requests, errors, latency percentiles) are printed (``pytest -s``) and written to
``load-report.json`` in the test's temporary folder; latency is never asserted.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from pyoxigraph import QueryResultsFormat, parse_query_results

from kg.output import current_build
from kg.queries import convert_value, find_queries
from kg.server import OxigraphServer
from kg.store import EntityResolver, embedded_runner, open_build

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 8
PER_CLIENT = 50
MALFORMED = [
    ("syntax-error", "POST", "SELECT * WHERE { ?s ?p "),
    ("unknown-prefix", "POST", "SELECT * WHERE { ?s nope:p ?o }"),
    ("empty-query", "POST", ""),
    ("update-on-query-endpoint", "POST", "INSERT DATA { <urn:a> <urn:b> <urn:c> }"),
    ("get-without-query", "GET", None),
    ("binary-garbage", "POST", "\x00\x01\x02 SELECT"),
]


def _questions(store) -> list[tuple[str, str]]:
    """(label, bound query text) for every question, with example parameters as the CLI would."""
    run = embedded_runner(store)
    resolver = EntityResolver(run)
    out = []
    for name, q in find_queries(ROOT / "queries" / "cq").items():
        for with_options in (False, True):
            values = {}
            for p in q.params.values():
                text = p.default
                if text is None and (not p.optional or with_options):
                    text = p.example
                if text is not None:
                    values[p.name] = convert_value(p, text, resolver.resolve)
            label = name + (" (with options)" if with_options else "")
            if with_options and not any(p.optional and p.example for p in q.params.values()):
                continue
            out.append((label, q.bind(values)))
    return out


def _bindings(solutions) -> list[tuple]:
    names = [v.value for v in solutions.variables]
    return sorted(tuple(str(row[n]) if row[n] is not None else "" for n in names) for row in solutions)


def _request(url: str, method: str, text: str | None) -> urllib.request.Request:
    headers = {"Accept": "application/sparql-results+json"}
    if method == "GET":
        return urllib.request.Request(url, headers=headers)
    headers["Content-Type"] = "application/sparql-query"
    return urllib.request.Request(url, data=(text or "").encode("utf-8"), headers=headers)


@pytest.fixture(scope="module")
def server(built):
    with OxigraphServer(current_build(built / "dist")) as srv:
        yield srv


def test_server_under_concurrent_load_answers_right_and_stays_up(server, built, tmp_path):
    store = open_build(built / "dist")
    run = embedded_runner(store)
    valid = [(label, text, _bindings(run(text))) for label, text in _questions(store)]
    plan = [("valid", *v) for v in valid] + [
        ("invalid", label, method, text) for label, method, text in MALFORMED
    ]

    latencies: list[float] = []
    failures: list[str] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()

    def client(number: int) -> None:
        for i in range(PER_CLIENT):
            kind, label, *rest = plan[(number * PER_CLIENT + i) % len(plan)]
            if kind == "valid":
                request = _request(server.url, "POST", rest[0])
            else:
                request = _request(server.url, rest[0], rest[1])
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    body, status = response.read(), response.status
            except urllib.error.HTTPError as exc:
                body, status = exc.read(), exc.code
            except OSError as exc:
                body, status = str(exc).encode(), 0
            elapsed = time.perf_counter() - started
            problem = None
            if kind == "valid":
                if status != 200:
                    problem = f"{label}: HTTP {status}"
                else:
                    got = _bindings(parse_query_results(body, format=QueryResultsFormat.JSON))
                    if got != rest[1]:
                        problem = f"{label}: {len(got)} rows over HTTP, {len(rest[1])} embedded"
            elif not 400 <= status < 500:
                problem = f"{label}: HTTP {status}, expected 4xx"
            with lock:
                latencies.append(elapsed)
                statuses[f"{kind} {status}"] += 1
                if problem:
                    failures.append(problem)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started

    assert server.process is not None and server.process.poll() is None, "the server died"
    health = urllib.request.urlopen(
        server.url + "?" + urllib.parse.urlencode({"query": "ASK {}"}), timeout=10
    )
    assert health.status == 200

    cuts = statistics.quantiles(latencies, n=100)
    report = {
        "clients": CLIENTS,
        "requests": len(latencies),
        "distinct_valid_queries": len(valid),
        "distinct_malformed_queries": len(MALFORMED),
        "responses": dict(sorted(statuses.items())),
        "unexpected": len(failures),
        "latency_ms": {
            "p50": round(cuts[49] * 1000, 1),
            "p95": round(cuts[94] * 1000, 1),
            "p99": round(cuts[98] * 1000, 1),
            "max": round(max(latencies) * 1000, 1),
        },
        "wall_seconds": round(wall, 2),
    }
    (tmp_path / "load-report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print("\nload:", json.dumps(report), file=sys.__stdout__)
    assert len(latencies) == CLIENTS * PER_CLIENT
    assert failures == []
