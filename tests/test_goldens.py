"""Golden answers of the competency questions, compared as multisets of bindings.

The cases and how each was checked against the sources are in queries/cq/goldens/cases.yaml.
``--regen-goldens`` rewrites the expected files from the current answers (on purpose only).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from kg.cli import main
from kg.yamlfile import load_text

GOLDENS = Path(__file__).resolve().parent.parent / "queries" / "cq" / "goldens"
# The project's loader: a duplicate question key is an error, not a silently dropped case.
CASES = load_text((GOLDENS / "cases.yaml").read_text(encoding="utf-8"), "cases.yaml")


def _cases():
    for question, cases in CASES.items():
        for case, spec in cases.items():
            yield pytest.param(question, case, spec, id=f"{question}--{case}")


def _answer(question: str, params: dict, capsys, extra=()) -> dict:
    argv = ["query", question, "-f", "json", *extra]
    for key, value in params.items():
        argv += ["-p", f"{key}={value}"]
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def bindings(doc: dict) -> Counter:
    """A multiset of bindings, each a sorted tuple of (variable, term) pairs."""
    return Counter(
        tuple(sorted((k, tuple(sorted(v.items()))) for k, v in b.items())) for b in doc["results"]["bindings"]
    )


@pytest.mark.parametrize("question, case, spec", _cases())
def test_golden(in_built, capsys, request, question, case, spec):
    assert spec.get("checked"), "every golden says how a person checked it"
    got = _answer(question, spec.get("params", {}), capsys)
    path = GOLDENS / f"{question}--{case}.srj"
    if request.config.getoption("--regen-goldens"):
        path.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert got["head"]["vars"] == expected["head"]["vars"]
    assert bindings(got) == bindings(expected)
    assert got["results"]["bindings"], "a golden case should have an answer"
