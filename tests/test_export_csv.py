"""kg export csv: one table per entity kind and claims.csv, UTF-8 with a header row, each row
checked against the build."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

ID = "https://w3id.org/aigeo/id/"


@pytest.fixture(scope="module")
def tables(kg_export, tmp_path_factory):
    folder = tmp_path_factory.mktemp("csv") / "tables"
    code, _out, err = kg_export("csv", "-o", str(folder))
    assert code == 0, err
    return folder


def _rows(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_files_are_utf8_with_bom_and_a_header(tables):
    for path in tables.glob("*.csv"):
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), path.name
        header = data[3:].split(b"\r\n", 1)[0].decode("utf-8")
        assert header.split(",")[0] in ("id", "claim"), path.name


def test_one_table_per_kind_with_every_entity(tables, built_store):
    rows = {p.stem: _rows(p) for p in tables.glob("*.csv") if p.stem != "claims"}
    assert {"country", "organisation", "chip", "model", "document"} <= set(rows)
    assert "currency" not in rows
    countries = int(
        next(
            iter(
                built_store.query(
                    "SELECT (COUNT(DISTINCT ?c) AS ?n) "
                    "WHERE { ?c a <https://w3id.org/aigeo/ontology#Country> }",
                    use_default_graph_as_union=True,
                )
            )
        )["n"].value
    )
    assert len(rows["country"]) == countries
    israel = next(r for r in rows["country"] if r["id"] == "country/IL")
    assert (israel["label_he"], israel["label_ar"], israel["iso2"]) == ("ישראל", "إسرائيل", "IL")
    assert israel["inTier"].startswith("Tier 2")
    h100 = next(r for r in rows["chip"] if r["id"] == "chip/h100")
    assert h100["vendor"] == "NVIDIA" and float(h100["memoryGB"]) == 80


def test_claims_carry_verbatim_quotes_and_sources(tables, built_store):
    claims = _rows(tables / "claims.csv")
    held = {
        r["c"].value[len(ID) + len("claim/") :]: (
            r["quote"].value,
            r["doc"].value[len(ID) :],
            int(r["start"].value),
        )
        for r in built_store.query(
            """PREFIX aigeo: <https://w3id.org/aigeo/ontology#> PREFIX oa: <http://www.w3.org/ns/oa#>
            SELECT ?c ?quote ?doc ?start WHERE {
              ?c a aigeo:Claim ; aigeo:reportedIn ?doc ; aigeo:evidence/oa:hasSelector ?q , ?p .
              ?q oa:exact ?quote . ?p oa:start ?start }""",
            use_default_graph_as_union=True,
        )
    }
    assert len(claims) == len(held)
    assert Counter(r["claim"] for r in claims).most_common(1)[0][1] == 1
    for row in claims:
        quote, doc, start = held[row["claim"]]
        assert (row["quote"], row["document"], int(row["start"])) == (quote, doc, start)
    assert any(r["language"] == "he" for r in claims) and any(r["language"] == "ar" for r in claims)
    assert {"asserted", "disputed"} <= {r["status"].lower() for r in claims}


def test_replacing_a_previous_export_leaves_only_the_new_files(kg_export, tables):
    (tables / "stale.csv").write_text("old\n", encoding="utf-8")
    assert kg_export("csv", "-o", str(tables), "--kinds", "chip")[0] == 0
    assert sorted(p.name for p in tables.glob("*.csv")) == ["chip.csv", "claims.csv"]
    assert kg_export("csv", "-o", str(tables))[0] == 0
