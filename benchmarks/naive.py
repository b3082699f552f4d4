"""One stage of the naive stack, timed in its own process (``benchmarks/run.py`` calls it).

    python benchmarks/naive.py parse  FOLDER
    python benchmarks/naive.py shacl  FOLDER
    python benchmarks/naive.py owlrl  FOLDER
    python benchmarks/naive.py sparql FOLDER QUERIES.json

FOLDER holds ``asserted.ttl`` (the build's asserted graph, all named graphs merged),
``graph.nq`` and ``inferred.nq`` (the build's outputs) and ``shapes.ttl``. This is what a user
would assemble from the libraries the project card names: rdflib's in-memory store, pyshacl
without inference, owlrl's OWL RL closure, rdflib's SPARQL engine. Each stage first parses what
it needs (timed apart, as ``load_seconds``) and prints one JSON object: the stage's seconds and
what it found. The parent kills the process when the stage passes its time limit.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import rdflib


def _parse_turtle(folder: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(folder / "asserted.ttl", format="turtle")
    return graph


def stage_parse(folder: Path) -> dict:
    started = time.perf_counter()
    graph = _parse_turtle(folder)
    return {"seconds": time.perf_counter() - started, "triples": len(graph)}


def stage_shacl(folder: Path) -> dict:
    import pyshacl

    started = time.perf_counter()
    data = _parse_turtle(folder)
    shapes = rdflib.Graph().parse(folder / "shapes.ttl", format="turtle")
    loaded = time.perf_counter()
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    results = len(set(report.subjects(rdflib.RDF.type, sh.ValidationResult)))
    return {
        "seconds": time.perf_counter() - loaded,
        "load_seconds": loaded - started,
        "conforms": bool(conforms),
        "results": results,
    }


def stage_owlrl(folder: Path) -> dict:
    import owlrl

    started = time.perf_counter()
    graph = _parse_turtle(folder)
    loaded = time.perf_counter()
    before = len(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return {
        "seconds": time.perf_counter() - loaded,
        "load_seconds": loaded - started,
        "inferred": len(graph) - before,
    }


def stage_sparql(folder: Path, queries_file: Path) -> dict:
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset = rdflib.Dataset(default_union=True)
        for name in ("graph.nq", "inferred.nq"):
            dataset.parse(folder / name, format="nquads")
    loaded = time.perf_counter()
    rows = {}
    each = {}
    for name, text in json.loads(queries_file.read_text(encoding="utf-8")).items():
        t = time.perf_counter()
        rows[name] = len(list(dataset.query(text)))
        each[name] = round(time.perf_counter() - t, 4)
        # the parent reads partial progress if the stage is stopped at its limit
        print(json.dumps({"query": name, "seconds": each[name], "rows": rows[name]}), flush=True)
    return {
        "seconds": time.perf_counter() - loaded,
        "load_seconds": loaded - started,
        "rows": rows,
        "query_seconds": each,
    }


STAGES = {"parse": stage_parse, "shacl": stage_shacl, "owlrl": stage_owlrl, "sparql": stage_sparql}


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in STAGES:
        print(__doc__, file=sys.stderr)
        return 2
    stage = STAGES[argv[0]]
    result = stage(*(Path(a) for a in argv[1:]))
    print(json.dumps({"stage": argv[0], **result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
