"""No half files: an export goes to a temporary name and is renamed into place; a failed write is
one line, exit code 2, and leaves no file or the previous one. The cases fail even as root."""

from __future__ import annotations

import pytest

from kg.atomic import atomic_file, atomic_folder
from kg.cli import main
from kg.problems import UsageError


@pytest.mark.parametrize("verb", ["gexf", "rdf", "csv"])
@pytest.mark.parametrize(
    "where, cause",
    [
        pytest.param("missing/out", "No such file or directory", id="missing-folder"),
        pytest.param("a-file/out", "Not a directory", id="parent-is-a-file"),
    ],
)
def test_unwritable_target_is_one_line_and_exit_2(kg_export, tmp_path, verb, where, cause):
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    target = tmp_path / where
    code, out, err = kg_export(verb, "-o", str(target))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"error: {target}: cannot write: {cause}"]
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_failed_file_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "graph.gexf"
    target.write_text("previous\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_file(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.gexf"]


def test_failed_folder_write_keeps_the_previous_folder(tmp_path):
    target = tmp_path / "tables"
    with atomic_folder(target) as tmp:
        (tmp / "claims.csv").write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_folder(target) as tmp:
        (tmp / "claims.csv").write_text("half", encoding="utf-8")
        raise RuntimeError("killed mid-write")
    assert (target / "claims.csv").read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["tables"]


def test_a_folder_not_written_by_an_export_is_never_replaced(tmp_path):
    target = tmp_path / "notes"
    target.mkdir()
    (target / "mine.txt").write_text("keep me\n", encoding="utf-8")
    with pytest.raises(UsageError, match="was not written by 'kg export'"), atomic_folder(target):
        pass
    assert (target / "mine.txt").read_text(encoding="utf-8") == "keep me\n"


def test_export_needs_a_build(project, capsys):
    code = main(["export", "gexf", "-o", "out.gexf"])
    err = capsys.readouterr().err
    assert code == 2 and "run 'kg build' first" in err and len(err.strip().splitlines()) == 1
    assert not (project / "out.gexf").exists()


@pytest.mark.parametrize("argv", [["export"], ["export", "gexf"], ["export", "rdf", "-o", "x", "-f", "xml"]])
def test_export_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
