"""A rebuild on a copy of the previous build's on-disk asserted store (kg.ondisk) writes the
same bytes, counts and stores as a build from scratch, and gives up to a build in memory,
which reports what a build reports, whenever it cannot vouch for that."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, RdfFormat, Store, parse

from kg import store as store_module
from kg.cli import main
from kg.inputcache import INPUTS_FILE, read_inputs
from kg.store import ASSERTED_DIR, ASSERTED_MARKER, INDEX_DIR, open_build

SHEET = "data/facts/inss-2025-02-deepseek-israel.yaml"
OTHER_SHEET = "data/facts/alarabiya-2025-01-deepseek-r1-cost.yaml"


@pytest.fixture
def indexed(project_built, monkeypatch) -> Path:
    """The built project, queried once: its build has an asserted store and an index."""
    monkeypatch.setattr(store_module, "INDEX_ABOVE_BYTES", 0)
    open_build(project_built / "dist")
    out = project_built / "dist"
    assert (out / ASSERTED_DIR).is_dir() and (out / INDEX_DIR).is_dir() and (out / INPUTS_FILE).is_file()
    return project_built


def _build(capsys, *argv: str) -> dict:
    code = main(["build", "--quiet", *argv])
    err = capsys.readouterr().err
    assert code == 0, err
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else Path("dist")
    return json.loads((out / "build-report.json").read_text(encoding="utf-8"))


def _edit(relative: str, old: str, new: str) -> None:
    path = Path(relative)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _key(terms) -> tuple:
    return tuple("_:" if isinstance(t, BlankNode) else str(t) for t in terms)


def _quads(out: Path, *names: str) -> Counter:
    return Counter(_key(q) for name in names for q in parse(path=out / name, format=RdfFormat.N_QUADS))


def _store(path: Path) -> Counter:
    return Counter(map(_key, Store.read_only(str(path))))


def _assert_files_as_from_scratch(capsys, project: Path, tmp_path_factory, report: dict) -> None:
    """The files and counts of ``project``'s build equal a build from scratch of its data."""
    cold = tmp_path_factory.mktemp("cold") / "dist"
    cold_report = _build(capsys, "--data", str(project / "data"), "--out", str(cold))
    out = project / "dist"
    for name in ("graph.nq", "inferred.nq"):
        assert (out / name).read_bytes() == (cold / name).read_bytes(), name
    assert report["counts"] == cold_report["counts"]
    assert report["inputs"]["fact_sheets"] == cold_report["inputs"]["fact_sheets"]


def _assert_as_from_scratch(capsys, project: Path, tmp_path_factory, report: dict) -> None:
    """As :func:`_assert_files_as_from_scratch`, and the build's stores hold exactly its files'
    quads."""
    _assert_files_as_from_scratch(capsys, project, tmp_path_factory, report)
    out = project / "dist"
    assert _store(out / ASSERTED_DIR) == _quads(out, "graph.nq")
    assert _store(out / INDEX_DIR) == _quads(out, "graph.nq", "inferred.nq")


def _change_the_confidence() -> None:
    _edit(SHEET, "confidence: medium", "confidence: low")


def _change_a_value() -> None:
    # another chip: a derived usesChip edge moves, and what is inferred from it
    _edit(SHEET, "value: chip/h100", "value: chip/ascend-910")


def _remove_a_sheet() -> None:
    Path(SHEET).unlink()


def _change_two_sheets() -> None:
    _change_a_value()
    _edit(OTHER_SHEET, "confidence: medium", "confidence: low")


@pytest.mark.parametrize(
    "change",
    [_change_the_confidence, _change_a_value, _remove_a_sheet, _change_two_sheets],
    ids=lambda f: f.__name__[1:],
)
def test_a_rebuild_on_disk_is_a_build_from_scratch(indexed, capsys, tmp_path_factory, change):
    change()
    report = _build(capsys)
    assert report.get("rebuilt_on_disk") is True and "fallbacks" not in report
    assert report["outputs"]["index_carried"] and report["outputs"]["asserted_store_carried"]
    _assert_as_from_scratch(capsys, indexed, tmp_path_factory, report)


def test_rebuilds_on_disk_in_a_row_start_from_each_other(indexed, capsys, tmp_path_factory):
    """The second starts from the stores the first carried; a sheet removed and put back."""
    text = Path(SHEET).read_bytes()
    _remove_a_sheet()
    assert _build(capsys).get("rebuilt_on_disk") is True
    Path(SHEET).write_bytes(text)
    _change_the_confidence()
    report = _build(capsys)
    assert report.get("rebuilt_on_disk") is True and "fallbacks" not in report
    _assert_as_from_scratch(capsys, indexed, tmp_path_factory, report)


def _build_failing(capsys, *argv: str) -> tuple[int, str]:
    code = main(["build", "--quiet", *argv])
    return code, capsys.readouterr().err


def test_a_problem_found_on_disk_is_reported_as_a_build_in_memory_reports_it(indexed, capsys, tmp_path):
    _edit(SHEET, "confidence: medium", "confidence: certain")
    before = (indexed / "dist").resolve()
    code, err = _build_failing(capsys)
    assert code == 1
    assert Path("dist").resolve() == before  # nothing written
    shutil.rmtree(indexed / ".dist-builds")
    (indexed / "dist").unlink()
    assert _build_failing(capsys) == (code, err)  # a build with no previous one says the same
    assert not list(indexed.glob(".dist-builds/.ondisk-*"))


def test_a_sheet_taking_another_documents_graph_is_built_in_memory(indexed, capsys):
    text = Path(SHEET).read_text(encoding="utf-8")
    Path("data/facts/zz-copy.yaml").write_text(text, encoding="utf-8")
    code, err = _build_failing(capsys)
    assert code == 1
    assert "already has a fact sheet" in err


def test_a_changed_entity_sheet_is_built_in_memory(indexed, capsys):
    """The inputs' fingerprint moved: the store cannot vouch for the other graphs."""
    _edit("data/entities/places.yaml", "\n", "\n# an edited comment\n")
    report = _build(capsys)
    assert "rebuilt_on_disk" not in report and "fallbacks" not in report


@pytest.mark.parametrize("damage", ["marker", "inputs", "asserted"])
def test_a_previous_build_without_a_sound_start_is_rebuilt_in_memory(
    indexed, capsys, tmp_path_factory, damage
):
    out = indexed / "dist"
    if damage == "marker":
        (out / ASSERTED_MARKER).write_text("[0, 0]\n", encoding="utf-8")
    elif damage == "inputs":
        (out / INPUTS_FILE).write_bytes(b"aigeo-inputs 1 " + b"0" * 64 + b"\n" + b"not a pickle")
    else:
        shutil.rmtree(out / ASSERTED_DIR)
    _change_the_confidence()
    report = _build(capsys)
    assert "rebuilt_on_disk" not in report
    # a sound store is carried by the rebuild in memory; a store not known to be sound is not
    assert report["outputs"]["asserted_store_carried"] is (damage == "inputs")


def test_the_inputs_kept_are_read_only_for_their_fingerprint(indexed):
    out = (indexed / "dist").resolve()
    record = json.loads((out / "build-inputs.json").read_text(encoding="utf-8"))
    inputs = read_inputs(out, record["fingerprint"])
    assert inputs is not None and inputs.sources and inputs.entities
    assert read_inputs(out, "0" * 64) is None
    data = (out / INPUTS_FILE).read_bytes()
    (out / INPUTS_FILE).write_bytes(data[: len(data) // 2])
    assert read_inputs(out, record["fingerprint"]) is None


def test_a_rebuild_in_memory_carries_the_asserted_store(indexed, capsys, tmp_path_factory, monkeypatch):
    """A rebuild that cannot start on disk still gives its build an asserted store, changed by
    the difference, so the next rebuild can."""
    (indexed / "dist" / INPUTS_FILE).unlink()
    _change_the_confidence()
    report = _build(capsys)
    assert "rebuilt_on_disk" not in report and report["outputs"]["asserted_store_carried"] is True
    _assert_as_from_scratch(capsys, indexed, tmp_path_factory, report)
    _change_a_value()
    assert _build(capsys).get("rebuilt_on_disk") is True


def test_a_damaged_asserted_store_is_left_and_the_rebuild_runs_in_memory(indexed, capsys, tmp_path_factory):
    """RocksDB reports a damaged store when it is copied; the build gives up on disk."""
    for path in (indexed / "dist" / ASSERTED_DIR).iterdir():
        if path.name.startswith("MANIFEST") or path.name == "CURRENT":
            path.write_bytes(b"not a manifest")
    _change_the_confidence()
    report = _build(capsys)
    assert "rebuilt_on_disk" not in report
    assert any(f.startswith("rebuild on disk:") for f in report["fallbacks"])
    assert report["outputs"]["asserted_store_carried"] is False
    assert not list(indexed.glob(".dist-builds/.ondisk-*"))
    _assert_files_as_from_scratch(capsys, indexed, tmp_path_factory, report)


def test_a_work_folder_left_by_a_killed_rebuild_is_removed(indexed, capsys):
    left = indexed / ".dist-builds" / ".ondisk-999999999"  # no such process
    (left / ASSERTED_DIR).mkdir(parents=True)
    ours = indexed / ".dist-builds" / f".ondisk-{os.getppid()}"  # a process that runs
    ours.mkdir()
    _change_the_confidence()
    assert _build(capsys).get("rebuilt_on_disk") is True
    assert not left.exists() and ours.exists()
