"""The same answers from the embedded store and from a real Oxigraph server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from kg.cli import main
from kg.output import current_build
from kg.server import OxigraphServer

QUESTION = "tier2-countries-without-chip-access"


@pytest.fixture(scope="module")
def server(built):
    with OxigraphServer(current_build(built / "dist")) as srv:
        yield srv


def _bindings(capsys) -> list[tuple]:
    doc = json.loads(capsys.readouterr().out)
    names = doc["head"]["vars"]
    return sorted(tuple(b.get(n, {}).get("value") or "" for n in names) for b in doc["results"]["bindings"])


def _question_args():
    from pathlib import Path

    from kg.queries import find_queries

    for name, q in find_queries(Path(__file__).resolve().parent.parent / "queries" / "cq").items():
        params = []
        for p in q.params.values():
            if p.default is None and p.example and not p.optional:
                params += ["-p", f"{p.name}={p.example}"]
        yield pytest.param(name, params, id=name)
        examples = [["-p", f"{p.name}={p.example}"] for p in q.params.values() if p.optional and p.example]
        if examples:
            yield pytest.param(name, params + [a for e in examples for a in e], id=f"{name}-with-options")


@pytest.mark.parametrize("name, params", _question_args())
def test_every_question_agrees_embedded_and_over_http(in_built, server, capsys, name, params):
    assert main(["query", name, *params, "-f", "json"]) == 0, capsys.readouterr().err
    embedded = _bindings(capsys)
    assert main(["query", name, *params, "-f", "json", "--endpoint", server.url]) == 0, (
        capsys.readouterr().err
    )
    assert _bindings(capsys) == embedded


@pytest.mark.parametrize("chip", ["H100", "H800"])
def test_question_answers_agree(in_built, server, capsys, chip):
    assert main(["query", QUESTION, "-p", f"chip={chip}", "-f", "json"]) == 0
    embedded = _bindings(capsys)
    assert main(["query", QUESTION, "-p", f"chip={chip}", "-f", "json", "--endpoint", server.url]) == 0
    assert _bindings(capsys) == embedded
    assert embedded


def test_server_is_read_only(server):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        server.url.replace("/query", "/update"),
        data=b"update=INSERT+DATA+%7B%3Chttp%3A%2F%2Fa%3E+%3Chttp%3A%2F%2Fb%3E+%3Chttp%3A%2F%2Fc%3E%7D",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=5)
    assert 400 <= exc.value.code < 500
