"""The fast paths give what the reference libraries give: pyshacl's results, owlrl's entailments,
rdflib's answers. Every shape fixture, every kind of axiom, the curated graph and generated data
with injected violations are run both ways (docs/decisions/20261123-fast-paths.md)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
import rdflib
from pyoxigraph import NamedNode, RdfFormat, Store, parse

from kg.assembly import Assembly
from kg.build import build
from kg.checks.shacl_sparql import _Validator, shacl_results
from kg.layout import Layout
from kg.problems import DataError
from kg.reasoning import owl_rl_closure
from kg.rules import Unsupported, owl_rl_rules
from kg.terms import graph_to_rdflib

ROOT = Path(__file__).resolve().parent.parent
SHAPE_FIXTURES = sorted((ROOT / "tests/data/shapes").glob("*.ttl"))
AIGEO = "https://w3id.org/aigeo/ontology#"
ID = "https://w3id.org/aigeo/id/"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
INFERRED = "https://w3id.org/aigeo/graph/inferred"


def _store(*turtle: Path, quads: Path | None = None) -> Store:
    store = Store()
    for i, path in enumerate(turtle):
        store.load(path=str(path), format=RdfFormat.TURTLE, to_graph=NamedNode(f"urn:file:{i}"))
    if quads is not None:
        store.extend(
            q for q in parse(path=str(quads), format=RdfFormat.N_QUADS) if q.graph_name.value != INFERRED
        )
    return store


def _ontology(store: Store) -> Store:
    for i, path in enumerate(sorted((ROOT / "ontology").glob("*.ttl"))):
        store.load(path=str(path), format=RdfFormat.TURTLE, to_graph=NamedNode(f"urn:ontology:{i}"))
    return store


SHAPES = _store(*sorted((ROOT / "shapes").glob("*.ttl")))


# --- SHACL ------------------------------------------------------------------------------------


def _key(term) -> str:
    """A term as text both libraries agree on (blank nodes only by kind)."""
    if isinstance(term, rdflib.BNode) or type(term).__name__ == "BlankNode":
        return "_:"
    if isinstance(term, rdflib.Literal):
        return term.n3()
    if isinstance(term, rdflib.URIRef):
        return f"<{term}>"
    return str(term)


def _pyshacl(data: Store, shapes_store: Store = SHAPES) -> set:
    import pyshacl

    shapes = graph_to_rdflib(shapes_store)
    _ok, report, _ = pyshacl.validate(
        graph_to_rdflib(data), shacl_graph=shapes, inference="none", allow_warnings=True, advanced=True
    )
    details = {(r, d) for r, d in report.subject_objects(SH.detail)}
    out = set()
    for r in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        parent = [p for p, d in details if d == r]
        out.add(
            (
                _key(report.value(r, SH.focusNode)),
                _key(report.value(r, SH.resultPath)),
                _key(report.value(r, SH.sourceShape)),
                str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
                _key(report.value(r, SH.value)) if report.value(r, SH.value) is not None else None,
                "detail" if parent else "top",
            )
        )
    return out


def _fast(data: Store, shapes: Store = SHAPES) -> set:
    _n, results = shacl_results(data, shapes)
    out = set()

    def add(r, level):
        value = None if r.value is None else _key(_to_rdflib(r.value))
        path = _key(_to_rdflib(r.path)) if r.path is not None else "None"
        out.add((_key(_to_rdflib(r.focus)), path, _key(_to_rdflib(r.shape)), r.component, value, level))
        for d in r.details:
            add(d, "detail")

    for r in results:
        add(r, "top")
    return out


def _to_rdflib(term):
    from kg.terms import to_rdflib

    return None if term is None else to_rdflib(term)


def _compare_shacl(data: Store, shapes: Store = SHAPES) -> set:
    reference, fast = _pyshacl(data, shapes), _fast(data, shapes)
    assert fast == reference, {"missing": reference - fast, "extra": fast - reference}
    return reference


@pytest.mark.parametrize("fixture", SHAPE_FIXTURES, ids=lambda p: p.stem)
def test_shacl_sparql_equals_pyshacl_on_each_shape_fixture(fixture):
    results = _compare_shacl(_ontology(_store(fixture)))
    assert results, "every fixture has a violating node"


def test_shacl_sparql_equals_pyshacl_on_the_curated_graph(built):
    data = _store(quads=built / "dist/graph.nq")
    assert len(data) > 10_000
    assert _compare_shacl(data) == set()


_CLASS_SHAPE = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <urn:ex:> .
ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ; sh:property [ sh:path ex:p ; sh:class ex:Top ] .
"""


@pytest.mark.parametrize(
    ("hierarchy", "failing"),
    [
        ("ex:Mid rdfs:subClassOf ex:Top . ex:Low rdfs:subClassOf ex:Mid .", {"none"}),
        (
            "ex:Mid rdfs:subClassOf ex:Top . ex:Low rdfs:subClassOf ex:Mid . ex:Top rdfs:subClassOf ex:Low .",
            {"none"},
        ),
        (
            "_:b rdfs:subClassOf ex:Top . ex:Low rdfs:subClassOf _:b . ex:a ex:p ex:bn . ex:bn a _:b .",
            {"mid", "none"},
        ),
    ],
    ids=["chain", "cycle", "blank-node-class"],
)
def test_sh_class_follows_the_data_hierarchy_as_pyshacl_does(hierarchy, failing):
    """sh:class is checked against subclasses read from the data beforehand
    (_Validator._instance_test); a subclass two steps down, a cycle and a blank-node class in
    between must give pyshacl's results."""
    data, shapes = Store(), Store()
    shapes.load(_CLASS_SHAPE.encode(), format=RdfFormat.TURTLE)
    prefixes = "@prefix ex: <urn:ex:> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    rows = (
        " ex:a ex:p ex:low , ex:mid , ex:top , ex:none ."
        " ex:low a ex:Low . ex:mid a ex:Mid . ex:top a ex:Top ."
    )
    data.load((prefixes + hierarchy + rows).encode(), format=RdfFormat.TURTLE, to_graph=NamedNode("urn:g"))
    results = _compare_shacl(data, shapes)
    assert {r[4] for r in results} == {f"<urn:ex:{name}>" for name in failing}
    plan = _Validator(data, shapes)
    plan.run()
    named = "_:" not in hierarchy  # the classes are written out unless one is a blank node
    assert any("?_class" in query for query in plan.planned) is named


# --- OWL RL -----------------------------------------------------------------------------------


def _both_reasoners(store: Store):
    fast, fast_problems = owl_rl_rules(store, Assembly())
    reference, reference_problems = owl_rl_closure(graph_to_rdflib(store), Assembly())
    fast_set = {(t.subject.value, t.predicate.value, _key(_to_rdflib(t.object))) for t in fast}
    reference_set = {(str(s), str(p), _key(o)) for s, p, o in reference}
    return fast_set, reference_set, fast_problems, reference_problems


def test_rules_equal_owlrl_on_the_curated_graph(built):
    fast, reference, fast_problems, reference_problems = _both_reasoners(
        _store(quads=built / "dist/graph.nq")
    )
    assert len(reference) > 1000
    assert fast == reference, {"missing": sorted(reference - fast)[:5], "extra": sorted(fast - reference)[:5]}
    assert fast_problems == reference_problems == []


AXIOM_CASES = {
    "subclass": [("org/x", "type", "ThinkTank")],
    "subproperty": [("cluster/c", "usesChip", "chip/h")],
    "inverse": [("model/m", "developedBy", "org/d")],
    "inverse-back": [("org/d", "develops", "model/m")],
    "transitive": [("org/a", "subsidiaryOf", "org/b"), ("org/b", "subsidiaryOf", "org/c"),
                   ("org/c", "subsidiaryOf", "org/e")],
    "transitive-located": [("cluster/c", "locatedIn", "city/x"), ("city/x", "locatedIn", "country/IL")],
    "symmetric": [("model/a", "comparableTo", "model/b")],
    "domain-range": [("model/m", "developedBy", "org/d"), ("chip/h", "vendor", "org/n")],
    "lineage": [("model/r1", "baseModel", "model/v3"), ("model/v3", "distilledFrom", "model/x")],
    "disjoint": [("cluster/c", "usesChip", "country/IL"), ("country/IL", "type", "Country")],
    "disjoint-by-domain": [("country/FR", "developedBy", "org/d"), ("country/FR", "type", "Country")],
    "disjoint-stated": [("org/x", "type", "Organisation"), ("org/x", "type", "Person")],
}  # fmt: skip


@pytest.mark.parametrize("triples", AXIOM_CASES.values(), ids=AXIOM_CASES.keys())
def test_rules_equal_owlrl_for_each_kind_of_axiom(triples, request):
    store = _ontology(Store())
    for s, p, o in triples:
        predicate = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type" if p == "type" else AIGEO + p
        obj = ID + o if "/" in o else AIGEO + o
        store.add(_quad(ID + s, predicate, obj))
    fast, reference, fast_problems, reference_problems = _both_reasoners(store)
    assert fast and fast == reference, {"missing": reference - fast, "extra": fast - reference}
    assert [p.focus for p in fast_problems] == [p.focus for p in reference_problems]
    assert bool(fast_problems) is request.node.callspec.id.startswith("disjoint")
    for got, want in zip(fast_problems, reference_problems, strict=True):
        assert set(re.findall(r"aigeo:\w+", got.message)) == set(re.findall(r"aigeo:\w+", want.message))


def _quad(s: str, p: str, o: str):
    from pyoxigraph import Quad

    return Quad(NamedNode(s), NamedNode(p), NamedNode(o), NamedNode("urn:data"))


@pytest.mark.parametrize(
    "axiom",
    [
        "aigeo:developedBy a owl:FunctionalProperty .",
        "aigeo:Chip owl:equivalentClass [ owl:onProperty aigeo:vendor ; owl:someValuesFrom aigeo:Company ] .",
    ],
    ids=["functional-property", "some-values-from"],
)
def test_rules_refuse_an_axiom_they_do_not_implement(axiom):
    """An OWL construct outside the rules sends the build to owlrl instead of being ignored."""
    store = _ontology(Store())
    store.load(
        f"@prefix aigeo: <{AIGEO}> . @prefix owl: <http://www.w3.org/2002/07/owl#> . {axiom}",
        format=RdfFormat.TURTLE,
        to_graph=NamedNode("urn:extra"),
    )
    with pytest.raises(Unsupported):
        owl_rl_rules(store, Assembly())


def test_build_falls_back_to_owlrl_for_an_unsupported_axiom(project):
    extra = project / "ontology" / "zz-functional.ttl"
    extra.write_text(
        "# Contrived: an axiom the targeted rules do not implement.\n"
        f"@prefix aigeo: <{AIGEO}> . @prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "aigeo:developedBy a owl:FunctionalProperty .\n",
        encoding="utf-8",
    )
    state = build(Layout.find(), write=False, engine="fast")
    assert state.report["checks"]["owl_rl"]["engine"] == "owlrl"
    assert any("FunctionalProperty" in f for f in state.report["fallbacks"])


# --- Whole builds, both engines ---------------------------------------------------------------


def test_both_engines_write_the_same_build(project):
    """The curated data: byte-identical asserted and inferred outputs from either engine."""
    build(Layout.find(out=str(project / "fast")), engine="fast")
    build(Layout.find(out=str(project / "reference")), engine="reference")
    for name in ("graph.nq", "inferred.nq"):
        assert (project / "fast" / name).read_bytes() == (project / "reference" / name).read_bytes(), name


def _generator():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def _problems(layout: Layout, engine: str) -> set:
    with pytest.raises(DataError) as failure:
        build(layout, write=False, engine=engine)
    # Components and focus nodes, not wording: the two engines phrase messages differently.
    return {
        (
            p.file,
            p.line,
            p.focus,
            p.path,
            p.shape,
            p.message.split(":", 1)[0] if "Component" in p.message else "",
        )
        for p in failure.value.problems
    }


def test_both_engines_report_the_same_injected_violations(project, tmp_path):
    """Generated data in the curated format, with one violation of every kind the generator knows."""
    generate = _generator()
    manifest = generate.generate(300, tmp_path / "syn", violations=8)
    layout = Layout.find(data=str(tmp_path / "syn" / "data"))
    fast, reference = _problems(layout, "fast"), _problems(layout, "reference")
    assert fast == reference
    reported = {p[2] for p in fast}
    assert manifest["violations"] == 8
    import json

    for entry in json.loads((tmp_path / "syn" / "violations.json").read_text(encoding="utf-8")):
        assert entry["focus"] in reported, entry


# --- SPARQL answers ---------------------------------------------------------------------------


# rdflib's N-Quads parser warns once per quad about its own deprecated Dataset API.
@pytest.mark.filterwarnings("ignore:Dataset.default_context is deprecated:DeprecationWarning")
def test_competency_questions_answer_the_same_on_rdflib(built):
    """Every question with its default parameters, on pyoxigraph and on rdflib's SPARQL engine."""
    from collections import Counter

    from kg.store import EntityResolver, embedded_runner, open_build

    run = embedded_runner(open_build(built / "dist"))
    dataset = rdflib.Dataset(default_union=True)
    for name in ("graph.nq", "inferred.nq"):
        dataset.parse(built / "dist" / name, format="nquads")
    answered = 0
    for name, text in _questions_with_defaults(EntityResolver(run)):
        ours = Counter(tuple(_value(_to_rdflib(t)) for t in row) for row in run(text))
        theirs = Counter(tuple(_value(t) for t in row) for row in dataset.query(text))
        assert ours == theirs, name
        answered += bool(ours)
    assert answered >= 10, "most questions have an answer with their defaults"


def _questions_with_defaults(resolver):
    """Every competency question as (name, SPARQL text) with its parameters' defaults bound."""
    from kg.queries import convert_value, find_queries

    for name, query in find_queries(ROOT / "queries" / "cq").items():
        values = {
            key: convert_value(param, param.default, resolver.resolve)
            for key, param in query.params.items()
            if param.default is not None
        }
        yield name, query.bind(values)


def _value(term):
    """Compare literals by value: the engines may write a computed number differently."""
    if term is None:
        return None
    if isinstance(term, rdflib.Literal):
        return (term.toPython(), term.language)
    return _key(term)


def test_large_builds_are_queried_through_an_on_disk_index(project_built, monkeypatch):
    """Above the size limit the first query indexes the build on disk; every question gives
    the same answers from the index as from the in-memory store, and the index is reused."""
    from kg import store as store_module
    from kg.store import EntityResolver, embedded_runner, open_build

    out = project_built / "dist"
    memory = embedded_runner(open_build(out))
    monkeypatch.setattr(store_module, "INDEX_ABOVE_BYTES", 0)
    calls = []
    indexed = open_build(out, calls.append)
    index = out / store_module.INDEX_DIR
    assert index.is_dir() and not list(out.resolve().glob(".index-*"))
    assert calls[0] is None and calls[1] > 0 and len(calls) == 2  # told when indexing starts and ends
    made = index.stat().st_mtime_ns
    assert len(indexed) == len(open_build(out, calls.append)) and index.stat().st_mtime_ns == made
    assert len(calls) == 2  # the second opening makes nothing, so says nothing
    disk = embedded_runner(indexed)
    for name, text in _questions_with_defaults(EntityResolver(memory)):
        assert sorted(map(str, memory(text))) == sorted(map(str, disk(text))), name
    with pytest.raises(RuntimeError, match="read-write"):
        indexed.add(next(iter(indexed)))
