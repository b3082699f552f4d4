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
