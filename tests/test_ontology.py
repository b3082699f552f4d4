"""The ontology: labels in three languages, generated files in step, checks that bite, and one
useful inference for each kind of axiom the OWL RL closure uses."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from pyoxigraph import Store
from rdflib import OWL, RDF, RDFS, URIRef

from kg.assembly import Assembly
from kg.cli import main
from kg.reasoning import owl_rl_closure

ROOT = Path(__file__).resolve().parent.parent
AIGEO = "https://w3id.org/aigeo/ontology#"
ID = "https://w3id.org/aigeo/id/"


def _ontology() -> rdflib.Graph:
    g = rdflib.Graph()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


ONTOLOGY = _ontology()
CLASSES = sorted(s for s in ONTOLOGY.subjects(RDF.type, OWL.Class) if str(s).startswith(AIGEO))
PROPERTIES = sorted(
    s
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property)
    for s in ONTOLOGY.subjects(RDF.type, kind)
    if str(s).startswith(AIGEO)
)


def _langs(term, predicate) -> set[str]:
    return {o.language for o in ONTOLOGY.objects(term, predicate) if isinstance(o, rdflib.Literal)}


def test_every_module_has_a_header():
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        g = rdflib.Graph().parse(path, format="turtle")
        (onto,) = list(g.subjects(RDF.type, OWL.Ontology))
        for p in (OWL.versionInfo, rdflib.DCTERMS.license, RDFS.comment):
            assert g.value(onto, p) is not None, f"{path.name}: ontology header lacks {p}"


@pytest.mark.parametrize("term", CLASSES, ids=lambda t: t.split("#")[1])
def test_class_has_labels_in_three_languages_and_a_comment(term):
    assert {"en", "he", "ar"} <= _langs(term, RDFS.label)
    assert "en" in _langs(term, RDFS.comment)


@pytest.mark.parametrize("term", PROPERTIES, ids=lambda t: t.split("#")[1])
def test_property_has_english_label_and_comment(term):
    assert "en" in _langs(term, RDFS.label)
    assert "en" in _langs(term, RDFS.comment)


def test_most_properties_are_labelled_in_hebrew_and_arabic():
    both = [p for p in PROPERTIES if {"he", "ar"} <= _langs(p, RDFS.label)]
    assert len(both) / len(PROPERTIES) > 0.85


def test_generated_files_are_up_to_date(capsys):
    assert main(["generate", "--check"]) == 0, capsys.readouterr().err


def test_generate_check_reports_drift(project, capsys, monkeypatch):
    import shutil

    shutil.copytree(ROOT / "kg", project / "kg")
    shutil.copytree(ROOT / "docs", project / "docs")
    path = project / "ontology/models.ttl"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"AI model"@en', '"AI system"@en'), encoding="utf-8"
    )
    assert main(["generate", "--check"]) == 1
    assert "docs/ontology.md: out of date" in capsys.readouterr().err


def test_namespace_is_closed():
    from kg.namespaces import AIGEO as NS

    assert str(NS.Claim) == AIGEO + "Claim"
    with pytest.raises(AttributeError):
        _ = NS.Claime


# --- One useful inference per kind of axiom ---------------------------------------------------


def _closure(*triples) -> set:
    g = rdflib.Graph()
    for t in ONTOLOGY:
        g.add(t)
    for s, p, o in triples:
        g.add(
            (
                URIRef(ID + s),
                URIRef(AIGEO + p) if p != "type" else RDF.type,
                URIRef(ID + o) if "/" in o else URIRef(AIGEO + o),
            )
        )
    inferred, problems = owl_rl_closure(g, Assembly())
    assert not problems
    return {
        (str(s).removeprefix(ID), str(p).rsplit("#", 1)[-1].rsplit("/", 1)[-1], str(o).removeprefix(ID))
        for s, p, o in inferred
    }


@pytest.mark.parametrize(
    "kind, given, expected",
    [
        pytest.param(
            "subclass",
            [("org/x", "type", "ThinkTank")],
            ("org/x", "type", "http://www.w3.org/ns/prov#Agent"),
            id="subclass",
        ),
        pytest.param(
            "subproperty",
            [("cluster/c", "usesChip", "chip/h")],
            ("cluster/c", "involvesChip", "chip/h"),
            id="subproperty",
        ),
        pytest.param(
            "inverse", [("model/m", "developedBy", "org/d")], ("org/d", "develops", "model/m"), id="inverse"
        ),
        pytest.param(
            "transitive",
            [("org/a", "subsidiaryOf", "org/b"), ("org/b", "subsidiaryOf", "org/c")],
            ("org/a", "subsidiaryOf", "org/c"),
            id="transitive",
        ),
        pytest.param(
            "transitive-located",
            [("cluster/c", "locatedIn", "city/x"), ("city/x", "locatedIn", "country/IL")],
            ("cluster/c", "locatedIn", "country/IL"),
            id="transitive-located",
        ),
        pytest.param(
            "symmetric",
            [("model/a", "comparableTo", "model/b")],
            ("model/b", "comparableTo", "model/a"),
            id="symmetric",
        ),
        pytest.param(
            "domain",
            [("model/m", "developedBy", "org/d")],
            ("model/m", "type", AIGEO + "AIModel"),
            id="domain",
        ),
        pytest.param(
            "range",
            [("model/m", "developedBy", "org/d")],
            ("org/d", "type", AIGEO + "Organisation"),
            id="range",
        ),
        pytest.param(
            "lineage",
            [("model/r1", "baseModel", "model/v3"), ("model/v3", "distilledFrom", "model/x")],
            ("model/r1", "derivedFromModel", "model/x"),
            id="subproperty-then-transitive",
        ),
    ],
)
def test_inference(kind, given, expected):
    assert expected in _closure(*given), kind


def test_disjointness_catches_a_mistyped_fact():
    """The range of usesChip makes the value a Chip; a country cannot be one."""
    g = rdflib.Graph()
    for t in ONTOLOGY:
        g.add(t)
    g.add((URIRef(ID + "cluster/c"), URIRef(AIGEO + "usesChip"), URIRef(ID + "country/IL")))
    g.add((URIRef(ID + "country/IL"), RDF.type, URIRef(AIGEO + "Country")))
    _inferred, problems = owl_rl_closure(g, Assembly())
    assert problems and "aigeo:Chip" in problems[0].message and "aigeo:Place" in problems[0].message


# --- The ontology quality checks bite ---------------------------------------------------------


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_missing_comment_is_reported_at_the_term(project, capsys):
    path = project / "ontology/compute.ttl"
    _edit(path, '    rdfs:comment "How long the run took, in days."@en .', "    .")
    assert main(["build", "-q"]) == 1
    err = capsys.readouterr().err
    line = next(
        n
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if text.startswith("aigeo:durationDays")
    )
    assert f"ERROR ontology/compute.ttl:{line} aigeo:durationDays term has no English rdfs:comment" in err


def test_bad_property_name_is_reported(project, capsys):
    path = project / "ontology/compute.ttl"
    with path.open("a", encoding="utf-8") as f:
        f.write('\naigeo:Chip_count a owl:DatatypeProperty ; rdfs:label "x"@en ; rdfs:comment "y"@en .\n')
    assert main(["build", "-q"]) == 1
    assert (
        "aigeo:Chip_count property name is not lowerCamelCase [qc:term-naming-convention]"
        in capsys.readouterr().err
    )


def test_undeclared_term_from_a_derivation_is_reported(project, capsys):
    (project / "queries/construct/99-typo.rq").write_text(
        "#+ derives: a contrived typo\nPREFIX aigeo: <https://w3id.org/aigeo/ontology#>\n"
        "CONSTRUCT { ?c aigeo:inTeir ?t } WHERE { ?c aigeo:inTier ?t }\n",
        encoding="utf-8",
    )
    assert main(["build", "-q"]) == 1
    assert "[qc:term-not-declared]" in capsys.readouterr().err


def test_entity_without_english_label_check():
    store = Store()
    store.load(
        input=b"<https://w3id.org/aigeo/id/org/x> a <https://w3id.org/aigeo/ontology#Company> ;"
        b' <http://www.w3.org/2004/02/skos/core#prefLabel> "x"@he .',
        format=__import__("pyoxigraph").RdfFormat.TURTLE,
        to_graph=__import__("pyoxigraph").NamedNode("https://w3id.org/aigeo/graph/entities"),
    )
    text = (ROOT / "queries/qc/entity-without-preferred-label.rq").read_text(encoding="utf-8")
    rows = list(store.query(text, use_default_graph_as_union=True))
    assert [r["focus"].value for r in rows] == [ID + "org/x"]


def test_derivations_count_only_the_triples_they_add(tmp_path):
    """A derivation's count is what it adds to graph/derived: a triple the graph already holds
    (from an earlier derivation) is not counted again, one asserted elsewhere is."""
    from kg.derive import DERIVED_GRAPH, run_constructs

    store = Store()
    a = "https://w3id.org/aigeo/ontology#"
    store.load(
        input=f"<urn:x> <{a}p> <urn:y> .\n<urn:y> <{a}p> <urn:z> .\n".encode(),
        format=__import__("pyoxigraph").RdfFormat.N_TRIPLES,
        to_graph=__import__("pyoxigraph").NamedNode("urn:data"),
    )
    folder = tmp_path / "construct"
    folder.mkdir()
    (folder / "1.rq").write_text(f"CONSTRUCT {{ ?s <{a}q> ?o }} WHERE {{ ?s <{a}p> ?o }}", encoding="utf-8")
    (folder / "2.rq").write_text(  # one new triple, one already derived by 1.rq
        f"CONSTRUCT {{ ?s <{a}q> ?o . <urn:x> <{a}q> <urn:y> }} WHERE {{ ?s <{a}q> ?m . ?m <{a}q> ?o }}",
        encoding="utf-8",
    )
    (folder / "3.rq").write_text(  # already asserted in urn:data, new to graph/derived
        f"CONSTRUCT {{ <urn:x> <{a}p> <urn:y> }} WHERE {{}}", encoding="utf-8"
    )
    assert run_constructs(store, folder, tmp_path).added == {"1": 2, "2": 1, "3": 1}
    assert sum(1 for _ in store.quads_for_pattern(None, None, None, DERIVED_GRAPH)) == 4
