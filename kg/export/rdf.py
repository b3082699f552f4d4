"""The graph as RDF: Turtle, N-Triples, N-Quads, TriG or JSON-LD, asserted, inferred or both.

Without slice options the export is the build's graphs as they are. With them it holds the
selection: its entities' descriptions, its claims with their evidence, and the descriptions of
the documents those claims come from (the ontology is left out; a slice names terms, it does not
redefine them). Quad formats (N-Quads, TriG, JSON-LD) keep the named graphs; triple formats
(Turtle, N-Triples) merge them. Statements are sorted, so the same build gives the same bytes.
JSON-LD is compacted with the committed context (``kg/export/context.jsonld``), written inline so
that the file reads without a network.
"""

from __future__ import annotations

import json
from pathlib import Path

from pyoxigraph import Quad, RdfFormat, serialize

from kg.atomic import atomic_file
from kg.export.records import INFERRED_GRAPH, ONTOLOGY_GRAPH
from kg.export.selection import Selection
from kg.iris import PREFIXES

FORMATS = {
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "nquads": RdfFormat.N_QUADS,
    "trig": RdfFormat.TRIG,
    "jsonld": RdfFormat.JSON_LD,
}
GRAPHS = ("asserted", "inferred", "both")
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def rdf_quads(selection: Selection, graphs: str) -> list[Quad]:
    """The quads to export, sorted: from the asserted graphs, the inferred one, or both."""
    store = selection.build.store
    quads = []
    keep = _subjects(selection) if selection.slice.narrows else None
    for q in store.quads_for_pattern(None, None, None, None):
        inferred = q.graph_name.value == INFERRED_GRAPH
        if (graphs == "asserted" and inferred) or (graphs == "inferred" and not inferred):
            continue
        if keep is not None:
            if q.graph_name.value == ONTOLOGY_GRAPH:
                continue
            s = q.subject.value
            if s not in keep and s.split("#", 1)[0] not in keep:
                continue
        quads.append(q)
    return sorted(quads, key=lambda q: (q.graph_name.value, str(q.subject), str(q.predicate), str(q.object)))


def write_rdf(selection: Selection, path: Path, fmt: str, graphs: str) -> str:
    """Write the export in ``fmt`` to ``path`` atomically; return a one-line summary.

    Raises:
        UsageError: the file cannot be written.
    """
    quads = rdf_quads(selection, graphs)
    data = serialise(quads, fmt)
    with atomic_file(path) as tmp:
        tmp.write_bytes(data)
    what = "quads" if fmt in ("nquads", "trig", "jsonld") else "triples"
    count = len(quads) if what == "quads" else len({q.triple for q in quads})
    return f"{count} {what}"


def serialise(quads: list[Quad], fmt: str) -> bytes:
    """The quads in ``fmt`` (triple formats merge the named graphs)."""
    rdf_format = FORMATS[fmt]
    if fmt in ("turtle", "ntriples"):
        seen, items = set(), []
        for q in quads:
            if q.triple not in seen:
                seen.add(q.triple)
                items.append(q.triple)
    else:
        items = quads
    if fmt == "jsonld":
        return _jsonld(items)
    data = serialize(items, format=rdf_format, prefixes=PREFIXES) or b""
    return data


def _jsonld(quads: list[Quad]) -> bytes:
    from pyld import jsonld

    from kg.export.context import load_context

    expanded = _types_as_keyword(json.loads(serialize(quads, format=RdfFormat.JSON_LD) or b"[]"))
    context = load_context()
    compacted = jsonld.compact(expanded, context)
    return (json.dumps(compacted, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _types_as_keyword(nodes: list[dict]) -> list[dict]:
    """Move ``rdf:type`` objects to ``@type``, as JSON-LD's own RDF reading does, so that a node
    reads ``"@type": "Country"`` (pyoxigraph writes them as a plain property)."""
    for node in nodes:
        if "@graph" in node:
            _types_as_keyword(node["@graph"])
        types = node.pop(RDF_TYPE, None)
        if types is None:
            continue
        iris = [t["@id"] for t in types if "@id" in t]
        literals = [t for t in types if "@id" not in t]
        node["@type"] = sorted(set(node.get("@type", [])) | set(iris))
        if literals:
            node[RDF_TYPE] = literals
    return nodes


def _subjects(selection: Selection) -> set[str]:
    """The nodes a slice describes: its entities, its claims, and the documents they cite."""
    keep = set(selection.entities)
    for c in selection.claims:
        keep.add(c.iri)
        keep.add(c.document)
    return keep
