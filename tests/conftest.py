"""Shared fixtures: a private copy of the project to break, and one build of the real data
(``built`` and ``copy_project`` come from the repository's root conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def project(copier, tmp_path, monkeypatch) -> Path:
    """A private copy of the project, as the current directory, that a test may break."""
    copier(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def project_built(copier, built, tmp_path, monkeypatch) -> Path:
    """A private copy of the project with a completed build, as the current directory."""
    copier(tmp_path)
    shutil.copytree(built / ".dist-builds", tmp_path / ".dist-builds", symlinks=True)
    (tmp_path / "dist").symlink_to((built / "dist").readlink())
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def in_built(built, monkeypatch) -> Path:
    """The built project as the current directory."""
    monkeypatch.chdir(built)
    return built


@pytest.fixture(scope="session")
def kg_export(built, tmp_path_factory):
    """Run ``kg export ...`` in-process on the session build; return (exit code, stdout, stderr)."""
    import contextlib
    import io

    from kg.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["export", *argv, "--out", str(built / "dist")])
        return code, out.getvalue(), err.getvalue()

    return run


@pytest.fixture(scope="session")
def built_store(built):
    """The embedded store of the session build, for counting independently of the exports."""
    from kg.store import open_build

    return open_build(built / "dist")
