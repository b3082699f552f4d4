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
