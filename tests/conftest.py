"""Shared fixtures: a private copy of the project to break, and one build of the real data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PARTS = ("ontology", "shapes", "queries", "data")


def copy_project(dest: Path) -> Path:
    """Copy the project's inputs (not its code) into ``dest`` and return it."""
    for part in PARTS:
        shutil.copytree(ROOT / part, dest / part)
    return dest


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A private copy of the project, as the current directory, that a test may break."""
    copy_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def project_built(built, tmp_path, monkeypatch) -> Path:
    """A private copy of the project with a completed build, as the current directory."""
    copy_project(tmp_path)
    shutil.copytree(built / ".dist-builds", tmp_path / ".dist-builds", symlinks=True)
    (tmp_path / "dist").symlink_to((built / "dist").readlink())
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """A copy of the project with a completed build in dist/ (built once per session)."""
    root = copy_project(tmp_path_factory.mktemp("built"))
    old = Path.cwd()
    try:
        import os

        os.chdir(root)
        assert main(["build", "--quiet"]) == 0
    finally:
        os.chdir(old)
    return root


@pytest.fixture
def in_built(built, monkeypatch) -> Path:
    """The built project as the current directory."""
    monkeypatch.chdir(built)
    return built
