"""The entity graph as GEXF 1.3, for Gephi, Gephi Lite and sigma.js.

Written with :mod:`xml.etree.ElementTree` rather than networkx's writer, which emits a file the
official 1.3 schema rejects; see docs/decisions/20261123-gexf-export.md. Colour and size are in
the main GEXF namespace, where the official XSD expects them (Gephi and graphology read them
there). The file is deterministic: the same build and options give the same bytes.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

from kg import __version__
from kg.atomic import atomic_file
from kg.export.attributes import Column, entity_values
from kg.export.measures import measures
from kg.export.records import key_of
from kg.export.relations import relations
from kg.export.selection import Selection
from kg.iris import compact

GEXF_NS = "http://gexf.net/1.3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

NODE_MEASURES = (
    Column("claims", "integer"),
    Column("degree", "integer"),
    Column("in_degree", "integer"),
    Column("out_degree", "integer"),
    Column("betweenness", "double"),
    Column("community", "integer"),
    Column("disputed_values", "string"),
)
EDGE_COLUMNS = (
    Column("property", "string"),
    Column("claims", "integer"),
    Column("sources", "integer"),
    Column("claimants", "integer"),
    Column("disputed", "boolean"),
    Column("statuses", "string"),
    Column("documents", "string"),
    Column("valid_from", "string"),
    Column("valid_to", "string"),
)
JOIN = " | "


def write_gexf(selection: Selection, path: Path) -> str:
    """Write the selection as GEXF 1.3 to ``path`` atomically; return a one-line summary.

    Raises:
        UsageError: the file cannot be written.
    """
    root = gexf_tree(selection)
    ET.indent(root, space="  ")
    with atomic_file(path) as tmp:
        ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)
        with tmp.open("a", encoding="utf-8") as f:
            f.write("\n")
    graph = root.find(f"{{{GEXF_NS}}}graph")
    n = graph.find(f"{{{GEXF_NS}}}nodes").get("count")
    m = graph.find(f"{{{GEXF_NS}}}edges").get("count")
    return f"{n} nodes, {m} edges"


def gexf_tree(selection: Selection) -> ET.Element:
    """The GEXF document of the selection."""
    ET.register_namespace("", GEXF_NS)
    ET.register_namespace("xsi", XSI_NS)
    build = selection.build
    columns, values = entity_values(selection)
    rels = relations(selection)
    nodes = list(selection.entities)
    measured = measures(nodes, rels)
    claim_count = dict.fromkeys(nodes, 0)
    for c in selection.claims:
        claim_count[c.subject] += 1
        if selection.relates(c) and c.value.value != c.subject:
            claim_count[c.value.value] += 1

    gexf = ET.Element(
        _q("gexf"),
        {f"{{{XSI_NS}}}schemaLocation": f"{GEXF_NS} {GEXF_NS}/gexf.xsd", "version": "1.3"},
    )
    meta = ET.SubElement(gexf, _q("meta"))
    if build.built is not None:
        meta.set("lastmodifieddate", build.built.date().isoformat())
    ET.SubElement(meta, _q("creator")).text = f"aigeo {__version__} (kg export gexf)"
    ET.SubElement(meta, _q("description")).text = _description(selection, len(nodes), len(rels))
    ET.SubElement(meta, _q("keywords")).text = "AI geopolitics, export controls, compute, claims, provenance"

    graph = ET.SubElement(
        gexf,
        _q("graph"),
        {"defaultedgetype": "directed", "mode": "dynamic", "timeformat": "date", "idtype": "string"},
    )
    node_columns = [*columns, *NODE_MEASURES]
    _declare(graph, "node", node_columns)
    _declare(graph, "edge", EDGE_COLUMNS)

    xml_nodes = ET.SubElement(graph, _q("nodes"), {"count": str(len(nodes))})
    for iri in nodes:
        entity = selection.entities[iri]
        node = ET.SubElement(xml_nodes, _q("node"), {"id": entity.key, "label": entity.label})
        row = dict(values[iri])
        m = measured[iri]
        row.update(
            {
                "claims": [claim_count[iri]],
                "degree": [m.degree],
                "in_degree": [m.in_degree],
                "out_degree": [m.out_degree],
                "betweenness": [m.betweenness],
                "community": [m.community],
            }
        )
        conflicting = sorted(c.name for c in columns if c.type != "string" and len(row.get(c.name, ())) > 1)
        if conflicting:
            row["disputed_values"] = [", ".join(conflicting)]
        _attvalues(node, node_columns, row)
        colour = selection.kind(entity).colour
        rgb = {c: str(int(colour[1 + 2 * n : 3 + 2 * n], 16)) for n, c in enumerate("rgb")}
        ET.SubElement(node, _q("color"), rgb)
        ET.SubElement(node, _q("size"), {"value": _number(round(5 + 5 * math.sqrt(claim_count[iri]), 3))})

    xml_edges = ET.SubElement(graph, _q("edges"), {"count": str(len(rels))})
    for r in rels:
        s, o = selection.entities[r.subject].key, selection.entities[r.object].key
        name = build.label(r.property)
        attrs = {
            "id": f"{s} {key_of(r.property)} {o}",
            "source": s,
            "target": o,
            "label": name,
            "kind": name,
            "weight": str(len(r.claims)),
        }
        if r.start is not None:
            attrs["start"] = r.start.isoformat()
        if r.end is not None:
            attrs["end"] = r.end.isoformat()
        edge = ET.SubElement(xml_edges, _q("edge"), attrs)
        row = {
            "property": [compact(r.property)],
            "claims": [len(r.claims)],
            "sources": [len(r.documents)],
            "claimants": [len(r.claimants)],
            "disputed": [r.disputed],
            "statuses": [build.label(s) for s in r.statuses],
            "documents": [key_of(d) for d in r.documents],
            "valid_from": r.valid_from,
            "valid_to": r.valid_to,
        }
        _attvalues(edge, EDGE_COLUMNS, row)
    return gexf


def _description(selection: Selection, nodes: int, edges: int) -> str:
    build = selection.build
    scope = selection.slice.describe() or "the whole graph (all kinds but currency and unit)"
    built = build.built.isoformat(timespec="seconds") if build.built else "an unknown date"
    text = (
        f"aigeo entity graph: {nodes} entities and {edges} relations from {len(selection.claims)} "
        f"claims; {scope}. Built {built} from data version {build.data_version} (the first 12 hex "
        "digits of the SHA-256 of the build's graph.nq). Edge weight = supporting claims."
    )
    if selection.undated_left_out:
        text += f" {selection.undated_left_out} claims from documents of unknown date are left out."
    return text


def _declare(graph: ET.Element, cls: str, columns) -> None:
    block = ET.SubElement(graph, _q("attributes"), {"class": cls, "mode": "static"})
    for c in columns:
        ET.SubElement(block, _q("attribute"), {"id": c.name, "title": c.name, "type": c.type})


def _attvalues(parent: ET.Element, columns, row: dict) -> None:
    block = ET.SubElement(parent, _q("attvalues"))
    for c in columns:
        cells = row.get(c.name)
        if not cells:
            continue
        if c.type == "string":
            text = JOIN.join(str(getattr(v, "text", v)) for v in cells)
        elif len(cells) == 1:
            text = _typed(getattr(cells[0], "typed", cells[0]))
        else:
            continue  # several figures for one property: named in disputed_values instead
        ET.SubElement(block, _q("attvalue"), {"for": c.name, "value": text})
    if not len(block):
        parent.remove(block)


def _typed(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _number(value) if isinstance(value, float) else str(value)


def _number(value: float) -> str:
    return repr(float(value))


def _q(tag: str) -> str:
    return f"{{{GEXF_NS}}}{tag}"
