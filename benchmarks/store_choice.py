"""Measure the candidate stores on the real curated build; print a table of medians.

Compares, on the same build output:
- loading ``dist/graph.nq`` + ``dist/inferred.nq``: rdflib Dataset (Memory) vs pyoxigraph Store;
- answering the Tier-2 competency question: rdflib's SPARQL engine vs pyoxigraph;
- pyshacl validation of the asserted data: on an rdflib Memory graph vs an Oxigraph-backed
  rdflib graph (``oxrdflib``, installed only for this measurement when present).

Usage: ``python benchmarks/store_choice.py [--repeat N]`` after ``kg build``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph
import rdflib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.build import INFERRED_GRAPH  # noqa: E402
from kg.queries import find_queries  # noqa: E402


def _time(fn, repeat: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    dist = (ROOT / "dist").resolve()
    files = [dist / "graph.nq", dist / "inferred.nq"]
    query = find_queries(ROOT / "queries/cq")["tier2-countries-without-chip-access"]
    from kg.store import EntityResolver

    rows = []

    def load_rdflib():
        ds = rdflib.Dataset()
        for f in files:
            ds.parse(f, format="nquads")
        return ds

    def load_ox():
        store = pyoxigraph.Store()
        for f in files:
            store.load(path=str(f), format=pyoxigraph.RdfFormat.N_QUADS)
        return store

    t, ds = _time(load_rdflib, args.repeat)
    rows.append(("load build (N-Quads)", "rdflib Dataset (Memory)", t))
    t, store = _time(load_ox, args.repeat)
    rows.append(("load build (N-Quads)", "pyoxigraph Store", t))

    chip = EntityResolver(store).resolve("H100", query.params["chip"])
    text = query.bind({"chip": chip})
    union = rdflib.Graph()
    for q in ds.quads():
        union.add(q[:3])
    t, r1 = _time(lambda: list(union.query(text)), args.repeat)
    rows.append(("Tier-2/H100 question", "rdflib SPARQL", t))
    t, r2 = _time(lambda: list(store.query(text, use_default_graph_as_union=True)), args.repeat)
    rows.append(("Tier-2/H100 question", "pyoxigraph SPARQL", t))
    assert len(r1) == len(r2), (len(r1), len(r2))

    import pyshacl

    shapes = rdflib.Graph()
    for p in sorted((ROOT / "shapes").glob("*.ttl")):
        shapes.parse(p, format="turtle")
    asserted = rdflib.Graph()
    for s, p, o, g in ds.quads():
        if str(g) != INFERRED_GRAPH.value:
            asserted.add((s, p, o))
    t, _ = _time(lambda: pyshacl.validate(asserted, shacl_graph=shapes, inference="none"), args.repeat)
    rows.append(("pyshacl validation", "rdflib Memory graph", t))
    try:
        import oxrdflib  # noqa: F401

        ox_graph = rdflib.Graph(store="Oxigraph")
        for triple in asserted:
            ox_graph.add(triple)
        t, _ = _time(lambda: pyshacl.validate(ox_graph, shacl_graph=shapes, inference="none"), args.repeat)
        rows.append(("pyshacl validation", "Oxigraph-backed rdflib graph (oxrdflib)", t))
    except ImportError:
        rows.append(("pyshacl validation", "Oxigraph-backed rdflib graph (oxrdflib)", float("nan")))

    print(f"build: {sum(1 for _ in store)} quads; {len(r2)} answer rows; median of {args.repeat} runs")
    print(f"{'task':<24} {'engine':<42} {'seconds':>9}")
    for task, engine, seconds in rows:
        print(f"{task:<24} {engine:<42} {seconds:9.4f}")


if __name__ == "__main__":
    main()
