"""A rebuild copies the unchanged graphs' lines from the previous build's ``graph.nq``
(kg.previous), and its files are the same bytes as a build from scratch of the same data."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kg.cli import main
from kg.iris import graph_iri
from kg.previous import RECORD_FILE

SHEET = "data/facts/inss-2025-02-deepseek-israel.yaml"
DOC_GRAPH = graph_iri("doc/inss-2025-02-deepseek-israel")


def _build(capsys, *argv: str) -> int:
    code = main(["build", "--quiet", *argv])
    err = capsys.readouterr().err
    assert code == 0, err
    return code


def _report(root: Path, out: str = "dist") -> dict:
    return json.loads((root / out / "build-report.json").read_text(encoding="utf-8"))


def _record(root: Path, out: str = "dist") -> dict:
    return json.loads((root / out / RECORD_FILE).read_text(encoding="utf-8"))


def _files(root: Path, out: str = "dist") -> dict[str, bytes]:
    return {name: (root / out / name).read_bytes() for name in ("graph.nq", "inferred.nq")}


def _edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _cold(capsys, project: Path, tmp_path_factory) -> Path:
    """A build of the project's data from scratch, in a folder of its own."""
    cold = tmp_path_factory.mktemp("cold")
    _build(capsys, "--data", str(project / "data"), "--out", str(cold / "dist"))
    assert _report(cold)["outputs"]["graphs_copied"] == 0
    return cold


def test_the_record_says_where_each_graph_is(project_built):
    record, report = _record(project_built), _report(project_built)
    data = (project_built / "dist" / "graph.nq").read_bytes()
    spans = sorted(record["graphs"].items(), key=lambda item: item[1][0])
    assert [iri for iri, _ in spans] == sorted(record["graphs"])  # graphs in IRI order
    position = 0
    for iri, (offset, length, triples) in spans:
        assert offset == position
        lines = data[offset : offset + length].splitlines()
        if iri:
            assert triples == report["counts"]["triples_per_graph"][iri]
            assert all(line.endswith(f" <{iri}> .".encode()) for line in lines)
        assert len(lines) == triples
        position += length
    assert position == len(data)
    assert set(record["sheets"]) == {p.stem for p in (project_built / "data" / "facts").glob("*.yaml")}


def test_a_changed_sheet_rewrites_only_its_own_and_the_computed_graphs(project_built, capsys, tmp_path_factory):
    before = _record(project_built)
    _edit(project_built, SHEET, "confidence: medium", "confidence: low")
    _build(capsys)
    outputs = _report(project_built)["outputs"]
    # written: the default graph, the changed document's graph and the derived graph
    assert outputs["graphs_written"] == 3
    assert outputs["graphs_copied"] == len(before["graphs"]) - 3
    after = _record(project_built)
    assert after["sheets"][DOC_GRAPH.rsplit("/", 1)[1]] != before["sheets"][DOC_GRAPH.rsplit("/", 1)[1]]
    assert after["graphs"][DOC_GRAPH] != before["graphs"][DOC_GRAPH]  # one more or less byte
    assert _files(project_built) == _files(_cold(capsys, project_built, tmp_path_factory))


def test_a_new_and_a_removed_sheet_give_the_files_of_a_build_from_scratch(
    project_built, capsys, tmp_path_factory
):
    facts = project_built / "data" / "facts"
    (facts / "aiwiki-nvidia-h200.yaml").unlink()
    _build(capsys)
    assert _report(project_built)["outputs"]["graphs_copied"] > 0
    assert _files(project_built) == _files(_cold(capsys, project_built, tmp_path_factory))


def test_a_changed_entity_sheet_copies_nothing(project_built, capsys, tmp_path_factory):
    _edit(project_built, "data/entities/places.yaml", "\n", "\n# an edited comment\n")
    _build(capsys)
    assert _report(project_built)["outputs"]["graphs_copied"] == 0
    assert _files(project_built) == _files(_cold(capsys, project_built, tmp_path_factory))


def test_a_previous_file_touched_since_its_build_is_not_copied_from(project_built, capsys):
    first = _files(project_built)
    graph = project_built / "dist" / "graph.nq"
    stat = graph.stat()
    os.utime(graph, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    _build(capsys)
    assert _report(project_built)["outputs"]["graphs_copied"] == 0
    assert _files(project_built) == first


def test_a_graph_whose_triple_count_moved_is_dumped_not_copied(project_built, capsys):
    """The record is checked against the new store: a wrong count in it costs a dump, not bytes."""
    first = _files(project_built)
    record_path = project_built / "dist" / RECORD_FILE
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["graphs"][DOC_GRAPH][2] += 1
    record_path.write_text(json.dumps(record), encoding="utf-8")
    _build(capsys)
    outputs = _report(project_built)["outputs"]
    assert outputs["graphs_written"] == 3  # default, the miscounted document, derived
    assert outputs["graphs_copied"] == len(record["graphs"]) - 3
    assert _files(project_built) == first
