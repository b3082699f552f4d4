"""The repository's own hygiene: ruff lint and format, the README's commands, CI's script."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    exe = shutil.which("ruff")
    return [exe] if exe else [sys.executable, "-m", "ruff"]


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"])
def test_ruff_is_clean(args):
    done = subprocess.run([*_ruff(), *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _first_shell_block() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```(?:sh|bash|console|shell)\n(.*?)```", text, re.DOTALL)
    assert block, "README has a shell block"
    return [
        line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def test_readme_first_block_holds_two_commands_and_ci_runs_the_second():
    commands = _first_shell_block()
    assert len(commands) == 2
    assert "kg build" in commands[0] and "kg query tier2-countries-without-chip-access" in commands[0]
    assert "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci/run").read_text(encoding="utf-8")


def test_readme_query_example_matches_the_real_answer(in_built, capsys):
    """The README shows the head of the Tier-2/H100 table; it must be what the command prints."""
    from kg.cli import main

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"```text\n(country .*?)```", text, re.DOTALL)
    assert shown, "README shows an example answer in a text block"
    assert main(["query", "tier2-countries-without-chip-access"]) == 0
    real = capsys.readouterr().out.splitlines()
    example = [line for line in shown.group(1).splitlines() if line and line != "..."]
    assert example[:-1] == real[: len(example) - 1]
    assert example[-1] == real[-1]


def test_readme_error_example_is_what_the_build_prints(project, capsys):
    """The README shows the error for a one-letter slip in a quote; reproduce it."""
    from kg.cli import main

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"```text\n(ERROR .*?)```", text, re.DOTALL).group(1).splitlines()
    sheet = project / "data/facts/inss-2025-02-deepseek-israel.yaml"
    sheet.write_text(
        sheet.read_text(encoding="utf-8").replace(
            "quote: הנמצא כיום בשלבי מכרז", "quote: הנמצא כיום בשלב מכרז"
        ),
        encoding="utf-8",
    )
    assert main(["build", "-q"]) == 1
    assert capsys.readouterr().err.splitlines() == shown


def test_readme_python_example_runs(in_built):
    """The README's Python example, run in a built project."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.DOTALL).group(1)
    namespace: dict = {}
    exec(code, namespace)
    rows = namespace["rows"]
    assert rows and {r.model for r in rows} == {"https://w3id.org/aigeo/id/model/deepseek-v3"}
    assert 5576000 in {r.cost_usd for r in rows}
