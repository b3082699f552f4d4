"""SHACL in a rebuild validates only the claims of changed documents, and finds what a build
from scratch finds: the same problem lines, whatever changed (a sheet, an entity, the shapes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Store

from kg.build import ONTOLOGY_GRAPH
from kg.checks import shacl_reuse
from kg.checks.shacl_sparql import Scope, shacl_results
from kg.cli import main
from kg.iris import CLAIMS, ID
from kg.namespaces import RDFS

SHEET = "data/facts/inss-2025-02-deepseek-israel.yaml"


def _build(capsys, *argv: str) -> tuple[int, str]:
    code = main(["build", "--quiet", *argv])
    return code, capsys.readouterr().err


def _shacl(root: Path) -> dict:
    return json.loads((root / "dist/build-report.json").read_text(encoding="utf-8"))["checks"]["shacl"]


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _cold(capsys, project: Path, tmp_path_factory) -> tuple[int, str]:
    """A build of the same data with no cache, as the reference."""
    cold = tmp_path_factory.mktemp("cold")
    code, err = _build(capsys, "--data", str(project / "data"), "--out", str(cold / "dist"))
    return code, err.replace(str(cold / "dist"), "OUT")


def test_a_rebuild_skips_every_unchanged_document_and_validates_the_changed_one(project, capsys):
    assert _build(capsys)[0] == 0
    sheets = len(list((project / "data/facts").glob("*.yaml")))
    assert _shacl(project)["documents_reused"] == 0
    assert _shacl(project)["changed_nodes"] is None
    # a comment in an entity sheet: the inputs' fingerprint moves, so there is no difference
    # with the previous build to work from, but every sheet's claims keep their verdict
    _replace(project / "data/entities/places.yaml", "\n", "\n# an edited comment\n")
    assert _build(capsys)[0] == 0
    assert _shacl(project)["documents_reused"] == sheets
    assert _shacl(project)["changed_nodes"] is None
    # nothing changed since a build that found nothing: nothing to validate
    assert _build(capsys)[0] == 0
    assert _shacl(project)["changed_nodes"] == 0
    # a claimant that is not an agent: only SHACL says so
    _replace(project / SHEET, "claimant: org/inss", "claimant: chip/h100")
    code, err = _build(capsys)
    assert code == 1
    assert "inss-2025-02-deepseek-israel" in err and "ClassConstraintComponent" in err


def test_the_changed_documents_problems_are_the_lines_a_cold_build_prints(project, capsys, tmp_path_factory):
    assert _build(capsys)[0] == 0
    _replace(project / SHEET, "claimant: org/inss", "claimant: chip/h100")
    warm = _build(capsys)
    assert warm[0] == 1
    assert warm == _cold(capsys, project, tmp_path_factory)


def test_an_entity_whose_type_changes_makes_unchanged_sheets_be_validated_again(
    project, capsys, tmp_path_factory
):
    """Every sheet comes from the cache, but the claimant is no longer an agent."""
    assert _build(capsys)[0] == 0
    _replace(
        project / "data/entities/organisations.yaml",
        "id: org/inss\n  type: ThinkTank",
        "id: org/inss\n  type: Chip",
    )
    code, err = _build(capsys)
    assert code == 1 and "ClassConstraintComponent" in err
    assert (code, err) == _cold(capsys, project, tmp_path_factory)


def test_a_shapes_change_validates_everything_again(project, capsys):
    assert _build(capsys)[0] == 0
    shapes = project / "shapes/claims.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + "\n# a comment changes the context\n", "utf-8")
    assert _build(capsys)[0] == 0
    assert _shacl(project)["documents_reused"] == 0 and _shacl(project)["changed_nodes"] is None
    assert _build(capsys)[0] == 0
    assert _shacl(project)["changed_nodes"] == 0


NESTED_ON_SUBJECT = """
shape:SubjectLabelled a sh:NodeShape ;
    sh:targetClass aigeo:Claim ;
    sh:property [ sh:path aigeo:subject ; sh:node shape:Typed ] .
shape:Typed a sh:NodeShape ;
    sh:property [ sh:path rdf:type ; sh:minCount 1 ] .
"""


def test_a_shape_that_reads_other_nodes_triples_turns_reuse_off(project, capsys):
    """A claim's subject is described by other documents too: no verdict on it can be kept."""
    shapes = project / "shapes/claims.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + NESTED_ON_SUBJECT, "utf-8")
    assert _build(capsys)[0] == 0
    assert _build(capsys)[0] == 0
    assert _shacl(project)["documents_reused"] == 0


WARNING_SHAPE = """
shape:LowConfidence a sh:NodeShape ;
    sh:targetClass aigeo:Claim ;
    sh:property [ sh:path aigeo:confidence ; sh:maxCount 0 ; sh:severity sh:Warning ;
                  sh:message "test: every claim with a confidence warns" ] .
"""


def test_warnings_are_printed_by_every_build_not_only_the_first(project, capsys):
    shapes = project / "shapes/claims.ttl"
    shapes.write_text(shapes.read_text(encoding="utf-8") + WARNING_SHAPE, "utf-8")
    assert _build(capsys)[0] == 0
    warned = _shacl(project)["warnings"]
    assert warned > 0
    assert _build(capsys)[0] == 0
    assert _shacl(project)["warnings"] == warned
    assert _shacl(project)["documents_reused"] == 0


@pytest.mark.parametrize(
    "iri",
    [
        f"{CLAIMS}kept-doc/a-claim",
        f"{CLAIMS}skipped-doc/a-claim",
        f"{CLAIMS}skipped-doc/a-claim#evidence",
        f"{CLAIMS}skipped-doc",  # an entity keyed claim/skipped-doc, not a claim of it
        f"{CLAIMS}skipped-document/x",
        "https://w3id.org/aigeo/id/org/skipped-doc/x",
    ],
)
def test_scope_keeps_the_same_nodes_in_python_and_in_sparql(iri):
    # rest: the other segments in the namespace, so that both SPARQL forms apply
    scope = Scope(CLAIMS, frozenset({"skipped-doc", "other"}), frozenset({"kept-doc", "skipped-document"}))
    store = Store()
    for test in (scope.sparql("?this"), scope.sparql_kept("?this")):
        query = f"SELECT ?this WHERE {{ VALUES ?this {{ <{iri}> }} {test} }}"
        in_sparql = bool(list(store.query(query)))
        assert scope.keeps(NamedNode(iri)) == in_sparql
        assert in_sparql == (not iri.startswith(f"{CLAIMS}skipped-doc/"))
    query = f"SELECT ?this WHERE {{ VALUES ?this {{ <{iri}> }} {scope.sparql_inside('?this')} }}"
    inside = bool(list(store.query(query)))
    assert inside == iri.startswith(CLAIMS)


def test_the_kept_nodes_filter_keeps_literals_and_blank_nodes():
    scope = Scope(CLAIMS, frozenset({"skipped-doc"}), frozenset({"kept-doc"}))
    store = Store()
    store.add(Quad(BlankNode("b"), NamedNode("http://example.org/p"), Literal(f"{CLAIMS}skipped-doc/x")))
    nodes = "{ ?this ?p ?_o } UNION { ?_s ?p ?this }"
    query = f"SELECT ?this WHERE {{ {nodes} {scope.sparql_kept('?this')} }}"
    assert len(list(store.query(query))) == 2


def _reuse_store(ontology_term: NamedNode) -> Store:
    store = Store()
    store.add(Quad(ontology_term, NamedNode(str(RDFS) + "label"), Literal("x"), ONTOLOGY_GRAPH))
    return store


@pytest.mark.parametrize(
    ("term", "named"),
    [(NamedNode(f"{ID}org/inss"), True), (NamedNode(f"{CLAIMS}some-doc/a-claim"), False)],
)
def test_the_kept_claims_are_named_unless_the_ontology_names_a_claim(term, named):
    """The documents with sheets are the only segments of the claims namespace, so the kept
    claims may be listed by naming those; unless the ontology names a node there."""
    store = _reuse_store(term)
    context = shacl_reuse.context_fingerprint(b"", shacl_reuse.context_sum(store))
    keys = {"changed": "k1", "unchanged": "k2"}
    last = {"context": context, "keys": ["k2"]}
    reuse = shacl_reuse.prepare(store, Store(), b"", last, keys, {"unchanged"})
    assert reuse.scope.skip == {"unchanged"}
    assert reuse.scope.rest == ({"changed"} if named else None)


_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_NODES = [
    NamedNode(f"{ID}org/a"),
    NamedNode(f"{ID}org/b"),
    NamedNode(f"{CLAIMS}doc/claim-1"),  # minted by a sheet: not context
    NamedNode(f"{CLAIMS}an-entity"),  # an entity keyed claim/<slug>: context
    BlankNode("b1"),
]
_CONTEXT_QUADS = st.builds(
    Quad,
    st.sampled_from(_NODES),
    st.sampled_from([_TYPE, NamedNode(str(RDFS) + "subClassOf"), NamedNode(str(RDFS) + "label")]),
    st.sampled_from([NamedNode(f"{ID}class/{c}") for c in "XYZ"]),
    st.sampled_from([NamedNode(f"{ID}graph/{g}") for g in "gh"]),
)


@settings(max_examples=200, deadline=None)
@given(
    before=st.lists(_CONTEXT_QUADS, max_size=12, unique=True),
    added=st.lists(_CONTEXT_QUADS, max_size=6, unique=True),
    removed=st.lists(st.integers(0, 11), max_size=6, unique=True),
)
def test_the_context_sum_after_a_change_is_the_sum_from_scratch(before, added, removed):
    """A triple stated in two graphs counts once: losing one of them, or gaining a second,
    leaves the sum alone; the namespace and the predicates decide what counts."""
    removed = [before[i] for i in removed if i < len(before)]
    old = Store()
    old.extend(before)
    new = Store()
    new.extend(before)
    for q in removed:
        new.remove(q)
    added = [q for q in added if q not in new]
    new.extend(added)
    previous = shacl_reuse.context_sum(old)
    assert shacl_reuse.context_sum_after(new, previous, added, removed) == shacl_reuse.context_sum(new)


# --- validating only the nodes whose verdict can change (shacl_reuse.changed_nodes) ----------

_OA = "http://www.w3.org/ns/oa#"
_AIGEO = "https://w3id.org/aigeo/ontology#"
#: shapes on top of the project's, so that targets of objects are exercised too
OBJECT_TARGET_SHAPE = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix aigeo: <https://w3id.org/aigeo/ontology#> .
<urn:test:ReportedDocument> a sh:NodeShape ;
    sh:targetObjectsOf aigeo:reportedIn ;
    sh:class aigeo:Document .
"""


@pytest.fixture(scope="module")
def clean_build(built):
    """The session build's asserted graphs and the project's shapes (with one more), which
    they conform to, and quads to change: a sample of each kind of node's own triples."""
    from pyoxigraph import RdfFormat

    root = Path(__file__).resolve().parents[1]
    shapes = Store()
    for path in sorted((root / "shapes").glob("*.ttl")):
        shapes.load(path=str(path), format=RdfFormat.TURTLE)
    shapes.load(OBJECT_TARGET_SHAPE.encode(), format=RdfFormat.TURTLE)
    data = Store()
    data.bulk_load(path=str(built / "dist" / "graph.nq"), format=RdfFormat.N_QUADS)
    assert shacl_results(data, shapes)[1] == []
    interesting = [
        NamedNode(_AIGEO + p) for p in ("claimant", "evidence", "reportedIn", "sha256", "usesChip")
    ]
    interesting += [NamedNode(_OA + p) for p in ("exact", "hasSelector", "hasSource", "start")]
    interesting.append(_TYPE)
    quads = sorted(
        (
            q
            for p in interesting
            for q in data.quads_for_pattern(None, p, None)
            if not isinstance(q.subject, BlankNode)
        ),
        key=str,
    )
    return data, shapes, quads[::7]


def _changes(quads: list[Quad]):
    """Removals of drawn quads, and additions that break shapes: a value of the wrong class, a
    quote emptied, a start after its end, a type taken from or given to a node, a second hash."""
    graph = NamedNode(f"{ID.replace('/id/', '/graph/')}doc/test")
    classes = [NamedNode(_AIGEO + c) for c in ("Chip", "Document", "Country")]

    def added(q: Quad, kind: int, cls: NamedNode) -> Quad:
        if kind == 0:
            return Quad(q.subject, q.predicate, cls, graph)  # an edge to a class: wrong class
        if kind == 1:
            return Quad(q.subject, _TYPE, cls, graph)
        if kind == 2:
            return Quad(q.subject, NamedNode(_OA + "exact"), Literal(""), graph)
        if kind == 3:
            return Quad(
                q.subject,
                NamedNode(_OA + "start"),
                Literal("99999999", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
                graph,
            )
        return Quad(
            q.object if isinstance(q.object, NamedNode) else q.subject,
            NamedNode(_AIGEO + "sha256"),
            Literal("x"),
            graph,
        )

    one = st.tuples(st.sampled_from(quads), st.integers(0, 4), st.sampled_from(classes))
    return st.tuples(
        st.lists(st.sampled_from(quads), max_size=3, unique=True),
        st.lists(one.map(lambda t: added(*t)), max_size=3),
    )


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_validating_the_changed_nodes_finds_what_validating_everything_finds(clean_build, data):
    """After any change to a graph that conformed, the results of the nodes
    :func:`shacl_reuse.changed_nodes` names are the results of every node."""
    store, shapes, quads = clean_build
    removed, added = data.draw(_changes(quads))
    added = [q for q in dict.fromkeys(added) if q not in store]
    for q in removed:
        store.remove(q)
    store.extend(added)
    try:
        nodes = shacl_reuse.changed_nodes(store, added, removed)
        assert nodes is not None
        everything = shacl_results(store, shapes)[1]
        scope = Scope(CLAIMS, frozenset(), only=nodes, reach=shacl_reuse.reached(store, nodes))
        changed = shacl_results(store, shapes, scope)[1]
        assert changed == everything
    finally:
        for q in added:
            store.remove(q)
        store.extend(removed)


def test_no_nodes_are_named_for_a_change_of_classes_or_with_a_blank_node():
    store = Store()
    node = NamedNode(f"{ID}org/a")
    graph = NamedNode(f"{ID}graph/g")
    subclass = Quad(node, NamedNode(str(RDFS) + "subClassOf"), node, graph)
    blank = Quad(BlankNode("b"), _TYPE, node, graph)
    assert shacl_reuse.changed_nodes(store, [subclass], []) is None
    assert shacl_reuse.changed_nodes(store, [], [blank]) is None
    assert shacl_reuse.changed_nodes(store, [Quad(node, _TYPE, node, graph)], []) == {node}


def test_a_node_that_only_becomes_an_object_is_validated(clean_build):
    """``sh:targetObjectsOf``: the new object of a changed quad is a focus node, though none of
    its own triples changed."""
    store, shapes, _ = clean_build
    claim = next(store.quads_for_pattern(None, NamedNode(_AIGEO + "reportedIn"), None))
    moved = Quad(claim.subject, claim.predicate, NamedNode(f"{ID}chip/h100"), claim.graph_name)
    store.add(moved)
    try:
        nodes = shacl_reuse.changed_nodes(store, [moved], [])
        scope = Scope(CLAIMS, frozenset(), only=nodes, reach=shacl_reuse.reached(store, nodes))
        everything = shacl_results(store, shapes)[1]
        assert {r.focus for r in everything} == {claim.subject, moved.object}
        assert shacl_results(store, shapes, scope)[1] == everything
    finally:
        store.remove(moved)
