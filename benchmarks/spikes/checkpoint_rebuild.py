"""Measurement spike (issue 8): a rebuild's stages on a checkpoint of an on-disk store that
holds the previous build's asserted graphs alone.

Not a product path and not run by the tests: it calls private functions of ``kg`` and may
break when they change. It prints what each stage would cost, to decide whether the path is
worth building (docs/decisions/20261124-rebuild-from-the-previous-build.md).

    python benchmarks/spikes/checkpoint_rebuild.py --build DIST --work /tmp/spike

``DIST`` is a build folder (``dist``, after ``kg build``) with a query index (``dist/index``,
made by the first ``kg query``) of data from ``benchmarks/generate.py``; the change is one
claim's ``aigeo:confidence`` in the graph of ``syn-doc-000001``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from pyoxigraph import NamedNode, Quad, RdfFormat, Store, parse

from kg.assembly import Assembly
from kg.build import ONTOLOGY_GRAPH
from kg.checks.qc import run_quality_checks
from kg.checks.shacl_sparql import Scope, validate_shacl_sparql
from kg.derive import DERIVED_GRAPH, PreviousDerived, _add, _kept, _read
from kg.iris import AIGEO_NS, CLAIMS, graph_iri
from kg.previous import read_previous
from kg.rerun import bound, rerun_nodes
from kg.rules import owl_rl_rules_after
from kg.turtle import read_turtle

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = "syn-doc-000001"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, required=True, help="a build folder with an index")
    parser.add_argument("--work", type=Path, required=True, help="a scratch folder")
    args = parser.parse_args()
    previous = args.build.resolve()
    times: dict[str, float] = {}

    def timed(name: str, started: float) -> None:
        times[name] = round(time.perf_counter() - started, 3)
        print(f"{name}: {times[name]} s", flush=True)

    args.work.mkdir(parents=True, exist_ok=True)
    asserted, checkpoint, index = (args.work / name for name in ("asserted", "checkpoint", "index"))
    if not asserted.exists():
        started = time.perf_counter()
        store = Store(str(asserted))
        store.bulk_load(path=str(previous / "graph.nq"), format=RdfFormat.N_QUADS)
        store.optimize()
        del store
        timed("make the asserted-only store (once)", started)
    for folder in (checkpoint, index):
        shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    Store.read_only(str(asserted)).backup(str(checkpoint))
    store = Store(str(checkpoint))
    timed("checkpoint", started)

    graph = NamedNode(graph_iri(f"doc/{DOCUMENT}"))
    confidence = NamedNode(AIGEO_NS + "confidence")
    old = next(store.quads_for_pattern(None, confidence, None, graph))
    others = {q.object for q in store.quads_for_pattern(None, confidence, None)} - {old.object}
    new = Quad(old.subject, confidence, sorted(others, key=str)[0], graph)
    store.remove(old)
    store.add(new)
    added, removed = [new], [old]

    started = time.perf_counter()
    constructs = [_read(p, ROOT) for p in sorted((ROOT / "queries" / "construct").glob("*.rq"))]
    record = read_previous(previous, "graph.nq")
    lines = record.lines("graph.nq", DERIVED_GRAPH.value)
    whole = set(record.derived_whole)
    kept, subjects = _kept(store, constructs, PreviousDerived(lines, whole, added, removed))
    dropped = sorted(set(lines) - set(kept))
    for quad in parse(b"".join(dropped), format=RdfFormat.N_QUADS) if dropped else []:
        store.remove(quad)
    values = " ".join(sorted(str(s) for s in subjects))
    derived: list[Quad] = []
    for construct in constructs:
        if construct.rerun is not None and not values:
            continue
        text = bound(construct.text, construct.rerun, values) if construct.rerun else construct.text
        derived += _add(store, text, construct.display)
    timed("derive", started)

    started = time.perf_counter()
    shapes = Assembly()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        read_turtle(path, str(path), ONTOLOGY_GRAPH, shapes)
    shapes_store = Store()
    shapes_store.extend(shapes.quads)
    documents = {g.value.rsplit("/", 1)[1] for g in store.named_graphs() if "/graph/doc/" in g.value}
    scope = Scope(CLAIMS, frozenset(documents - {DOCUMENT}), frozenset({DOCUMENT}))
    validate_shacl_sparql(store, shapes_store, Assembly(), scope)
    timed("shacl", started)

    started = time.perf_counter()
    inferred = (previous / "inferred.nq").read_bytes().splitlines(keepends=True)
    owl_rl_rules_after(store, Assembly(), added, removed, inferred)
    timed("reason", started)

    started = time.perf_counter()
    Store.read_only(str(previous / "index")).backup(str(index))
    carried = Store(str(index))
    carried.remove(old)
    carried.add(new)
    carried.extend(derived)
    timed("carry the query index", started)
    started = time.perf_counter()
    run_quality_checks(carried, ROOT / "queries" / "qc", ROOT, Assembly(), rerun_nodes(added + removed))
    timed("qc on the carried index", started)
    print(json.dumps(times))


if __name__ == "__main__":
    main()
