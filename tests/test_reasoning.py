"""The OWL RL closure is kept apart from the asserted facts and carries the inferences queries use."""

from __future__ import annotations

from pyoxigraph import NamedNode, RdfFormat, parse

AIGEO = "https://w3id.org/aigeo/ontology#"
ID = "https://w3id.org/aigeo/id/"
INFERRED = "https://w3id.org/aigeo/graph/inferred"


def _triples(path):
    return {(q.subject, q.predicate, q.object) for q in parse(path=str(path), format=RdfFormat.N_QUADS)}


def test_inferred_graph_is_separate_and_new(in_built):
    inferred = list(parse(path=str(in_built / "dist/inferred.nq"), format=RdfFormat.N_QUADS))
    assert inferred and {q.graph_name.value for q in inferred} == {INFERRED}
    asserted = _triples(in_built / "dist/graph.nq")
    assert not ({(q.subject, q.predicate, q.object) for q in inferred} & asserted)


def test_subproperty_gives_the_general_chip_link(in_built):
    """usesChip is a sub-property of involvesChip, which the access question asks about."""
    cluster = NamedNode(ID + "cluster/israel-national-supercomputer")
    asserted = _triples(in_built / "dist/graph.nq")
    inferred = _triples(in_built / "dist/inferred.nq")
    triple = (cluster, NamedNode(AIGEO + "involvesChip"), NamedNode(ID + "chip/h100"))
    assert triple not in asserted and triple in inferred


def test_claimant_is_a_prov_attribution(in_built):
    claim = NamedNode(ID + "claim/inss-2025-02-deepseek-israel/national-supercomputer-chip")
    inferred = _triples(in_built / "dist/inferred.nq")
    assert (
        claim,
        NamedNode("http://www.w3.org/ns/prov#wasAttributedTo"),
        NamedNode(ID + "org/inss"),
    ) in inferred


def test_class_hierarchy_types_the_entities(in_built):
    inss = NamedNode(ID + "org/inss")
    rdf_type = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    inferred = _triples(in_built / "dist/inferred.nq")
    assert (inss, rdf_type, NamedNode(AIGEO + "Organisation")) in inferred
    assert (inss, rdf_type, NamedNode("http://www.w3.org/ns/prov#Agent")) in inferred


def test_disjointness_makes_a_mistyped_entity_an_inconsistency():
    """A chip is not an organisation: an entity typed as both is reported with its definition site."""
    from pathlib import Path

    import rdflib

    from kg.assembly import Assembly
    from kg.reasoning import owl_rl_closure

    root = Path(__file__).resolve().parent.parent
    graph = rdflib.Graph()
    for path in sorted((root / "ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    entity = rdflib.URIRef(ID + "chip/h100")
    graph.add((entity, rdflib.RDF.type, rdflib.URIRef(AIGEO + "Chip")))
    graph.add((entity, rdflib.RDF.type, rdflib.URIRef(AIGEO + "Company")))
    assembly = Assembly()
    assembly.define(str(entity), "data/entities/compute.yaml", 2)
    _inferred, problems = owl_rl_closure(graph, assembly)
    assert [(p.file, p.line, p.focus) for p in problems] == [
        ("data/entities/compute.yaml", 2, "id:chip/h100")
    ]
    assert "Disjoint classes" in problems[0].message
