"""Doctests run against a real build: the ``store`` name in docstring examples is the embedded
store of a build of the project's data, made once per test session in a temporary folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
PARTS = ("ontology", "shapes", "queries", "data")


def copy_project(dest: Path) -> Path:
    """Copy the project's inputs (not its code) into ``dest`` and return it."""
    for part in PARTS:
        shutil.copytree(ROOT / part, dest / part)
    return dest


def pytest_addoption(parser):
    parser.addoption(
        "--regen-goldens", action="store_true", help="rewrite golden answers from the current ones"
    )


@pytest.fixture(scope="session")
def copier():
    """The function that copies the project's inputs into a folder (for fixtures elsewhere)."""
    return copy_project


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """A copy of the project with a completed build in dist/ (built once per session)."""
    from kg.cli import main

    root = copy_project(tmp_path_factory.mktemp("built"))
    old = Path.cwd()
    try:
        os.chdir(root)
        assert main(["build", "--quiet"]) == 0
    finally:
        os.chdir(old)
    return root


@pytest.fixture(autouse=True)
def _doctest_store(request, doctest_namespace):
    """Give doctests a ``store`` holding the build (only doctests pay for it)."""
    if isinstance(request.node, pytest.DoctestItem):
        from kg.store import open_build

        doctest_namespace["store"] = open_build(request.getfixturevalue("built") / "dist")
