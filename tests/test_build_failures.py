"""A broken input fails the build with one located line per problem and changes no output."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from kg.cli import main


def _snapshot(out: Path) -> dict[str, str]:
    target = out.resolve()
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(target.iterdir())}


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture anchor {old!r} missing from {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


INSS = "data/facts/inss-2025-02-deepseek-israel.yaml"


def _breakages():
    """(id, file, edit old->new, expected message fragment, line anchor in the broken file)."""
    return [
        pytest.param(
            "ontology/compute.ttl",
            "aigeo:Chip a owl:Class ;",
            "aigeo:Chip a owl:Class ;;;; ]",
            "Turtle syntax error",
            "aigeo:Chip a owl:Class",
            id="turtle-syntax",
        ),
        pytest.param(
            INSS,
            "    property: locatedIn\n",
            "    property: [locatedIn\n",
            "YAML syntax error",
            None,
            id="yaml-syntax",
        ),
        pytest.param(
            INSS,
            "quote: הנמצא כיום בשלבי מכרז",
            "quote: הנמצא כיום בשלב מכרז",
            "quote not found; nearest passage",
            "quote: הנמצא כיום בשלב מכרז",
            id="quote-not-in-source",
        ),
        pytest.param(
            INSS,
            "value: country/IL",
            "value: country/XI",
            "unknown entity 'country/XI'",
            "value: country/XI",
            id="unknown-entity",
        ),
        pytest.param(
            INSS,
            "property: locatedIn",
            "property: locatedAt",
            "unknown property 'locatedAt'; did you mean locatedIn",
            "property: locatedAt",
            id="unknown-property",
        ),
        pytest.param(
            "data/sources/fr-2020-28101-hong-kong-removal.yaml",
            "  value: 2020-12-23",
            "  value: 2025-02-30",
            "invalid date '2025-02-30'",
            "value: 2025-02-30",
            id="impossible-date",
        ),
        pytest.param(
            INSS,
            "    value: 1500\n",
            "    value: many\n",
            "does not fit the range integer of chipCount",
            "value: many",
            id="value-wrong-type",
        ),
        pytest.param(INSS, "claimant: org/inss\n", "", "claim has no claimant", None, id="no-claimant"),
        pytest.param(
            INSS,
            "document: inss-2025-02-deepseek-israel\n",
            "",
            "fact sheet lacks required field 'document'",
            None,
            id="no-source",
        ),
        pytest.param(
            "data/facts/most-2025-01-28-deepseek-r1-brief.yaml",
            "unit: currency/USD",
            "unit: currency/USX",
            "unknown entity 'currency/USX'; did you mean",
            "unit: currency/USX",
            id="unknown-currency",
        ),
        pytest.param(
            "data/facts/most-2025-01-28-deepseek-r1-brief.yaml",
            "unit: currency/USD",
            "unit: org/nvidia",
            "a claim's unit must be a unit or an ISO 4217 currency",
            None,
            id="unit-not-a-unit",
        ),
    ]


@pytest.mark.parametrize("file, old, new, message, anchor", _breakages())
def test_broken_input_fails_with_located_error_and_keeps_outputs(
    project_built, capsys, file, old, new, message, anchor
):
    project = project_built
    before = _snapshot(project / "dist")
    _edit(project / file, old, new)

    assert main(["build", "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert re.fullmatch(r"\d+ errors? in stage '\w+'; nothing was written", err[-1])
    hits = [line for line in err[:-1] if message in line]
    assert hits, f"no error line mentions {message!r}: {err}"
    for line in err[:-1]:
        assert re.match(r"^ERROR \S+:\d+ ", line), line
    if anchor is not None:
        assert any(line.startswith(f"ERROR {file}:{_line_of(project / file, anchor)} ") for line in hits), (
            hits
        )
    else:
        assert any(line.startswith(f"ERROR {file}:") for line in hits), hits
    assert _snapshot(project / "dist") == before


def test_offsets_outside_the_text_are_reported(tmp_path):
    """The provenance check reads offsets from the graph, so a claim written by other means is checked too."""
    from pyoxigraph import Literal, NamedNode, Quad, Store

    from kg.assembly import Assembly
    from kg.checks.provenance import check_provenance
    from kg.sources import Source

    doc = "https://w3id.org/aigeo/id/doc/t"
    claim = "https://w3id.org/aigeo/id/claim/t/c"
    aigeo, oa = "https://w3id.org/aigeo/ontology#", "http://www.w3.org/ns/oa#"
    integer = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    g = NamedNode("https://w3id.org/aigeo/graph/doc/t")
    triples = [
        (claim, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", NamedNode(aigeo + "Claim")),
        (claim, aigeo + "reportedIn", NamedNode(doc)),
        (claim, aigeo + "evidence", NamedNode(claim + "#e")),
        (claim + "#e", oa + "hasSource", NamedNode(doc)),
        (claim + "#e", oa + "hasSelector", NamedNode(claim + "#q")),
        (claim + "#e", oa + "hasSelector", NamedNode(claim + "#p")),
        (
            claim + "#q",
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
            NamedNode(oa + "TextQuoteSelector"),
        ),
        (claim + "#q", oa + "exact", Literal("chips")),
        (
            claim + "#p",
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
            NamedNode(oa + "TextPositionSelector"),
        ),
        (claim + "#p", oa + "start", Literal("40", datatype=integer)),
        (claim + "#p", oa + "end", Literal("45", datatype=integer)),
    ]
    store = Store()
    store.extend(Quad(NamedNode(s), NamedNode(p), o, g) for s, p, o in triples)
    assembly = Assembly()
    assembly.define(claim, "data/facts/t.yaml", 7)
    import hashlib

    text_file = tmp_path / "t.txt"
    text_file.write_text("short text with chips", encoding="utf-8")
    sha = hashlib.sha256(text_file.read_bytes()).hexdigest()
    source = Source("t", doc, "short text with chips", text_file, "t.txt", "en", sha, "t.yaml", 0)
    checked, problems = check_provenance(store, {"t": source}, assembly)
    assert checked == 1
    assert [(p.file, p.line) for p in problems] == [("data/facts/t.yaml", 7)]
    assert "offsets 40..45 outside the text (length 21)" in problems[0].message


def test_changed_source_text_fails_the_hash_check(project, capsys):
    text = project / "data/sources/orf-america-ai-diffusion-tier2.txt"
    text.write_text(text.read_text(encoding="utf-8").replace("India", "India."), encoding="utf-8")
    assert main(["build", "-q"]) == 1
    err = capsys.readouterr().err
    line = _line_of(project / "data/sources/orf-america-ai-diffusion-tier2.yaml", "sha256:")
    assert f"ERROR data/sources/orf-america-ai-diffusion-tier2.yaml:{line} " in err
    assert "has changed: SHA-256" in err


def test_shacl_violation_names_the_focus_node_definition(project, capsys):
    """A negative chip count reaches the cluster through its plain triple; the error points at
    the line where the cluster is defined in its entity sheet."""
    _edit(project / INSS, "    value: 1500\n", "    value: -5\n")
    assert main(["build", "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    line = _line_of(project / "data/entities/compute.yaml", "id: cluster/israel-national-supercomputer")
    assert any(
        e.startswith(
            f"ERROR data/entities/compute.yaml:{line} "
            "id:cluster/israel-national-supercomputer aigeo:chipCount"
        )
        and "MinInclusiveConstraintComponent" in e
        for e in err
    ), err
    assert err[-1].endswith("in stage 'shacl'; nothing was written")


def test_quality_check_row_fails_the_build(project, capsys):
    """Two tiers for one country under one rule is a conflict the qc stage reports."""
    sheet = project / "data/facts/orf-america-ai-diffusion-tier2.yaml"
    _edit(sheet, "subjects: [country/SG,", "subjects: [country/DE, country/SG,")
    assert main(["build", "-q"]) == 1
    err = capsys.readouterr().err
    assert "[qc:country-in-two-tiers]" in err
    assert "country:DE" in err


def test_value_of_the_wrong_class_fails_the_range_check(project, capsys):
    """OWL RL would type the value by the property's range; the check looks at asserted types."""
    sheet = project / "data/facts/orf-america-ai-diffusion-tier2.yaml"
    _edit(sheet, "value: tier/ai-diffusion-2025/2", "value: group/itar-126-1")
    assert main(["build", "-q"]) == 1
    err = capsys.readouterr().err
    assert "[qc:claim-value-outside-range]" in err
    assert (
        f"ERROR data/facts/orf-america-ai-diffusion-tier2.yaml:{_line_of(sheet, '- id: tier2-named')} " in err
    )


def test_disjoint_classes_fail_the_reason_stage(project, capsys):
    """Putting a chip in a tier makes it a Tier by the range of inTier; a chip is not a tier."""
    sheet = project / "data/facts/orf-america-ai-diffusion-tier2.yaml"
    _edit(sheet, "value: tier/ai-diffusion-2025/2", "value: chip/h100")
    assert main(["build", "-q"]) == 1
    err = capsys.readouterr().err.splitlines()
    line = _line_of(project / "data/entities/compute.yaml", "id: chip/h100")
    assert err[0].startswith(f"ERROR data/entities/compute.yaml:{line} id:chip/h100 OWL RL inconsistency")
    assert "aigeo:Chip" in err[0] and "aigeo:Tier" in err[0]
    assert err[-1] == "1 error in stage 'reason'; nothing was written"


def test_rebuild_is_byte_identical(project):
    assert main(["build", "-q"]) == 0
    first = _snapshot(project / "dist")
    assert main(["build", "-q"]) == 0
    second = _snapshot(project / "dist")
    assert first["graph.nq"] == second["graph.nq"]
    assert first["inferred.nq"] == second["inferred.nq"]


def test_only_the_current_build_is_kept(project):
    for _ in range(3):
        assert main(["build", "-q"]) == 0
    builds = [p for p in (project / ".dist-builds").iterdir() if p.is_dir()]
    assert builds == [(project / "dist").resolve()]


def test_output_path_that_is_a_real_folder_is_refused(project, capsys):
    (project / "dist").mkdir()
    (project / "dist" / "mine.txt").write_text("keep me", encoding="utf-8")
    assert main(["build", "-q"]) == 2
    assert "is not a build link" in capsys.readouterr().err
    assert (project / "dist" / "mine.txt").read_text(encoding="utf-8") == "keep me"
