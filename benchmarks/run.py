"""Generate, build and query synthetic data at several sizes; optionally time the naive stack too.

    python benchmarks/run.py --claims 1000 10000 [--naive] [--limit 300] [--repeats 5]

For each size the runner

1. writes two data folders with ``benchmarks/generate.py`` on top of the project's own data:
   a clean one, and one with ``--violations K`` injected problems;
2. builds the clean one with ``kg build`` in a child process, reading per-stage times from
   its ``--progress json`` events, the wall time and the child's peak RSS (``wait4``);
3. validates the broken one with ``kg validate`` and fails loudly if any injected violation's
   focus node is missing from the errors;
4. runs one question (the first query of a large build makes its on-disk index), changes the
   facts of one document, builds again (the rebuild figure) and runs that question again (the
   rebuild carries the index over when it can);
5. runs every competency question ``--repeats`` times with ``kg query`` (a new interpreter each
   time, as a user runs it): median and p95 wall time, peak RSS; first with its defaults, then
   (rows "..., with its examples") with the example values of its header, as an analyst asks
   about one entity or one date range;
6. with ``--naive``, times rdflib parse, pyshacl, owlrl and rdflib SPARQL on the same build,
   each in a child process stopped at ``--limit`` seconds, and prints the ratio.

It also builds and queries the project's own curated data, and prints the exponent of a
power law fitted to build time over the sizes run. Results go to stdout as a table and to
``--jsonl`` (default ``WORKDIR/results.jsonl``) as one JSON object per measurement.
Figures are printed, never asserted: a slow machine is not a failure; a missed violation is.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(PROJECT))

import generate  # noqa: E402  (benchmarks/ is not a package)

STAGES = ["parse", "provenance", "derive", "shacl", "reason", "qc", "write"]
NAIVE_STAGES = ["parse", "shacl", "owlrl", "sparql"]


class Child:
    """A finished child process: exit code, output, wall seconds, peak RSS in MiB."""

    def __init__(self, argv: list[str], timeout: float | None = None, cwd: Path = PROJECT):
        started = time.perf_counter()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err)
            self.timed_out = False
            deadline = None if timeout is None else started + timeout
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if deadline is not None and time.perf_counter() > deadline:
                    proc.kill()
                    pid, status, usage = os.wait4(proc.pid, 0)
                    self.timed_out = True
                    break
                time.sleep(0.005)
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.seconds = time.perf_counter() - started
            self.code = proc.returncode
            self.peak_mib = usage.ru_maxrss / 1024  # kilobytes on Linux
            out.seek(0)
            err.seek(0)
            self.stdout = out.read().decode("utf-8", "replace")
            self.stderr = err.read().decode("utf-8", "replace")


def kg(*args: str, timeout: float | None = None) -> Child:
    return Child([sys.executable, "-m", "kg", *args], timeout=timeout)


# --- the aigeo pipeline ---------------------------------------------------------------------------


def build(data: Path, out: Path) -> dict:
    """Build ``data`` into ``out``; return wall time, peak RSS and seconds per stage."""
    child = kg("build", "--data", str(data), "--out", str(out), "--progress", "json", "-q")
    if child.code != 0:
        raise SystemExit(f"benchmark: the build of {data} failed:\n{child.stderr}")
    stages = {}
    for line in child.stderr.splitlines():
        event = json.loads(line)
        if event["event"] == "end":
            stages[event["stage"]] = event["seconds"]
    report = json.loads((out / "build-report.json").read_text(encoding="utf-8"))
    return {
        "wall": child.seconds,
        "peak_mib": child.peak_mib,
        "stages": stages,
        "claims": report["counts"]["claims"],
        "triples": report["counts"]["triples_asserted"] + report["counts"]["triples_inferred"],
        "engine": report.get("engine"),
        "sheets": report["inputs"]["fact_sheets"],
        "sheets_reused": report["inputs"].get("fact_sheets_reused", 0),
        "index_carried": report["outputs"].get("index_carried", False),
        "on_disk": report.get("rebuilt_on_disk", False),
        "fallbacks": report.get("fallbacks", []),
    }


def check_violations(folder: Path) -> dict:
    """Validate a folder with injected violations; every one must be reported."""
    manifest = json.loads((folder / "violations.json").read_text(encoding="utf-8"))
    child = kg("validate", "--data", str(folder / "data"))
    missed = [v for v in manifest if v["focus"] not in child.stderr]
    if child.code != 1 or missed:
        raise SystemExit(
            f"benchmark: FAILED: {len(missed)} of {len(manifest)} injected violations not reported "
            f"(exit {child.code}):\n"
            + "\n".join(f"  {v['kind']} {v['focus']} ({v['file']}:{v['line']})" for v in missed)
        )
    return {"injected": len(manifest), "reported": len(manifest), "seconds": child.seconds}


def change_one_document(data: Path) -> None:
    """Change one figure in the first synthetic document's facts (its text is untouched)."""
    sheet = data / "facts" / "syn-doc-000001.yaml"
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(text.replace("confidence: medium", "confidence: high", 1), encoding="utf-8")


#: the label of a question's run with its header's example parameters
EXAMPLES = "with its examples"


def _params(query) -> dict:
    """Each parameter's default, else its example for a required one: name -> (param, text)."""
    out = {}
    for key, param in query.params.items():
        value = param.default if param.default is not None else (None if param.optional else param.example)
        if value is not None:
            out[key] = (param, value)
    return out


def _example_params(query) -> dict:
    """Each parameter's example from the question's header, else its default: how an analyst
    asks about one entity, one date range. Empty when that is the run of :func:`_params`."""
    out = {}
    for key, param in query.params.items():
        value = param.example if param.example is not None else param.default
        if value is not None:
            out[key] = (param, value)
    return {} if out == _params(query) else out


def question_params(name: str, query, params: dict | None = None) -> list[str]:
    """``-p`` arguments for ``params`` (by default :func:`_params`)."""
    chosen = _params(query) if params is None else params
    return [arg for key, (_, value) in chosen.items() for arg in ("-p", f"{key}={value}")]


def first_query(out: Path) -> dict:
    """One question, once: after a build, the first query of a large build indexes it on disk
    (kg/store.py), so it is timed apart from the others."""
    first = kg("query", "citations", "--out", str(out), "--format", "csv")
    if first.code != 0:
        raise SystemExit(f"benchmark: kg query citations failed: {first.stderr.strip()}")
    return {
        "median": first.seconds,
        "p95": first.seconds,
        "peak_mib": first.peak_mib,
        "rows": first.stdout.count("\n") - 1,
    }


def questions(out: Path, repeats: int, first: dict | None = None) -> dict:
    """Every competency question ``repeats`` times through ``kg query``, after ``first`` (the
    :func:`first_query` after the build; run here when not given)."""
    from kg.queries import find_queries

    results = {"(first query after the build)": first or first_query(out)}
    found = find_queries(PROJECT / "queries" / "cq")
    asked = [(name, name, None) for name in found]
    # then each question as its header's example asks it (one entity, one date range)
    asked += [(f"{name}, {EXAMPLES}", name, _example_params(q)) for name, q in found.items()]
    for label, name, params in asked:
        if params == {}:
            continue  # the example run would be the default run again
        params_argv = question_params(name, found[name], params)
        argv = ["query", name, *params_argv, "--out", str(out), "--format", "csv"]
        runs = [kg(*argv) for _ in range(repeats)]
        bad = [r for r in runs if r.code != 0]
        if bad:
            raise SystemExit(f"benchmark: kg query {name} failed: {bad[0].stderr.strip()}")
        walls = sorted(r.seconds for r in runs)
        results[label] = {
            "median": statistics.median(walls),
            "p95": _percentile(walls, 95),
            "peak_mib": max(r.peak_mib for r in runs),
            "rows": runs[0].stdout.count("\n") - 1,
        }
    return results


def _percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile (with few repeats, p95 is the slowest run)."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


# --- the naive stack --------------------------------------------------------------------------------


def naive(build_dir: Path, work: Path, limit: float) -> dict:
    """Time each naive stage in a child process; a stage past ``limit`` is reported as such."""
    import pyoxigraph
    from pyoxigraph import RdfFormat

    from kg.queries import convert_value, find_queries
    from kg.store import EntityResolver, embedded_runner, open_build

    work.mkdir(parents=True, exist_ok=True)
    for name in ("graph.nq", "inferred.nq"):
        shutil.copy(build_dir / name, work / name)
    quads = pyoxigraph.parse(path=str(build_dir / "graph.nq"), format=RdfFormat.N_QUADS)
    triples = (pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads)
    (work / "asserted.ttl").write_bytes(pyoxigraph.serialize(triples, format=RdfFormat.TURTLE))
    with (work / "shapes.ttl").open("wb") as f:
        for path in sorted((PROJECT / "shapes").glob("*.ttl")):
            f.write(path.read_bytes() + b"\n")
    run = embedded_runner(open_build(build_dir))
    resolver = EntityResolver(run)
    bound = {}
    for name, query in find_queries(PROJECT / "queries" / "cq").items():
        params = _params(query).items()
        values = {key: convert_value(param, text, resolver.resolve) for key, (param, text) in params}
        bound[name] = query.bind(values)
    (work / "queries.json").write_text(json.dumps(bound), encoding="utf-8")

    results = {}
    for stage in NAIVE_STAGES:
        argv = [sys.executable, str(HERE / "naive.py"), stage, str(work)]
        if stage == "sparql":
            argv.append(str(work / "queries.json"))
        # the limit applies to the stage itself; loading its input is timed apart
        load_allowance = results.get("parse", {}).get("seconds") or limit
        child = Child(argv, timeout=limit + 2 * load_allowance + 10)
        lines = [json.loads(x) for x in child.stdout.splitlines() if x.startswith("{")]
        final = next((x for x in lines if x.get("stage") == stage), None)
        if child.timed_out or final is None or final["seconds"] > limit:
            done = [x for x in lines if "query" in x]
            results[stage] = {"seconds": None, "over_limit": True, "peak_mib": child.peak_mib}
            if done:
                results[stage]["queries_done"] = len(done)
            if child.code not in (0, -9) and not child.timed_out:
                results[stage]["error"] = child.stderr.strip().splitlines()[-1:]
        else:
            results[stage] = {**final, "over_limit": False, "peak_mib": child.peak_mib}
    return results


# --- report ----------------------------------------------------------------------------------------


def fitted_exponent(sizes: list[int], seconds: list[float]) -> float | None:
    """The slope of log(seconds) over log(claims), by least squares."""
    points = [(math.log(n), math.log(s)) for n, s in zip(sizes, seconds, strict=True) if s > 0]
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else None


def _fmt(seconds: float | None, limit: float | None = None) -> str:
    if seconds is None:
        return f"> {limit:.0f} s" if limit else "n/a"
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def print_size(label: str, b: dict, q: dict, rebuild: dict | None, nv: dict | None, limit: float) -> dict:
    """Print the table for one size; return the end-to-end figures."""
    print(f"\n## {label}: {b['claims']:,} claims, {b['triples']:,} triples (engine: {b['engine']})\n")
    # the rebuild after one document changed: only that document's sheet is read again
    again = rebuild or {"stages": {}, "wall": None, "peak_mib": None}
    print("| aigeo build stage | full build, s | after one document changed, s |")
    print("|---|---|---|")
    for stage in STAGES:
        print(f"| {stage} | {b['stages'].get(stage, 0):.2f} | {_fmt(again['stages'].get(stage))} |")
    print(f"| **wall** (with interpreter start) | **{b['wall']:.2f}** | **{_fmt(again['wall'])}** |")
    print(f"| peak RSS, MiB | {b['peak_mib']:,.0f} | {_mib(again['peak_mib'])} |")
    if rebuild:
        read = rebuild["sheets"] - rebuild["sheets_reused"]
        where = (
            "worked in a copy of the previous build's on-disk store; the others were there already"
            if rebuild.get("on_disk")
            else "loaded the others from the cache, in memory"
        )
        print(f"\nThe rebuild read {read} of {rebuild['sheets']} sheets and {where}.")
        for fallback in rebuild.get("fallbacks", []):
            print(f"Fallback: {fallback}")
        after = rebuild.get("first_query")
        if after:
            carried = "no index carried"
            if rebuild["index_carried"]:
                carried = "its index carried over from the previous build"
            print(f"The first query after the rebuild took {after['median']:.2f} s ({carried}).")
    print("\n| competency question (`kg query`, wall) | rows | median | p95 | peak RSS |")
    print("|---|---|---|---|---|")
    for name, r in q.items():
        print(f"| {name} | {r['rows']} | {r['median']:.2f} s | {r['p95']:.2f} s | {r['peak_mib']:.0f} MiB |")
    # end to end: the build, the first query (which indexes a large build), every question once
    ours = b["wall"] + sum(r["median"] for name, r in q.items() if not name.endswith(EXAMPLES))
    figures = {"aigeo_end_to_end": ours}
    if nv:
        print("\n| naive stack stage | seconds | peak RSS |")
        print("|---|---|---|")
        total, lower_bound = 0.0, False
        for stage in NAIVE_STAGES:
            r = nv[stage]
            total += r["seconds"] if r["seconds"] is not None else limit
            lower_bound |= r["over_limit"]
            print(f"| {stage} | {_fmt(r['seconds'], limit)} | {r['peak_mib']:,.0f} MiB |")
        sign = "≥ " if lower_bound else ""
        print(f"| **naive, end to end** | **{sign}{_fmt(total)}** | |")
        ratio = total / ours
        print(f"\naigeo end to end (build + every question once): {ours:.2f} s; ratio {sign}{ratio:.1f}×")
        figures.update(naive_end_to_end=total, naive_lower_bound=lower_bound, ratio=ratio)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, nargs="+", default=[1000], metavar="N")
    parser.add_argument("--naive", action="store_true", help="also time the naive stack")
    parser.add_argument("--limit", type=float, default=300, metavar="S", help="naive stage time limit")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each question")
    parser.add_argument("--violations", type=int, default=8, metavar="K")
    parser.add_argument("--workdir", type=Path, help="where data and builds go (default: a temporary folder)")
    parser.add_argument("--jsonl", type=Path, help="JSON lines output (default: WORKDIR/results.jsonl)")
    parser.add_argument("--no-curated", action="store_true", help="skip the project's own data")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="aigeo-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    jsonl = args.jsonl or work / "results.jsonl"
    records = []

    def record(**fields) -> None:
        records.append(fields)
        with jsonl.open("a", encoding="utf-8") as f:
            f.write(json.dumps(fields, ensure_ascii=False) + "\n")

    print(f"# aigeo benchmark ({os.cpu_count()} cores, Python {sys.version.split()[0]}); data in {work}")
    if not args.no_curated:
        out = work / "curated" / "dist"
        b = build(PROJECT / "data", out)
        q = questions(out, args.repeats)
        record(size="curated", build=b, questions=q)
        print_size("the project's curated data", b, q, None, None, args.limit)

    sizes, walls = [], []
    for n in args.claims:
        clean, broken = work / f"{n}" / "clean", work / f"{n}" / "violations"
        generate.generate(n, clean, with_curated=True)
        generate.generate(n, broken, violations=args.violations, with_curated=True)
        violations = check_violations(broken)
        b = build(clean / "data", clean / "dist")
        first = first_query(clean / "dist")  # as an analyst would: query, edit, rebuild, query
        change_one_document(clean / "data")
        rebuild = build(clean / "data", clean / "dist")
        rebuild["first_query"] = first_query(clean / "dist")
        q = questions(clean / "dist", args.repeats, first)
        nv = naive(clean / "dist", work / f"{n}" / "naive", args.limit) if args.naive else None
        figures = print_size(f"{n:,} synthetic claims", b, q, rebuild, nv, args.limit)
        print(f"\ninjected violations reported: {violations['reported']} of {violations['injected']}")
        record(size=n, build=b, rebuild=rebuild, questions=q, naive=nv, violations=violations, **figures)
        sizes.append(b["claims"])
        walls.append(b["wall"])
    exponent = fitted_exponent(sizes, walls)
    if exponent is not None:
        print(f"\nbuild wall time grows as claims^{exponent:.2f} over {len(sizes)} sizes")
        record(fitted_exponent=exponent, sizes=sizes, build_walls=walls)
    print(f"\nJSON lines: {jsonl}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
