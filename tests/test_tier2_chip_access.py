"""The Tier-2/H100 question, checked against an answer computed here without SPARQL.

The expected set is worked out in plain Python from pycountry and the curated sheets read with
PyYAML: ISO 3166-1 entries, less those the sheets place in Tier 1 or 3 (directly, through
Country Group D:5 = ITAR 126.1, or as part of China), less the US, less ISO 3166-2 dependent
territories no sheet places, less the countries where a sheet records a cluster with the chip.
"""

from __future__ import annotations

import csv
import io

import pycountry
import pytest
import yaml

from kg.cli import main

QUESTION = "tier2-countries-without-chip-access"
DEPENDENT = {
    "Outlying area",
    "Special administrative region",
    "Overseas collectivity",
    "Overseas collectivity with special status",
    "Overseas territory",
    "Country",
}


def _claims(root):
    for sheet in sorted((root / "data/facts").glob("*.yaml")):
        for claim in yaml.safe_load(sheet.read_text(encoding="utf-8"))["claims"]:
            for subject in claim.get("subjects") or [claim["subject"]]:
                yield subject, claim["property"], claim["value"]


def _expected(root, chip: str) -> set[str]:
    claims = list(_claims(root))
    codes = {c.alpha_2 for c in pycountry.countries}
    placed = {s.split("/")[1] for s, p, v in claims if p == "inTier" and not v.endswith("/2")}
    placed |= {s.split("/")[1] for s, p, v in claims if p == "inCountryGroup" and v == "group/itar-126-1"}
    placed |= {s.split("/")[1] for s, p, v in claims if p == "controlledAsPartOf"}
    dependent = {
        sub.code.split("-", 1)[1]
        for sub in pycountry.subdivisions
        if sub.type in DEPENDENT and sub.code.split("-", 1)[1] in codes
    }
    located = {s: v.split("/")[1] for s, p, v in claims if p == "locatedIn"}
    with_chip = {located[s] for s, p, v in claims if p == "usesChip" and v == chip and s in located}
    return codes - placed - {"US"} - dependent - with_chip


@pytest.mark.parametrize("chip, key", [("H100", "chip/h100"), ("H800", "chip/h800")])
def test_answer_matches_independent_computation(in_built, capsys, chip, key):
    assert main(["query", QUESTION, "-p", f"chip={chip}", "-f", "csv"]) == 0
    got = {row["iso2"] for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert got == _expected(in_built, key)


@pytest.mark.parametrize(
    "iso2, present, why",
    [
        ("IL", False, "INSS records a planned H100 supercomputer in Israel"),
        ("IN", True, "Tier 2 (CSIS, ORF America) and no H100 recorded"),
        ("YE", True, "Tier 2 per CSIS"),
        ("DE", False, "Tier 1 per CSIS"),
        ("TW", False, "Tier 1 per CSIS"),
        ("CN", False, "Tier 3 per CSIS"),
        ("MO", False, "Tier 3 per Freshfields"),
        ("HK", False, "Tier 3 as part of China since FR Doc. 2020-28101"),
        ("US", False, "the rule's own jurisdiction"),
        ("PR", False, "a US outlying area in ISO 3166-2, placed by no claim"),
    ],
)
def test_sourced_spot_checks(in_built, capsys, iso2, present, why):
    assert main(["query", QUESTION, "-f", "csv"]) == 0
    got = {row["iso2"] for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert (iso2 in got) is present, why


def test_israel_appears_for_a_chip_it_has_no_record_of(in_built, capsys):
    assert main(["query", QUESTION, "-p", "chip=H800", "-f", "csv"]) == 0
    assert "IL" in {row["iso2"] for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}


@pytest.mark.parametrize(
    "name",
    ["H100", "h100", "NVIDIA H100", "chip/h100", "id:chip/h100", "https://w3id.org/aigeo/id/chip/h100"],
)
def test_chip_parameter_accepts_names_keys_and_iris(in_built, capsys, name):
    assert main(["query", QUESTION, "-p", "chip=H100", "-f", "csv"]) == 0
    default = capsys.readouterr().out
    assert main(["query", QUESTION, "-p", f"chip={name}", "-f", "csv"]) == 0
    assert capsys.readouterr().out == default


def test_hostile_parameter_value_matches_nothing_and_changes_nothing(in_built, capsys):
    hostile = 'H100" } DROP ALL ; SELECT * WHERE { "'
    graph = (in_built / "dist/graph.nq").read_bytes()
    assert main(["query", QUESTION, "-p", f"chip={hostile}"]) == 2
    assert "unknown Chip" in capsys.readouterr().err
    assert (in_built / "dist/graph.nq").read_bytes() == graph
