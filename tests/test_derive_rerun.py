"""A rebuild derives again only about the subjects of the claims a change touched (kg.derive),
and its derived graph is the one a derivation from scratch gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, parse, serialize

from kg.derive import DERIVED_GRAPH, PreviousDerived, run_constructs
from kg.iris import ID, graph_iri
from kg.problems import DataError

CONSTRUCTS = Path(__file__).resolve().parents[1] / "queries" / "construct"
_ONT = "https://w3id.org/aigeo/ontology#"
RANK, SUBJECT, VALUE = (NamedNode(_ONT + name) for name in ("rank", "subject", "value"))
RANKS = [NamedNode(_ONT + name) for name in ("PreferredRank", "NormalRank", "DeprecatedRank")]
CLAIM = NamedNode(_ONT + "Claim")
TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@pytest.fixture(scope="module")
def asserted(built) -> list[Quad]:
    """The curated build's asserted quads, without its derived graph."""
    quads = parse(path=str(built / "dist" / "graph.nq"), format=RdfFormat.N_QUADS)
    return [q for q in quads if q.graph_name != DERIVED_GRAPH]


def _derived_lines(store: Store) -> list[bytes]:
    quads = list(store.quads_for_pattern(None, None, None, DERIVED_GRAPH))
    return sorted(serialize(quads, format=RdfFormat.N_QUADS).splitlines(keepends=True)) if quads else []


def _derive(quads, folder: Path = CONSTRUCTS, previous: PreviousDerived | None = None):
    store = Store()
    store.extend(quads)
    derivation = run_constructs(store, folder, folder.parent, previous)
    return store, derivation


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_deriving_about_the_change_equals_deriving_from_scratch(asserted, data):
    """Change ranks, values and subjects of claims, remove claims and add copies of claims
    about other subjects; derive again about the change only; compare."""
    before, first = _derive(asserted)
    claims = sorted({q.subject for q in asserted if q.predicate == TYPE and q.object == CLAIM}, key=str)
    subjects = sorted({q.object for q in asserted if q.predicate == SUBJECT}, key=str)
    values = sorted({q.object for q in asserted if q.predicate == VALUE}, key=str)
    by_claim: dict[NamedNode, list[Quad]] = {}
    for q in asserted:
        by_claim.setdefault(q.subject, []).append(q)
    claim = st.integers(0, len(claims) - 1).map(lambda i: claims[i])

    def replace(node: NamedNode, predicate: NamedNode, new) -> tuple[list[Quad], list[Quad]]:
        old = [q for q in by_claim[node] if q.predicate == predicate]
        graph = by_claim[node][0].graph_name
        return old, [Quad(node, predicate, new, graph)]

    removed: list[Quad] = []
    added: list[Quad] = []
    for node in data.draw(st.lists(claim, max_size=4, unique=True)):
        kind = data.draw(st.sampled_from(["rank", "value", "subject", "remove"]))
        if kind == "rank":
            gone, new = replace(node, RANK, data.draw(st.sampled_from(RANKS)))
        elif kind == "value":
            new_value = data.draw(st.one_of(st.sampled_from(values), st.just(Literal("a new value"))))
            gone, new = replace(node, VALUE, new_value)
        elif kind == "subject":
            gone, new = replace(node, SUBJECT, data.draw(st.sampled_from(subjects)))
        else:
            gone, new = by_claim[node], []
        removed += gone
        added += new
    # new claims: copies of claims under new names, about another subject, at another rank
    for i, node in enumerate(data.draw(st.lists(claim, max_size=3))):
        copy = NamedNode(f"{ID}claim/test/copy-{i}")
        subject = data.draw(st.sampled_from(subjects))
        rank = data.draw(st.sampled_from(RANKS))
        for q in by_claim[node]:
            obj = subject if q.predicate == SUBJECT else rank if q.predicate == RANK else q.object
            added.append(Quad(copy, q.predicate, obj, q.graph_name))
    after_quads = set(asserted) - set(removed) | set(added)
    removed = [q for q in dict.fromkeys(removed) if q not in after_quads]
    added = [q for q in dict.fromkeys(added) if q not in set(asserted)]

    expected_store, expected = _derive(after_quads)
    previous = PreviousDerived(_derived_lines(before), set(first.whole), added, removed)
    store, derivation = _derive(after_quads, previous=previous)
    assert derivation.kept is not None  # derived about the change alone
    assert _derived_lines(store) == _derived_lines(expected_store)
    assert derivation.lines == _derived_lines(store)  # the lines the build writes
    assert derivation.whole == expected.whole


def _construct(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


_PREFIX = f"PREFIX aigeo: <{_ONT}>\n"
_TRUTHY = (
    _PREFIX
    + "#+ rerun-for: s\nCONSTRUCT { ?s ?p ?v }\n"
    + "WHERE { ?c aigeo:subject ?s ; aigeo:property ?p ; aigeo:value ?v }\n"
)


def _claim_quads(subject: str, value: str) -> list[Quad]:
    claim = NamedNode(f"{ID}claim/t/{subject}-{value}")
    g = NamedNode(graph_iri("doc/t"))
    return [
        Quad(claim, SUBJECT, NamedNode(f"{ID}org/{subject}"), g),
        Quad(claim, NamedNode(_ONT + "property"), NamedNode(_ONT + "owns"), g),
        Quad(claim, VALUE, NamedNode(f"{ID}org/{value}"), g),
    ]


def test_a_derivation_read_after_one_without_the_line_derives_everything_again(tmp_path):
    """The derivations without the line may read what the others derive, so those come first."""
    folder = tmp_path / "construct"
    _construct(folder, "1-whole.rq", _PREFIX + "CONSTRUCT { ?s aigeo:ownedBy ?o } WHERE { ?o aigeo:owns ?s }")
    _construct(folder, "2-truthy.rq", _TRUTHY)
    quads = _claim_quads("a", "b")
    before, first = _derive(quads, folder)
    previous = PreviousDerived(_derived_lines(before), set(first.whole), [], [])
    _, again = _derive(quads, folder, previous)
    assert again.kept is None


def test_the_lines_the_other_derivations_added_are_not_kept(tmp_path):
    """A triple a derivation without the line added is derived again or dropped, never kept."""
    folder = tmp_path / "construct"
    _construct(folder, "1-truthy.rq", _TRUTHY)
    _construct(folder, "2-whole.rq", _PREFIX + "CONSTRUCT { ?o aigeo:ownedBy ?s } WHERE { ?s aigeo:owns ?o }")
    before_quads = _claim_quads("a", "b") + _claim_quads("c", "d")
    before, first = _derive(before_quads, folder)
    assert len(first.whole) == 2
    removed = _claim_quads("c", "d")
    after = [q for q in before_quads if q not in removed]
    previous = PreviousDerived(_derived_lines(before), set(first.whole), [], removed)
    store, again = _derive(after, folder, previous)
    assert again.kept == 1 and again.rerun_subjects == 1
    expected, _ = _derive(after, folder)
    assert _derived_lines(store) == _derived_lines(expected)
    assert len(_derived_lines(store)) == 2


@pytest.mark.parametrize(
    ("header", "template", "message"),
    [
        ("#+ rerun-for: s", "?s aigeo:owns ?v . ?v aigeo:ownedBy ?s", "not ?v"),
        ("#+ rerun-for: s v", "?s aigeo:owns ?v", "names one variable"),
        (
            "#+ rerun-for: s",
            '?s aigeo:label "a. ?v b" ; aigeo:owns ?v . <urn:x> aigeo:owns ?v',
            "not <urn:x>",
        ),
    ],
)
def test_a_wrong_rerun_line_names_the_file_and_line(tmp_path, header, template, message):
    folder = tmp_path / "construct"
    _construct(
        folder,
        "1.rq",
        f"{_PREFIX}# a comment\n{header}\nCONSTRUCT {{ {template} }} WHERE {{ ?s aigeo:owns ?v }}\n",
    )
    with pytest.raises(DataError) as caught:
        _derive([], folder)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("construct/1.rq", 3)
    assert message in problem.message


def test_a_template_with_the_line_may_use_a_semicolon_and_a_dot_in_a_string(tmp_path):
    folder = tmp_path / "construct"
    _construct(
        folder,
        "1.rq",
        _PREFIX
        + '#+ rerun-for: s\nCONSTRUCT { ?s aigeo:note "a. b" ; aigeo:owns ?v } WHERE { ?s aigeo:owns ?v }\n',
    )
    _derive(_claim_quads("a", "b"), folder)  # no DataError


def test_a_change_of_vocabulary_derives_everything_again(tmp_path):
    folder = tmp_path / "construct"
    _construct(folder, "1-truthy.rq", _TRUTHY)
    quads = _claim_quads("a", "b")
    before, first = _derive(quads, folder)
    schema = Quad(
        NamedNode(_ONT + "owns"),
        NamedNode("http://www.w3.org/2000/01/rdf-schema#subPropertyOf"),
        NamedNode(_ONT + "controls"),
        NamedNode(graph_iri("doc/t")),
    )
    previous = PreviousDerived(_derived_lines(before), set(first.whole), [schema], [])
    _, again = _derive([*quads, schema], folder, previous)
    assert again.kept is None
