"""kg export rdf: every syntax re-parses (with rdflib) to graphs isomorphic to the build's, named
graph by named graph for the quad syntaxes; JSON-LD is compacted with the committed context."""

from __future__ import annotations

import json

import pytest
import rdflib
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from kg.export.context import load_context

INFERRED = "https://w3id.org/aigeo/graph/inferred"
RDFLIB_FORMAT = {
    "turtle": "turtle",
    "ntriples": "nt",
    "nquads": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
}


@pytest.fixture(scope="module")
def build_dataset(built) -> rdflib.Dataset:
    ds = rdflib.Dataset()
    for name in ("graph.nq", "inferred.nq"):
        ds.parse(built / "dist" / name, format="nquads")
    return ds


def _expected(ds: rdflib.Dataset, which: str) -> dict[str, rdflib.Graph]:
    graphs = {}
    for g in ds.graphs():
        name = str(g.identifier)
        if (
            len(g) == 0
            or (which == "asserted" and name == INFERRED)
            or (which == "inferred" and name != INFERRED)
        ):
            continue
        graphs[name] = g
    return graphs


def _assert_isomorphic(expected: rdflib.Graph, found: rdflib.Graph, what: str) -> None:
    if not isomorphic(expected, found):
        _both, missing, extra = graph_diff(to_isomorphic(expected), to_isomorphic(found))
        lost = sorted(missing.serialize(format="nt").splitlines())[:3]
        added = sorted(extra.serialize(format="nt").splitlines())[:3]
        pytest.fail(f"{what} differs; missing {lost}; extra {added}")


@pytest.mark.parametrize(
    "fmt, which",
    [
        pytest.param("turtle", "both", id="turtle-both"),
        pytest.param("ntriples", "asserted", id="ntriples-asserted"),
        pytest.param("nquads", "both", id="nquads-both"),
        pytest.param("nquads", "inferred", id="nquads-inferred"),
        pytest.param("trig", "asserted", id="trig-asserted"),
        pytest.param("jsonld", "both", id="jsonld-both"),
    ],
)
def test_output_reparses_to_isomorphic_graphs(kg_export, build_dataset, tmp_path, fmt, which):
    path = tmp_path / f"out.{fmt}"
    code, out, err = kg_export("rdf", "--format", fmt, "--graph", which, "-o", str(path))
    assert code == 0, err
    expected = _expected(build_dataset, which)
    if fmt in ("turtle", "ntriples"):
        merged = rdflib.Graph()
        for g in expected.values():
            merged += g
        found = rdflib.Graph().parse(path, format=RDFLIB_FORMAT[fmt])
        _assert_isomorphic(merged, found, f"{fmt} ({which})")
        assert out.split(": ")[1].startswith(f"{len(merged)} triples")
        return
    found_ds = rdflib.Dataset()
    found_ds.parse(path, format=RDFLIB_FORMAT[fmt])
    found = {str(g.identifier): g for g in found_ds.graphs() if len(g)}
    assert set(found) == set(expected)
    for name, g in expected.items():
        _assert_isomorphic(g, found[name], f"{fmt} graph {name}")


def test_jsonld_is_compacted_with_the_committed_context(kg_export, tmp_path):
    path = tmp_path / "out.jsonld"
    assert kg_export("rdf", "-f", "jsonld", "-o", str(path), "--around", "Israel", "--depth", "0")[0] == 0
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["@context"] == load_context()["@context"]
    graphs = {g["@id"]: g["@graph"] for g in doc["@graph"]}
    nodes = [n for g in graphs.values() for n in g]
    israel = next(n for n in graphs["graph:reference/iso3166"] if n["@id"] == "country:IL")
    assert israel["prefLabel"]["he"] == "ישראל"
    assert israel["@type"] == "Country"
    claims = [n for n in nodes if n.get("@type") == "Claim"]
    assert claims and all(isinstance(c["status"], str) and ":" not in c["status"] for c in claims)


def test_context_names_only_declared_terms():
    from kg.codegen import read_terms
    from kg.layout import Layout

    terms = read_terms(Layout.find().ontology)
    context = load_context()["@context"]
    for name, definition in context.items():
        iri = definition if isinstance(definition, str) else definition["@id"]
        if iri.startswith("aigeo:"):
            assert iri[len("aigeo:") :] in terms, name


def test_slice_holds_its_claims_and_entities_but_not_the_ontology(kg_export, tmp_path):
    path = tmp_path / "slice.nq"
    assert kg_export("rdf", "-f", "nquads", "-o", str(path), "--around", "DeepSeek")[0] == 0
    ds = rdflib.Dataset().parse(path, format="nquads")
    graphs = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert "https://w3id.org/aigeo/graph/ontology" not in graphs
    text = path.read_text(encoding="utf-8")
    assert "<https://w3id.org/aigeo/id/org/deepseek> <http://www.w3.org/2004/02/skos/core#prefLabel>" in text
    assert "#evidence> <http://www.w3.org/ns/oa#hasSelector>" in text
