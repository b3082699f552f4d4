"""A build killed at any stage leaves the previous outputs intact; a later build prunes what the
killed one left; two builds started at once both finish and leave one complete build.

The build runs as a real process (``python -m kg build``); ``AIGEO_PAUSE_AT`` (kg/faultpoints.py)
makes it announce each point and wait at the named one, where the test sends SIGKILL.
"""

from __future__ import annotations

import hashlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import kg
from kg.output import COMPLETE_MARKER
from kg.sheetcache import CACHE_FOLDER

CODE_ROOT = Path(kg.__file__).resolve().parent.parent
#: a hang guard, not a speed assertion: a build takes a few seconds alone
WAIT = 600


def _build(project: Path, pause_at: str, engine: str = "auto") -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(CODE_ROOT), AIGEO_PAUSE_AT=pause_at)
    return subprocess.Popen(
        [sys.executable, "-m", "kg", "build", "-q", "--engine", engine],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _lines(proc: subprocess.Popen) -> queue.Queue:
    out: queue.Queue = queue.Queue()

    def pump():
        for line in proc.stderr:
            out.put(line.rstrip("\n"))
        out.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return out


def _wait_for(lines: queue.Queue, wanted: str) -> list[str]:
    seen = []
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        line = lines.get(timeout=WAIT)
        if line is None:
            raise AssertionError(f"the build ended before {wanted!r}: {seen}")
        seen.append(line)
        if line == wanted:
            return seen
    raise AssertionError(f"no {wanted!r} within {WAIT} s: {seen}")


def _outputs(project: Path) -> dict[str, str]:
    """Where dist points, and the SHA-256 of each file there."""
    dist = project / "dist"
    out = {"dist ->": os.readlink(dist)}
    for path in sorted(dist.resolve().iterdir()):
        out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _build_folders(project: Path) -> list[Path]:
    """The build folders (the sheet cache beside them is not a build)."""
    return sorted(
        p
        for p in (project / ".dist-builds").iterdir()
        if p.is_dir() and not p.is_symlink() and p.name != CACHE_FOLDER
    )


# (the point the build announces, seconds to let it run past that point before SIGKILL, engine);
# the fast rules finish reasoning in a fraction of a second, so the kill *during* reasoning runs
# the reference engine (owlrl, about 12 s on this graph)
KILL_POINTS = [
    pytest.param("parse", 0, "auto", id="parse"),
    pytest.param("provenance", 0, "auto", id="provenance"),
    pytest.param("shacl", 0, "auto", id="shacl"),
    pytest.param("reason", 2, "reference", id="during-reason"),
    pytest.param("write:files", 0, "auto", id="files-written-not-linked"),
    pytest.param("write:linked", 0, "auto", id="linked-not-pruned"),
]


@pytest.mark.parametrize("point, run_on, engine", KILL_POINTS)
def test_killed_build_keeps_the_previous_outputs(project_built, point, run_on, engine):
    project = project_built
    before = _outputs(project)
    folders_before = _build_folders(project)
    proc = _build(project, pause_at=point if run_on == 0 else "none", engine=engine)
    try:
        _wait_for(_lines(proc), f"at {point}")
        time.sleep(run_on)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=WAIT) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    after = _outputs(project)
    if point == "write:linked":
        # the new build was complete and swapped in before the kill: same graph, new folder
        assert after["dist ->"] != before["dist ->"]
        assert (project / "dist" / COMPLETE_MARKER).exists()
        assert after["graph.nq"] == before["graph.nq"] and after["inferred.nq"] == before["inferred.nq"]
        assert len(_build_folders(project)) == 2, "the old folder is pruned by the next build"
    else:
        assert after == before
    if point == "write:files":
        leftovers = [p for p in _build_folders(project) if p not in folders_before]
        assert len(leftovers) == 1 and not (leftovers[0] / COMPLETE_MARKER).exists()
        assert (leftovers[0] / "graph.nq").exists()


def test_two_builds_at_once_both_finish_and_prune_what_killed_builds_left(project_built):
    """Leftovers as a build killed after writing its files (folder without .complete) and one
    killed between making its link and swapping it (.link-<pid>) leave them."""
    project = project_built
    before = _outputs(project)
    builds = project / ".dist-builds"
    half = builds / "20000101T000000000000Z-1"
    half.mkdir()
    (half / "graph.nq").write_text("<http://example.org/half", encoding="utf-8")
    (builds / ".link-1").symlink_to(os.path.relpath(half, project))

    procs = [_build(project, pause_at="none") for _ in range(2)]
    results = [p.communicate(timeout=WAIT) for p in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err

    after = _outputs(project)
    assert (project / "dist" / COMPLETE_MARKER).exists()
    assert after["graph.nq"] == before["graph.nq"] and after["inferred.nq"] == before["inferred.nq"]
    assert _build_folders(project) == [(project / "dist").resolve()]
    names = sorted(p.name for p in builds.iterdir())
    assert names == sorted([".lock", CACHE_FOLDER, (project / "dist").resolve().name])
    assert not list((builds / CACHE_FOLDER).glob(".scratch-*")), "both builds removed their scratch"
