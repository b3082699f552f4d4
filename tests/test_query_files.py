"""Every query file has a well-formed header and prepares; headers agree with their bindings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Store

from kg.queries import find_queries, parse_query
from kg.safety import check_query

ROOT = Path(__file__).resolve().parent.parent
ALL = sorted((ROOT / "queries").glob("*/*.rq"))


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_query_prepares_on_an_empty_store(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#+ "), "a query file opens with its #+ header"
    check_query(text)
    Store().query(text)  # raises SyntaxError when malformed


@pytest.mark.parametrize("path", sorted((ROOT / "queries/cq").glob("*.rq")), ids=lambda p: p.stem)
def test_competency_question_header(path):
    q = parse_query(path.read_text(encoding="utf-8"), path.stem, path)
    assert q.question.endswith("?")
    assert q.returns
    for param in q.params.values():
        assert f"?{param.name}" in q.text, f"parameter {param.name} is not used in the query"
        bound = q.bind({})
        Store().query(bound)


@pytest.mark.parametrize("path", sorted((ROOT / "queries/qc").glob("*.rq")), ids=lambda p: p.stem)
def test_quality_check_projects_focus_and_message_and_orders(path):
    text = path.read_text(encoding="utf-8")
    solutions = Store().query(text)
    assert [v.value for v in solutions.variables][:2] == ["focus", "message"]
    assert "ORDER BY" in text


def test_construct_files_are_constructs():
    for path in sorted((ROOT / "queries/construct").glob("*.rq")):
        assert "CONSTRUCT" in path.read_text(encoding="utf-8"), path.name


def test_find_queries_names_by_file():
    assert "tier2-countries-without-chip-access" in find_queries(ROOT / "queries/cq")


def _bound_cases():
    """(question, {parameter: text}) for each golden case and each question's header examples."""
    from kg.yamlfile import load_text

    goldens = ROOT / "queries" / "cq" / "goldens" / "cases.yaml"
    for question, cases in load_text(goldens.read_text(encoding="utf-8"), "cases.yaml").items():
        for spec in cases.values():
            yield question, {k: str(v) for k, v in spec.get("params", {}).items()}
    for name, query in find_queries(ROOT / "queries" / "cq").items():
        examples = {k: p.example for k, p in query.params.items() if p.example is not None}
        if examples:
            yield name, examples


def test_a_filled_mark_changes_no_answer(built_store):
    """A ``VALUES ?x { UNDEF }`` mark is a plan: filled or left empty, the rows are the same."""
    from collections import Counter

    from kg.queries import convert_value
    from kg.store import EntityResolver, embedded_runner

    run = embedded_runner(built_store)
    resolver = EntityResolver(run)
    questions = find_queries(ROOT / "queries" / "cq")
    filled = Counter()
    for name, texts in _bound_cases():
        query = questions[name]
        values = {k: convert_value(query.params[k], v, resolver.resolve) for k, v in texts.items()}
        marked, plain = query.bind(values), query.bind(values, marks=False)
        if marked == plain:
            continue
        rows = Counter(tuple(map(str, row)) for row in run(marked))
        assert rows == Counter(tuple(map(str, row)) for row in run(plain)), (name, texts)
        filled[name] += bool(rows)
    # each marked question has a case with an answer, so the comparison above is not vacuous
    assert set(filled) >= {"disputed-figures", "timeline"} and all(filled.values()), filled


def test_a_mark_is_filled_only_for_a_bound_parameter():
    text = (
        "#+ question: Q?\n#+ param: e type=entity optional\n#+ param: n type=integer optional\n"
        "#+ returns: x\n"
        "SELECT ?x WHERE {\n  # VALUES ?e { UNDEF } in a comment stays\n"
        "  { SELECT ?x WHERE { VALUES ?e { UNDEF } VALUES ?n {UNDEF} ?x <urn:x:p> ?e } }\n}"
    )
    q = parse_query(text, "t")
    bound = q.bind({"e": "<urn:x:a>"})
    assert "VALUES (?e ?n) { (<urn:x:a> UNDEF) }" in bound
    assert "{ SELECT ?x WHERE { VALUES ?e { <urn:x:a> } VALUES ?n {UNDEF} ?x <urn:x:p> ?e } }" in bound
    assert "# VALUES ?e { UNDEF } in a comment stays" in bound
    assert "VALUES ?e { UNDEF } VALUES" in q.bind({"e": "<urn:x:a>"}, marks=False)
    Store().query(bound)


def test_a_mark_for_no_parameter_names_its_line():
    from kg.problems import UsageError

    text = "#+ question: Q?\n#+ param: e type=entity optional\n#+ returns: x\n"
    text += "SELECT ?x WHERE {\n VALUES ?f { UNDEF } }"
    with pytest.raises(UsageError, match=r"q\.rq:5 VALUES \?f \{ UNDEF \} marks where"):
        parse_query(text, "q", Path("q.rq"))


def test_a_misplaced_mark_is_caught_by_the_comparison():
    """A mark in a subquery that does not project its variable narrows another variable:
    the answer changes, which the comparison above reports."""
    store = Store()
    store.update("INSERT DATA { <urn:x:1> <urn:x:p> <urn:x:a> . <urn:x:2> <urn:x:p> <urn:x:b> . }")
    text = (
        "#+ question: Q?\n#+ param: e type=entity optional\n#+ returns: n\n"
        "SELECT ?n ?e WHERE { { SELECT (COUNT(*) AS ?n) WHERE { VALUES ?e { UNDEF } ?s <urn:x:p> ?e } } "
        "<urn:x:1> <urn:x:p> ?e }"
    )
    q = parse_query(text, "t")
    counts = [
        [str(row["n"]) for row in store.query(q.bind({"e": "<urn:x:a>"}, marks=m))] for m in (True, False)
    ]
    assert counts[0] != counts[1]
