"""A rebuild copies the unchanged graphs' lines from the previous build's ``graph.nq``
(kg.previous), and its files are the same bytes as a build from scratch of the same data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import NamedNode, Quad, RdfFormat, Store, parse, serialize

from kg.assembly import Assembly
from kg.build import INFERRED_GRAPH
from kg.checks import shacl_reuse
from kg.cli import main
from kg.iris import ID, graph_iri
from kg.previous import RECORD_FILE
from kg.rules import TYPE, as_quads, owl_rl_rules, owl_rl_rules_after

SHEET = "data/facts/inss-2025-02-deepseek-israel.yaml"
DOC_GRAPH = graph_iri("doc/inss-2025-02-deepseek-israel")


def _build(capsys, *argv: str) -> int:
    code = main(["build", "--quiet", *argv])
    err = capsys.readouterr().err
    assert code == 0, err
    return code


def _report(root: Path, out: str = "dist") -> dict:
    return json.loads((root / out / "build-report.json").read_text(encoding="utf-8"))


def _record(root: Path, out: str = "dist") -> dict:
    return json.loads((root / out / RECORD_FILE).read_text(encoding="utf-8"))


def _files(root: Path, out: str = "dist") -> dict[str, bytes]:
    return {name: (root / out / name).read_bytes() for name in ("graph.nq", "inferred.nq")}


def _edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _cold(capsys, project: Path, tmp_path_factory) -> Path:
    """A build of the project's data from scratch, in a folder of its own."""
    cold = tmp_path_factory.mktemp("cold")
    _build(capsys, "--data", str(project / "data"), "--out", str(cold / "dist"))
    assert _report(cold)["outputs"]["graphs_copied"] == 0
    return cold


def test_the_record_says_where_each_graph_is(project_built):
    record, report = _record(project_built), _report(project_built)
    data = (project_built / "dist" / "graph.nq").read_bytes()
    spans = sorted(record["graphs"].items(), key=lambda item: item[1][0])
    assert [iri for iri, _ in spans] == sorted(record["graphs"])  # graphs in IRI order
    position = 0
    for iri, (offset, length, triples) in spans:
        assert offset == position
        lines = data[offset : offset + length].splitlines()
        if iri:
            assert triples == report["counts"]["triples_per_graph"][iri]
            assert all(line.endswith(f" <{iri}> .".encode()) for line in lines)
        assert len(lines) == triples
        position += length
    assert position == len(data)
    assert set(record["sheets"]) == {p.stem for p in (project_built / "data" / "facts").glob("*.yaml")}


def test_a_changed_sheet_rewrites_only_its_own_and_the_computed_graphs(
    project_built, capsys, tmp_path_factory
):
    before = _record(project_built)
    _edit(project_built, SHEET, "confidence: medium", "confidence: low")
    _build(capsys)
    outputs = _report(project_built)["outputs"]
    # written: the default graph, the changed document's graph and the derived graph
    assert outputs["graphs_written"] == 3
    assert outputs["graphs_copied"] == len(before["graphs"]) - 3
    after = _record(project_built)
    assert after["sheets"][DOC_GRAPH.rsplit("/", 1)[1]] != before["sheets"][DOC_GRAPH.rsplit("/", 1)[1]]
    assert after["graphs"][DOC_GRAPH] != before["graphs"][DOC_GRAPH]  # one more or less byte
    assert _files(project_built) == _files(_cold(capsys, project_built, tmp_path_factory))


def test_a_changed_rank_derives_again_about_its_subject_alone(project_built, capsys, tmp_path_factory):
    """A claim ranked deprecated no longer is: its plain triple appears in the derived graph,
    derived again only about that claim's subject."""
    _edit(project_built, SHEET, "    rank: deprecated\n", "")
    _build(capsys)
    derive = _report(project_built)["checks"]["derive"]
    assert derive["incremental"] is True
    assert derive["rerun_subjects"] == 1
    assert derive["triples_added"]["01-truthy"] >= 1
    assert _files(project_built) == _files(_cold(capsys, project_built, tmp_path_factory))
    # SHACL's context sum, updated by the change, is the sum of the graph written
    store = Store()
    store.load(path=str(project_built / "dist" / "graph.nq"), format=RdfFormat.N_QUADS)
    recorded = _record(project_built)["shacl_context_sum"]
    assert int(recorded, 16) == shacl_reuse.context_sum(store)


def test_a_new_and_a_removed_sheet_give_the_files_of_a_build_from_scratch(
    project_built, capsys, tmp_path_factory
):
    facts = project_built / "data" / "facts"
    (facts / "aiwiki-nvidia-h200.yaml").unlink()
    _build(capsys)
    assert _report(project_built)["outputs"]["graphs_copied"] > 0
    assert _files(project_built) == _files(_cold(capsys, project_built, tmp_path_factory))


def test_a_changed_entity_sheet_copies_nothing(project_built, capsys, tmp_path_factory):
    _edit(project_built, "data/entities/places.yaml", "\n", "\n# an edited comment\n")
    _build(capsys)
    assert _report(project_built)["outputs"]["graphs_copied"] == 0
    assert _files(project_built) == _files(_cold(capsys, project_built, tmp_path_factory))


def test_a_previous_file_touched_since_its_build_is_not_copied_from(project_built, capsys):
    first = _files(project_built)
    graph = project_built / "dist" / "graph.nq"
    stat = graph.stat()
    os.utime(graph, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    _build(capsys)
    assert _report(project_built)["outputs"]["graphs_copied"] == 0
    assert _files(project_built) == first


def test_a_previous_inferred_file_out_of_order_is_reasoned_again(project_built, capsys):
    """The incremental path merges into the previous file's sorted lines; lines in another
    order (not a build's) make the build reason from scratch, to the same bytes."""
    first = _files(project_built)
    inferred = project_built / "dist" / "inferred.nq"
    inferred.write_bytes(b"".join(reversed(first["inferred.nq"].splitlines(keepends=True))))
    _build(capsys)
    assert _report(project_built)["checks"]["owl_rl"]["incremental"] is False
    assert _files(project_built) == first


def test_a_graph_whose_triple_count_moved_is_dumped_not_copied(project_built, capsys):
    """The record is checked against the new store: a wrong count in it costs a dump, not bytes."""
    first = _files(project_built)
    record_path = project_built / "dist" / RECORD_FILE
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["graphs"][DOC_GRAPH][2] += 1
    record_path.write_text(json.dumps(record), encoding="utf-8")
    _build(capsys)
    report = _report(project_built)
    assert report["fallbacks"] == [
        "derive, shacl, reason, qc: a graph the previous build's record called unchanged has "
        "changed; checked again from scratch"
    ]
    assert report["checks"]["derive"]["incremental"] is False
    assert report["checks"]["owl_rl"]["incremental"] is False
    outputs = report["outputs"]
    assert outputs["graphs_written"] == 3  # default, the miscounted document, derived
    assert outputs["graphs_copied"] == len(record["graphs"]) - 3
    assert _files(project_built) == first


def test_the_record_is_checked_when_the_derived_graph_makes_the_change_large(
    project_built, capsys, monkeypatch, tmp_path_factory
):
    """Derive takes the previous build's lines on the record's word. When the derived graph
    then makes the change too large for OWL RL to work from, the record is still checked."""
    import kg.build

    record_path = project_built / "dist" / RECORD_FILE
    record = json.loads(record_path.read_text(encoding="utf-8"))
    other = next(g for g in sorted(record["graphs"]) if "/graph/doc/" in g and g != DOC_GRAPH)
    record["graphs"][other][2] += 1  # a graph the edit below leaves alone
    record_path.write_text(json.dumps(record), encoding="utf-8")
    _edit(project_built, SHEET, "    rank: deprecated\n", "")
    calls = []

    def small(change) -> bool:  # the comparison before deriving is small; with it, not
        calls.append(change)
        return len(calls) == 1

    with monkeypatch.context() as patched:  # (undo() would also undo the fixture's chdir)
        patched.setattr(kg.build, "_small", small)
        _build(capsys)
    report = _report(project_built)
    assert report["fallbacks"] == [
        "derive, shacl, reason, qc: a graph the previous build's record called unchanged has "
        "changed; checked again from scratch"
    ]
    assert _files(project_built) == _files(_cold(capsys, project_built, tmp_path_factory))


# --- OWL RL after a change --------------------------------------------------------------------

_ONT = "https://w3id.org/aigeo/ontology#"
#: predicates a change draws from: each kind of axiom the rules implement, and plain ones
_PREDICATES = [
    "subsidiaryOf", "parentOf", "partOf", "locatedIn", "derivedFromModel", "comparableTo", "sameMembersAs",
    "developedBy", "develops", "usesChip", "baseModel", "distilledFrom", "owns", "ownedBy", "funds",
    "claimant", "reportedIn", "subject", "vendor", "founderOf", "ceoOf",
]  # fmt: skip
_CLASSES = ["Country", "Organization", "AIModel", "Chip", "ComputeCluster", "ThinkTank", "Person", "Document"]


@pytest.fixture(scope="module")
def curated_quads(built) -> list[Quad]:
    return list(parse(path=str(built / "dist" / "graph.nq"), format=RdfFormat.N_QUADS))


def _inferred_lines(triples) -> set[bytes]:
    quads = as_quads(triples, INFERRED_GRAPH)
    return set(serialize(quads, format=RdfFormat.N_QUADS).splitlines(keepends=True)) if quads else set()


#: transitive predicates and those that lead to them, by the class their nodes get
_CHAIN_FAMILIES = {
    "place": ["locatedIn"],
    "organisation": ["subsidiaryOf", "parentOf", "partOf"],
    "model": ["derivedFromModel", "baseModel", "distilledFrom"],
}


def _chain_edge(graphs: list[NamedNode]):
    """An edge of a transitive family between two of four new nodes of that family."""

    def edge(family: str):
        node = st.integers(0, 3).map(lambda i: NamedNode(f"{ID}test/{family}-{i}"))
        predicate = st.sampled_from(_CHAIN_FAMILIES[family]).map(lambda p: NamedNode(_ONT + p))
        return st.builds(Quad, node, predicate, node, st.sampled_from(graphs))

    return st.sampled_from(sorted(_CHAIN_FAMILIES)).flatmap(edge)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_rules_after_a_change_equal_the_rules_on_the_changed_store(curated_quads, data):
    """Remove some quads and add others (every kind of axiom, transitive chains, clashing
    types); what the incremental rules keep and add is what the rules give from scratch."""
    entities = sorted(
        {
            q.subject
            for q in curated_quads
            if q.subject.value.startswith(str(ID)) and "/claim/" not in q.subject.value
        },
        key=str,
    )
    graphs = sorted({q.graph_name for q in curated_quads}, key=str)
    # transitive chains among a few new nodes, a pool per family of predicates (so no clash)
    chains = data.draw(st.lists(_chain_edge(graphs), max_size=12, unique=True))
    before = Store()
    before.extend(curated_quads)
    before.extend(chains)
    previous, problems = owl_rl_rules(before, Assembly())
    assert problems == []

    removable = [q for q in curated_quads if q.graph_name != NamedNode(graph_iri("ontology"))]
    removable += chains
    # every quad about a few nodes, so that types lose their only support; and a few quads more
    gone = {entities[i] for i in data.draw(st.lists(st.integers(0, len(entities) - 1), max_size=3))}
    removed = [q for q in removable if q.subject in gone or q.object in gone]
    removed += [removable[i] for i in data.draw(st.lists(st.integers(0, len(removable) - 1), max_size=20))]
    # and edges the property rules read, so that a transitive chain loses a middle link
    edges_in = [q for q in removable if q.predicate.value[len(_ONT) :] in _PREDICATES]
    removed += [edges_in[i] for i in data.draw(st.lists(st.integers(0, len(edges_in) - 1), max_size=8))]
    if chains:
        removed += data.draw(st.lists(st.sampled_from(chains), max_size=4))
    removed = list(dict.fromkeys(removed))
    # (a lambda, not the list's __getitem__, whose repr would print the whole list)
    pick = st.integers(0, len(entities) - 1).map(lambda i: entities[i])
    in_graph = st.integers(0, len(graphs) - 1).map(lambda i: graphs[i])
    predicate = st.sampled_from(_PREDICATES).map(lambda p: NamedNode(_ONT + p))
    cls = st.sampled_from(_CLASSES).map(lambda c: NamedNode(_ONT + c))
    edges = st.builds(Quad, pick, predicate, pick, in_graph)
    types = st.builds(Quad, pick, st.just(TYPE), cls, in_graph)
    added = data.draw(st.lists(st.one_of(edges, types, _chain_edge(graphs)), max_size=30, unique=True))
    after = Store()
    after.extend(curated_quads)
    after.extend(chains)
    for q in removed:
        after.remove(q)
    added = [q for q in added if q not in after]
    after.extend(added)

    expected, expected_problems = owl_rl_rules(after, Assembly())
    kept, dropped, new, found = owl_rl_rules_after(
        after, Assembly(), added, removed, sorted(_inferred_lines(previous))
    )
    assert set(kept) | _inferred_lines(new) == _inferred_lines(expected)
    assert sorted(kept + dropped) == sorted(_inferred_lines(previous))
    assert [p.message for p in found] == [p.message for p in expected_problems]


def test_a_rebuild_reasons_about_the_change_alone(project_built, capsys):
    _build(capsys)  # no change: nothing to reason about again, every line kept
    owl = _report(project_built)["checks"]["owl_rl"]
    assert owl["incremental"] is True
    _edit(project_built, SHEET, "confidence: medium", "confidence: low")
    _build(capsys)
    again = _report(project_built)["checks"]["owl_rl"]
    assert again["incremental"] is True
    assert again["inferred_triples"] == owl["inferred_triples"]


def test_a_changed_entity_sheet_reasons_over_the_whole_store(project_built, capsys):
    _edit(project_built, "data/entities/places.yaml", "\n", "\n# an edited comment\n")
    _build(capsys)
    assert _report(project_built)["checks"]["owl_rl"]["incremental"] is False
