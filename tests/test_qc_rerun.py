"""The quality checks' ``#+ rerun-for:`` promise (kg.checks.qc): after a change, the rows of
the whole store are the earlier rows none of whose listed variables is bound to a changed node,
together with the rows the check finds when run for the changed nodes only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store

from kg.checks.qc import check_rows, rerun_variables
from kg.cli import main
from kg.iris import ID, graph_iri
from kg.problems import DataError

ROOT = Path(__file__).resolve().parents[1]
CHECKS = sorted((ROOT / "queries" / "qc").glob("*.rq"))
_ONT = "https://w3id.org/aigeo/ontology#"
_OWL = "http://www.w3.org/2002/07/owl#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_DOC = NamedNode(graph_iri("doc/test-change"))  # a graph a rebuild can change
_ENTITIES = NamedNode(graph_iri("entities"))


def _n(text: str) -> NamedNode:
    """``aigeo:X`` in the ontology, ``owl:X``, ``rdfs:X``, ``rdf:type``, else a data IRI."""
    for prefix, base in (("aigeo:", _ONT), ("owl:", _OWL), ("rdfs:", _RDFS)):
        if text.startswith(prefix):
            return NamedNode(base + text[len(prefix) :])
    if text.startswith("http"):
        return NamedNode(text)
    return NamedNode(_RDF_TYPE if text == "a" else ID + text)


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _q(s: str, p: str, o: str | Literal, graph: NamedNode = _DOC) -> Quad:
    return Quad(_n(s), _n(p), o if isinstance(o, Literal) else _n(o), graph)


CLAIM, RULE = "claim/test/a", "rule/ai-diffusion-2025"
#: One change per variable a check is rerun for, in which only that variable's node changes and
#: the check gains a row, by variable: (check, triples added before, removed, added).
SCENARIOS = {
    "subject": ("claim-subject-outside-domain", [
        _q(CLAIM, "a", "aigeo:Claim"), _q(CLAIM, "aigeo:property", "aigeo:inTier"),
        _q(CLAIM, "aigeo:subject", "org/test-x"), _q("org/test-x", "a", "aigeo:Country"),
    ], [_q("org/test-x", "a", "aigeo:Country")], []),
    "property-domain": ("claim-subject-outside-domain", [
        _q(CLAIM, "a", "aigeo:Claim"), _q(CLAIM, "aigeo:property", "property/test-p"),
        _q(CLAIM, "aigeo:subject", "org/test-x"), _q("property/test-p", "a", "owl:ObjectProperty"),
    ], [], [_q("property/test-p", "rdfs:domain", "aigeo:Country")]),
    "value": ("claim-value-outside-range", [
        _q(CLAIM, "a", "aigeo:Claim"), _q(CLAIM, "aigeo:property", "aigeo:usesChip"),
        _q(CLAIM, "aigeo:value", "org/test-x"), _q("org/test-x", "a", "aigeo:Chip"),
    ], [_q("org/test-x", "a", "aigeo:Chip")], []),
    "property": ("claim-property-not-in-ontology", [
        _q(CLAIM, "a", "aigeo:Claim"), _q(CLAIM, "aigeo:property", "property/test-p"),
        _q("property/test-p", "a", "owl:ObjectProperty"),
    ], [_q("property/test-p", "a", "owl:ObjectProperty")], []),
    "document": ("claim-reported-in-unheld-document", [
        _q(CLAIM, "a", "aigeo:Claim"), _q(CLAIM, "aigeo:reportedIn", "document/test-d"),
        _q("document/test-d", "aigeo:textFile", Literal("t.txt")),
    ], [_q("document/test-d", "aigeo:textFile", Literal("t.txt"))], []),
    "tier": ("country-in-two-tiers", [
        _q("country/ZW", "aigeo:inTier", "tier/aa-test"),
    ], [], [_q("tier/aa-test", "aigeo:tierOf", RULE)]),
    "other": ("country-in-two-tiers", [
        _q("country/ZW", "aigeo:inTier", "tier/zz-test"),
    ], [], [_q("tier/zz-test", "aigeo:tierOf", RULE)]),
    "focus": ("entity-without-preferred-label", [
        _q("org/test-x", "a", "aigeo:Organisation", _ENTITIES),
        _q("org/test-x", "http://www.w3.org/2004/02/skos/core#prefLabel", Literal("X", language="en")),
    ], [_q("org/test-x", "http://www.w3.org/2004/02/skos/core#prefLabel", Literal("X", language="en"))], []),
}  # fmt: skip


@pytest.fixture(scope="module")
def base(built) -> Store:
    store = Store()
    for name in ("graph.nq", "inferred.nq"):
        store.load(path=str(built / "dist" / name), format=RdfFormat.N_QUADS)
    return store


def _changed(base: Store, earlier, removed, added) -> tuple[Store, Store, set]:
    before = Store()
    before.extend(base)
    before.extend(earlier)
    after = Store()
    after.extend(before)
    for q in removed:
        after.remove(q)
    after.extend(added)
    return before, after, {q.subject for q in set(before).symmetric_difference(after)}


def _whole_rows_are_kept_and_rerun_rows(before: Store, after: Store, changed: set) -> dict[str, set]:
    """Assert the promise for every check; return each check's rows that the change added."""
    gained = {}
    for path in CHECKS:
        listed = rerun_variables(path.read_text(encoding="utf-8"))
        names, rows_before = check_rows(before, path)
        keep = [names.index(v) for v in listed if v in names]
        kept = {row for row in rows_before if not any(row[i] in changed for i in keep)}
        _, rerun = check_rows(after, path, changed)
        _, whole = check_rows(after, path)
        assert set(whole) == kept | set(rerun), path.stem
        gained[path.stem] = set(whole) - set(rows_before)
    return gained


def test_every_check_says_what_a_rebuild_reruns_it_for():
    for path in CHECKS:
        assert rerun_variables(path.read_text(encoding="utf-8")), path.name


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_change_to_one_listed_node_is_found_by_the_rerun(base, name):
    check, earlier, removed, added = SCENARIOS[name]
    before, after, changed = _changed(base, earlier, removed, added)
    assert _n(CLAIM) not in changed and _n("country/ZW") not in changed  # the focus did not change
    assert _whole_rows_are_kept_and_rerun_rows(before, after, changed)[check]  # and the check gained a row


_POOL = sorted({q for _, *parts in SCENARIOS.values() for quads in parts for q in quads}, key=str)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    earlier=st.sets(st.sampled_from(_POOL)),
    removed=st.sets(st.sampled_from(_POOL)),
    added=st.sets(st.sampled_from(_POOL)),
)
def test_rows_after_any_change_are_the_kept_rows_and_the_rerun_rows(base, earlier, removed, added):
    _whole_rows_are_kept_and_rerun_rows(*_changed(base, earlier, removed, added))


def test_a_rerun_for_line_naming_an_unused_variable_is_refused(tmp_path, base):
    check = tmp_path / "bad.rq"
    query = "SELECT ?focus ?message WHERE { ?focus ?p ?message } ORDER BY ?focus\n"
    check.write_text("#+ check: x\n#+ rerun-for: focus nowhere\n" + query, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        check_rows(base, check)
    assert caught.value.problems[0].line == 2
    assert "?nowhere" in caught.value.problems[0].message


SHEET = "data/facts/inss-2025-02-deepseek-israel.yaml"


def _build(capsys, *argv: str) -> tuple[int, str]:
    code = main(["build", "--quiet", *argv])
    return code, capsys.readouterr().err


def test_a_rebuild_reports_what_a_build_from_scratch_reports(
    project_built, capsys, tmp_path_factory, monkeypatch
):
    import kg.checks.qc

    seen: list = []  # the nodes each build's quality checks ran for (None: the whole store)
    real = kg.checks.qc.run_quality_checks
    monkeypatch.setattr(kg.checks.qc, "run_quality_checks", lambda *a: seen.append(a[4]) or real(*a))
    path = project_built / SHEET
    text = path.read_text(encoding="utf-8")
    wrong = "property: usesChip\n    value: org/deepseek"  # an organisation where a chip is expected
    path.write_text(text.replace("property: usesChip\n    value: chip/h100", wrong, 1), encoding="utf-8")
    code, rebuilt = _build(capsys)
    assert code == 1
    assert "[qc:claim-value-outside-range]" in rebuilt
    cold = tmp_path_factory.mktemp("cold")
    code, scratch = _build(capsys, "--data", str(project_built / "data"), "--out", str(cold / "dist"))
    assert code == 1
    assert rebuilt == scratch
    assert seen[0] and _n("claim/inss-2025-02-deepseek-israel/national-supercomputer-chip") in seen[0]
    assert seen[1] is None


def test_a_passing_rebuild_says_how_many_nodes_its_checks_ran_for(project_built, capsys):
    path = project_built / SHEET
    path.write_text(path.read_text(encoding="utf-8").replace("confidence: medium", "confidence: low", 1))
    assert _build(capsys)[0] == 0
    report = json.loads((project_built / "dist" / "build-report.json").read_text(encoding="utf-8"))
    assert report["checks"]["qc_changed_nodes"] > 0
    assert report["checks"]["owl_rl"]["incremental"] is True
