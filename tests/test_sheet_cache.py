"""The sheet cache and the parallel sheet readers: a rebuild re-reads only what changed, and
whatever came from the cache or from another process, the build's files are the same bytes."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from kg import factsheets
from kg.cli import main
from kg.output import builds_dir
from kg.sheetcache import CACHE_FOLDER, VALIDATION_RECORD

SHEET = "data/facts/inss-2025-02-deepseek-israel.yaml"


def _build(capsys, *argv: str) -> tuple[int, str]:
    code = main(["build", "--quiet", *argv])
    return code, capsys.readouterr().err


def _report(root: Path, out: str = "dist") -> dict:
    return json.loads((root / out / "build-report.json").read_text(encoding="utf-8"))


def _files(root: Path, out: str = "dist") -> dict[str, bytes]:
    return {name: (root / out / name).read_bytes() for name in ("graph.nq", "inferred.nq")}


def _cache(root: Path) -> dict[str, str]:
    folder = builds_dir(root / "dist") / CACHE_FOLDER
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if p.is_file() and p.name != VALIDATION_RECORD
    }


def _edit_sheet(root: Path, old: str, new: str) -> None:
    path = root / SHEET
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_rebuild_reads_no_unchanged_sheet_and_writes_the_same_files(project, capsys):
    assert _build(capsys)[0] == 0
    first, sheets = _files(project), _report(project)["inputs"]["fact_sheets"]
    assert _report(project)["inputs"]["fact_sheets_reused"] == 0
    assert len(_cache(project)) == 2 * sheets  # one .nt and one .json per sheet

    assert _build(capsys)[0] == 0
    report = _report(project)
    assert report["inputs"]["fact_sheets_reused"] == sheets
    assert report["checks"]["provenance"]["quotes_checked"] == 0
    assert report["checks"]["provenance"]["documents_reused"] == sheets
    assert _files(project) == first


def test_a_changed_sheet_is_read_again_and_the_build_equals_a_cold_one(project, capsys, tmp_path_factory):
    assert _build(capsys)[0] == 0
    _edit_sheet(project, "confidence: medium", "confidence: low")
    assert _build(capsys)[0] == 0
    report = _report(project)
    assert report["inputs"]["fact_sheets_reused"] == report["inputs"]["fact_sheets"] - 1
    assert report["checks"]["provenance"]["quotes_checked"] > 0  # the changed sheet's quotes only
    assert len(_cache(project)) == 2 * report["inputs"]["fact_sheets"]  # the old entry was pruned

    cold = tmp_path_factory.mktemp("cold")
    assert _build(capsys, "--data", str(project / "data"), "--out", str(cold / "dist"))[0] == 0
    assert _report(cold)["inputs"]["fact_sheets_reused"] == 0
    assert _files(project) == _files(cold)


def _starts(root: Path, document: str) -> dict[str, int]:
    """Each claim's start offset in ``document``, read from the build."""
    pattern = re.compile(
        rf"<[^>]*claim/{document}/([\w-]+)#position> <http://www.w3.org/ns/oa#start> \"(\d+)\""
    )
    return {m[1]: int(m[2]) for m in pattern.finditer((root / "dist/graph.nq").read_text("utf-8"))}


def test_a_changed_document_text_makes_its_unchanged_sheet_be_read_again(project, capsys):
    document = "inss-2025-02-deepseek-israel"
    assert _build(capsys)[0] == 0
    before = _starts(project, document)
    record_path = project / f"data/sources/{document}.yaml"
    record = record_path.read_text(encoding="utf-8")
    text_path = record_path.parent / re.search(r"^text: (\S+)", record, re.M).group(1)
    text_path.write_bytes(b"\n" + text_path.read_bytes())  # every offset moves by one
    sha = hashlib.sha256(text_path.read_bytes()).hexdigest()
    record_path.write_text(re.sub(r"(?m)^sha256: \w+", f"sha256: {sha}", record), encoding="utf-8")

    assert _build(capsys)[0] == 0
    report = _report(project)
    assert report["inputs"]["fact_sheets_reused"] == report["inputs"]["fact_sheets"] - 1
    # the quotes were located again in the new text, not copied from the cache
    assert before and _starts(project, document) == {claim: at + 1 for claim, at in before.items()}


def test_a_failed_build_adds_nothing_to_the_cache_and_the_next_one_reads_the_sheet(project, capsys):
    assert _build(capsys)[0] == 0
    before, files = _cache(project), _files(project)
    _edit_sheet(project, "quote: ", "quote: not in the text ")
    code, err = _build(capsys)
    assert code == 1 and "not found" in err
    assert _cache(project) == before and _files(project) == files
    assert not list((builds_dir(project / "dist") / CACHE_FOLDER).glob(".scratch-*"))


def test_validate_reads_the_cache_but_changes_nothing(project, capsys):
    assert _build(capsys)[0] == 0
    before = _cache(project)
    _edit_sheet(project, "confidence: medium", "confidence: low")
    assert main(["validate"]) == 0
    assert _cache(project) == before


@pytest.mark.parametrize("damage", ["truncate", "delete", "garbage"])
def test_a_damaged_cache_entry_is_read_again_from_the_sheet(project, capsys, damage):
    assert _build(capsys)[0] == 0
    first = _files(project)
    folder = builds_dir(project / "dist") / CACHE_FOLDER
    damaged = sorted(folder.glob("*.nt"))[:3]
    assert len(damaged) == 3
    for nt in damaged:
        if damage == "truncate":
            nt.write_bytes(b"")
        elif damage == "delete":
            nt.unlink()
        else:
            nt.write_bytes(b"<not n-triples")
    assert _build(capsys)[0] == 0
    assert _files(project) == first


def test_an_ontology_change_invalidates_every_entry(project, capsys):
    assert _build(capsys)[0] == 0
    module = sorted((project / "ontology").glob("*.ttl"))[0]
    module.write_text(module.read_text(encoding="utf-8") + "\n# a comment changes the context\n", "utf-8")
    assert _build(capsys)[0] == 0
    assert _report(project)["inputs"]["fact_sheets_reused"] == 0


def test_sheets_read_on_processes_equal_sheets_read_here(project, capsys, monkeypatch, tmp_path_factory):
    """The curated data has enough sheets for the process pool; forcing one process gives the same bytes."""
    assert _report_sheets(project) >= factsheets.PROCESSES_FROM_SHEETS
    assert _build(capsys)[0] == 0
    monkeypatch.setattr(factsheets, "PROCESSES_FROM_SHEETS", 10**9)
    alone = tmp_path_factory.mktemp("alone")
    assert _build(capsys, "--data", str(project / "data"), "--out", str(alone / "dist"))[0] == 0
    assert _files(project) == _files(alone)


def test_problems_are_the_same_lines_in_the_same_order_either_way(project, capsys, monkeypatch):
    _edit_sheet(project, "property: locatedIn", "property: notAProperty")
    sheets = sorted((project / "data/facts").glob("*.yaml"))
    last = sheets[-1].read_text(encoding="utf-8")
    sheets[-1].write_text(last.replace("document: ", "document: no-such-", 1), encoding="utf-8")
    code, on_processes = _build(capsys)
    assert code == 1
    assert "unknown property 'notAProperty'" in on_processes
    assert "unknown document 'no-such-" in on_processes
    monkeypatch.setattr(factsheets, "PROCESSES_FROM_SHEETS", 10**9)
    assert _build(capsys) == (1, on_processes)


def _report_sheets(root: Path) -> int:
    return len(list((root / "data/facts").glob("*.yaml")))


def test_a_scratch_folder_left_by_a_killed_build_is_pruned_and_a_live_one_kept(project, capsys):
    import os

    assert _build(capsys)[0] == 0
    folder = builds_dir(project / "dist") / CACHE_FOLDER
    dead = folder / ".scratch-999999999-left"  # no such process
    live = folder / f".scratch-{os.getpid()}-busy"  # this process: a build still running
    for scratch in (dead, live):
        scratch.mkdir()
        (scratch / "x.nt").write_bytes(b"")
    _edit_sheet(project, "confidence: medium", "confidence: low")  # so that the build writes
    assert _build(capsys)[0] == 0
    assert not dead.exists()
    assert live.is_dir()
