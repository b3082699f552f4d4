"""The catalogue of bad input (tests/data/bad/): each case fails with its golden error line and exit
code, and leaves the previous build byte-for-byte as it was.

A case is a folder with ``case.yaml`` (command, exit code, stage, the exact error line, what it
covers, edits to make) and ``files/``, copied over a fresh copy of the valid project. Run with
``--regen-goldens`` to rewrite the ``stage``/``error`` lines and the README from what the
commands print now; review the diff before committing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from kg.cli import main

CATALOGUE = Path(__file__).resolve().parent / "data" / "bad"
README = CATALOGUE / "README.md"
GROUPS = {
    "syntax": "Malformed YAML and Turtle",
    "files": "Files that cannot be read: empty, not UTF-8, not a file, too large, not Turtle",
    "provenance": "Quotes, offsets and source texts",
    "references": "Unknown entities, properties, units, currencies, classes and values",
    "types": "Values of the wrong type, invalid and impossible dates",
    "missing": "Claims without source, claimant, quote or subject",
    "duplicates": "Duplicate identifiers",
    "shapes": "One SHACL shape violation per kind of constraint in shapes/*.ttl, a quality check, "
    "an OWL RL inconsistency",
    "queries": "Unknown questions and parameters, parameters of the wrong type, hostile SPARQL",
}


def _cases() -> list:
    return [pytest.param(path.parent, id=path.parent.name) for path in sorted(CATALOGUE.glob("*/case.yaml"))]


def _spec(case: Path) -> dict:
    return yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))


def _snapshot(project: Path) -> dict[str, str]:
    """Every file under the build folders with its SHA-256, and where ``dist`` points."""
    builds = project / ".dist-builds"
    out = {"dist ->": os.readlink(project / "dist")}
    for path in sorted(builds.rglob("*")):
        if path.is_file() and path.name != ".lock":
            out[str(path.relative_to(builds))] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir() or path.is_symlink():
            out[str(path.relative_to(builds))] = "folder" if path.is_dir() else "link"
    return out


def _apply(spec: dict, case: Path, project: Path) -> None:
    overlay = case / "files"
    if overlay.is_dir():
        shutil.copytree(overlay, project, dirs_exist_ok=True)
    for edit in spec.get("edits", []):
        path = project / edit["file"]
        text = path.read_text(encoding="utf-8")
        assert edit["replace"] in text, f"{case.name}: anchor {edit['replace']!r} not in {edit['file']}"
        path.write_text(text.replace(edit["replace"], edit["with"], 1), encoding="utf-8")
    for make in spec.get("make", []):
        path = project / make["path"]
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        kind = make["kind"]
        if kind == "folder":
            path.mkdir()
        elif kind == "link":
            path.symlink_to(make["target"])
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "large":
            line = ("The chips were counted again. " * 3 + "\n").encode("utf-8")
            with path.open("wb") as f:
                for _ in range(make["mebibytes"] * 2**20 // len(line) + 1):
                    f.write(line)
        else:
            assert kind == "remove", f"{case.name}: unknown make kind {kind!r}"


@pytest.mark.parametrize("case", _cases())
def test_bad_input_fails_with_its_golden_error(case, project_built, capsys, request):
    spec = _spec(case)
    project = project_built
    before = _snapshot(project)
    _apply(spec, case, project)

    code = main([str(a) for a in spec["command"]])
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    if request.config.getoption("--regen-goldens"):
        _regen(case, code, err)
        spec = _spec(case)

    assert code == spec["exit"], captured.err
    expected = [spec["error"]]
    if spec["exit"] == 1:
        expected.append(f"1 error in stage '{spec['stage']}'; nothing was written")
    assert err == expected
    assert captured.out == ""
    assert _snapshot(project) == before, "the previous build changed"


def _regen(case: Path, code: int, err: list[str]) -> None:
    text = (case / "case.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^exit: .*$", lambda _: f"exit: {code}", text)
    if err:
        text = re.sub(r"(?m)^error: .*$", lambda _: "error: " + json.dumps(err[0], ensure_ascii=False), text)
    stage = re.match(r"\d+ errors? in stage '(\w+)'", err[-1]) if err else None
    if stage:
        text = re.sub(r"(?m)^stage: .*$", lambda _: f"stage: {stage.group(1)}", text)
    (case / "case.yaml").write_text(text, encoding="utf-8")


def _readme() -> str:
    specs = {p.id: _spec(p.values[0]) for p in _cases()}
    lines = [
        "# The catalogue of bad input",
        "",
        "Each folder is one broken input: `case.yaml` gives the command (after `kg`), the exit code,",
        "the stage, the exact error line, what it covers and the edits to make; `files/` holds files",
        "copied over a fresh copy of the valid project. `tests/test_bad_input.py` builds the valid",
        "project once, applies each case to a copy of it, runs the command and checks the error line,",
        "the exit code and that the previous build is byte-for-byte unchanged. Files marked",
        "`Contrived` are written for the case; every other file is the project's own data, edited.",
        "The 50 MB file is generated by the test, not committed.",
        "",
        "Regenerate the error lines and this list with `python -m pytest tests/test_bad_input.py",
        "--regen-goldens` (then read the diff).",
        "",
        f"{len(specs)} cases.",
    ]
    for group, title in GROUPS.items():
        members = [(cid, s) for cid, s in specs.items() if s["group"] == group]
        lines += ["", f"## {title} ({len(members)})", "", "| case | exit | covers |", "|---|---|---|"]
        lines += [f"| `{cid}` | {s['exit']} | {s['covers']} |" for cid, s in members]
    return "\n".join(lines) + "\n"


def test_readme_lists_every_case(request):
    """The README is the catalogue's index; ``--regen-goldens`` rewrites it."""
    expected = _readme()
    if request.config.getoption("--regen-goldens"):
        README.write_text(expected, encoding="utf-8")
    assert README.read_text(encoding="utf-8") == expected


def test_every_case_names_a_known_group_and_the_catalogue_is_large_enough():
    specs = [_spec(p.values[0]) for p in _cases()]
    assert len(specs) >= 40
    assert {s["group"] for s in specs} == set(GROUPS)
    for s in specs:
        assert set(s) <= {"covers", "group", "command", "exit", "stage", "error", "edits", "make"}
        assert s["exit"] in (1, 2)


def test_readme_examples_are_catalogue_goldens():
    """The README's "What bad input looks like" lines are real: each is some case's golden."""
    readme = (CATALOGUE.parent.parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("## What bad input looks like", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    goldens = {_spec(p.values[0])["error"] for p in _cases()}
    for line in block.splitlines():
        assert line in goldens, line
