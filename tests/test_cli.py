"""Every verb of the kg command, run in-process, with its exit code and output."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest

from kg import __version__
from kg.cli import main

TIER2 = "tier2-countries-without-chip-access"


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.parametrize("verb", ["build", "validate", "query", "sparql"])
def test_each_verb_has_help(verb, capsys):
    try:
        code = main([verb, "--help"])
    except SystemExit as exc:
        code = exc.code
    assert code == 0
    assert "usage: kg " + verb in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, expected",
    [
        pytest.param(["frobnicate"], "invalid choice", id="unknown-verb"),
        pytest.param(["query", TIER2, "--format", "xml"], "invalid choice", id="bad-format"),
        pytest.param(["build", "--bogus"], "unrecognized arguments", id="unknown-option"),
    ],
)
def test_argument_errors_are_one_line_exit_2(argv, expected, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert len(err.strip().splitlines()) == 1


def test_validate_conforms(in_built, capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("conforms:")


def test_build_writes_outputs_and_report(in_built):
    report = json.loads((in_built / "dist" / "build-report.json").read_text(encoding="utf-8"))
    assert [s["stage"] for s in report["stages"]] == [
        "parse",
        "provenance",
        "derive",
        "shacl",
        "reason",
        "qc",
        "write",
    ]
    counts = report["counts"]
    assert counts["claims"] > 0 and counts["triples_asserted"] > 0 and counts["triples_inferred"] > 0
    assert counts["entities_per_class"]["Country"] == 249
    assert set(report["checks"]) >= {"provenance", "shacl", "owl_rl", "qc", "derive"}
    assert (in_built / "dist" / "graph.nq").stat().st_size > 0
    assert (in_built / "dist" / "inferred.nq").stat().st_size > 0


def test_query_list(in_built, capsys):
    assert main(["query", "--list"]) == 0
    assert TIER2 in capsys.readouterr().out


def test_query_help_prints_header(in_built, capsys):
    assert main(["query", TIER2, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("question:") and "param: chip" in out


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json"])
def test_query_formats_agree(in_built, capsys, fmt):
    assert main(["query", TIER2, "--format", "csv"]) == 0
    expected = {row["iso2"] for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert main(["query", TIER2, "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        got = {b["iso2"]["value"] for b in json.loads(out)["results"]["bindings"]}
    elif fmt == "tsv":
        got = {line.split("\t")[1].strip('"') for line in out.splitlines()[1:]}
    elif fmt == "table":
        lines = out.splitlines()
        at = lines[0].index("iso2")
        got = {line[at : at + 2] for line in lines[2:-1]}
        assert out.splitlines()[-1] == f"({len(expected)} rows)"
    else:
        got = expected
    assert got == expected


def test_sparql_from_file_and_stdin(in_built, capsys, monkeypatch, tmp_path):
    text = (
        "PREFIX aigeo: <https://w3id.org/aigeo/ontology#>\nSELECT (COUNT(*) AS ?n) WHERE { ?c a aigeo:Claim }"
    )
    q = tmp_path / "count.rq"
    q.write_text(text, encoding="utf-8")
    assert main(["sparql", str(q), "-f", "csv"]) == 0
    from_file = capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["sparql", "-", "-f", "csv"]) == 0
    assert capsys.readouterr().out == from_file
    report = json.loads((in_built / "dist" / "build-report.json").read_text(encoding="utf-8"))
    assert from_file.split()[1] == str(report["counts"]["claims"])


def test_query_without_build_is_usage_error(project, capsys):
    assert main(["query", TIER2]) == 2
    assert "no build" in capsys.readouterr().err


def test_locate_a_built_claim(in_built, capsys):
    assert main(["locate", "inss-2025-02-deepseek-israel/national-supercomputer-chip"]) == 0
    first, passage = capsys.readouterr().out.splitlines()
    assert (
        first.startswith("data/sources/inss-2025-02-deepseek-israel.txt:") and "offsets 14547..14578" in first
    )
    assert "«כ-1500 מעבדיH100 \u00a0במחשב הישראלי»" in passage


def test_locate_text_in_a_document(in_built, capsys):
    assert main(["locate", "--document", "most-2025-01-28-deepseek-r1-brief", "55 ימים"]) == 0
    out = capsys.readouterr().out
    text = (in_built / "data/sources/most-2025-01-28-deepseek-r1-brief.txt").read_text(encoding="utf-8")
    start = text.index("55 ימים")
    assert f"offsets {start}..{start + len('55 ימים')}" in out


def test_locate_text_not_in_the_document_names_the_nearest_passage(in_built, capsys):
    assert main(["locate", "--document", "most-2025-01-28-deepseek-r1-brief", "57 ימים"]) == 2
    assert "nearest passage" in capsys.readouterr().err


def test_rebuild_into_an_explicit_out_folder(project, capsys):
    """--out names the link, not the build folder it points to: a second build replaces it."""
    out = project / "elsewhere" / "graph"
    out.parent.mkdir()
    for _ in range(2):
        assert main(["build", "-q", "--out", str(out)]) == 0, capsys.readouterr().err
    assert out.is_symlink() and (out / "graph.nq").stat().st_size > 0
    assert len([p for p in out.parent.iterdir() if p.is_dir() and not p.is_symlink()]) == 1
    assert main(["query", "--out", str(out), TIER2, "--format", "csv"]) == 0
    assert capsys.readouterr().out.count("\n") > 1


def test_build_progress_as_json_lines(project, capsys):
    """--progress json: a start and an end event per stage, in order, each a JSON object."""
    assert main(["build", "-q", "--progress", "json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    stages = ["parse", "provenance", "derive", "shacl", "reason", "qc", "write"]
    assert [(e["stage"], e["event"]) for e in events] == [(s, ev) for s in stages for ev in ("start", "end")]
    assert all(e["seconds"] >= 0 for e in events if e["event"] == "end")


def test_build_progress_is_quiet_when_piped(project, capsys):
    assert main(["build"]) == 0
    err = capsys.readouterr().err
    assert "…" not in err and not any(line.startswith("  parse") for line in err.splitlines())


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "piped"])
def test_first_query_of_a_large_build_says_it_is_indexing(project, capsys, monkeypatch, terminal):
    """The first query after a large build indexes it (half a minute at 100,000 claims): a
    terminal is told why it waits; a pipe gets nothing on stderr."""
    from kg import store as store_module

    assert main(["build", "-q"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(store_module, "INDEX_ABOVE_BYTES", 0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    assert main(["query", TIER2, "--format", "csv"]) == 0
    first = capsys.readouterr()
    assert first.out.count("\n") > 1
    assert ("indexed the build for queries in" in first.err) is terminal
    assert main(["query", TIER2, "--format", "csv"]) == 0
    assert capsys.readouterr().err == ""  # indexed already
