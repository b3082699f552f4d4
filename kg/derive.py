"""Derivations: the CONSTRUCT queries in ``queries/construct/``, run in file-name order.

Each one reads the store (asserted data plus what earlier derivations added) and its result is
added to the named graph ``graph/derived``: the plain triples of best-ranked claims, country-group
memberships, and the tier assignments that follow from the rules' definitions.
"""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import NamedNode, Quad, Store

from kg.iris import graph_iri
from kg.problems import DataError, Problem

DERIVED_GRAPH = NamedNode(graph_iri("derived"))


def run_constructs(store: Store, folder: Path, root: Path) -> dict[str, int]:
    """Run every ``*.rq`` in ``folder``; return the number of new triples each added."""
    counts: dict[str, int] = {}
    for path in sorted(folder.glob("*.rq")):
        display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        try:
            triples = list(store.query(path.read_text(encoding="utf-8"), use_default_graph_as_union=True))
        except SyntaxError as exc:
            raise DataError(
                [Problem(display, exc.lineno or 0, f"SPARQL syntax error: {exc.msg}")], "derive"
            ) from None
        quads = {Quad(t.subject, t.predicate, t.object, DERIVED_GRAPH) for t in triples}
        # what the graph lacks, looked up one by one: counting the graph before and after
        # took 1 s at 100,000 claims, and len(store) counts every graph
        new = [q for q in quads if q not in store]
        store.extend(new)
        counts[path.stem] = len(new)
    return counts
