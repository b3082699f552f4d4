"""Build failures that the catalogue of bad input (tests/test_bad_input.py, tests/data/bad/) does
not cover: offsets checked on a graph made by other means, and how the output folder is kept."""

from __future__ import annotations

import hashlib
from pathlib import Path

from kg.cli import main
from kg.sheetcache import CACHE_FOLDER


def _snapshot(out: Path) -> dict[str, str]:
    target = out.resolve()
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(target.iterdir())}


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
    assert sorted(builds) == sorted([(project / "dist").resolve(), project / ".dist-builds" / CACHE_FOLDER])


def test_output_path_that_is_a_real_folder_is_refused(project, capsys):
    (project / "dist").mkdir()
    (project / "dist" / "mine.txt").write_text("keep me", encoding="utf-8")
    assert main(["build", "-q"]) == 2
    assert "is not a build link" in capsys.readouterr().err
    assert (project / "dist" / "mine.txt").read_text(encoding="utf-8") == "keep me"
