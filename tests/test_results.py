"""The result writers follow the W3C formats: checked against pyoxigraph's own serialisers."""

from __future__ import annotations

import json

import pytest
from pyoxigraph import QueryResultsFormat, Store

from kg.results import ResultTable, to_csv, to_json, to_tsv

QUERY = """
SELECT ?iri ?he ?n ?d ?plain ?unbound WHERE {
  VALUES (?iri ?he ?n ?d ?plain ?unbound) {
    (<https://w3id.org/aigeo/id/country/IL> "ישראל"@he 1500 "5.576"^^<http://www.w3.org/2001/XMLSchema#decimal>
     "a \\"quoted\\", comma" UNDEF)
    (<https://w3id.org/aigeo/id/chip/h100> "x\\ty"@en -3 "2025-01"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>
     "line\\nbreak" UNDEF)
  }
}
"""


def _both(fmt):
    store = Store()
    theirs = store.query(QUERY).serialize(format=fmt).decode("utf-8")
    ours = ResultTable.read(store.query(QUERY))
    return ours, theirs


def test_json_matches_pyoxigraph():
    ours, theirs = _both(QueryResultsFormat.JSON)
    assert json.loads(to_json(ours)) == json.loads(theirs)


def test_csv_matches_pyoxigraph():
    ours, theirs = _both(QueryResultsFormat.CSV)
    assert to_csv(ours) == theirs


@pytest.mark.parametrize("row", [0, 1])
def test_tsv_matches_pyoxigraph(row):
    ours, theirs = _both(QueryResultsFormat.TSV)
    assert to_tsv(ours).splitlines()[row + 1] == theirs.splitlines()[row + 1]
    assert to_tsv(ours).splitlines()[0] == theirs.splitlines()[0]


def _display_width(text: str) -> int:
    """Columns a terminal gives ``text``: wide East Asian characters take two, marks none."""
    import unicodedata

    return sum(
        0
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Cf", "Mn")
        else 2
        if unicodedata.east_asian_width(ch) in "WF"
        else 1
        for ch in text
    )


def test_text_table_aligns_by_display_width():
    from kg.results import text_table

    cells = ["plain", "ישראל", "中国芯片", "e\u0301te", "a\u200eb", "x" * 12, "مصر", ""]
    rows = [[c, str(i)] for i, c in enumerate(cells)]
    lines = text_table(["name", "n"], rows).splitlines()
    # the second column starts at the same display column on every line (the count line aside)
    starts = set()
    for line, row in zip(lines[2:-1], rows, strict=True):
        first = line[: line.rindex(row[1])]
        starts.add(_display_width(first))
    assert starts == {_display_width("x" * 12) + 2}
    assert lines[-1] == f"({len(rows)} rows)"
    # right-to-left cells are followed by a left-to-right mark, the others not
    assert "ישראל\u200e" in lines[3] and "مصر\u200e" in lines[8] and "\u200e" not in lines[2]
