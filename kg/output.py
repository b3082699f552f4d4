"""Putting a finished build in place atomically, so that a failed or killed build loses nothing.

The output folder (``dist/`` by default) is a symbolic link to one complete build in a sibling
folder (``.dist-builds/<build-id>/``). A build writes its files into a new folder of its own,
then swaps the link with :func:`os.replace`, which is atomic: readers see the old build or the
new one, never a mixture. Writers hold a lock while they swap and prune, so two builds started
at once cannot delete each other's files; a folder left by a killed build is
pruned by the next successful one. See docs/decisions/20261123-atomic-build-output.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from kg.faultpoints import pause_point
from kg.problems import UsageError

COMPLETE_MARKER = ".complete"
_STAMP = "%Y%m%dT%H%M%S%fZ"


def builds_dir(out: Path) -> Path:
    """The folder that holds the builds ``out`` links to."""
    return out.parent / f".{out.name}-builds"


@contextlib.contextmanager
def new_build_folder(out: Path) -> Iterator[Path]:
    """Yield a fresh folder to write a build into; on success link ``out`` to it.

    If the body raises, the folder is removed and ``out`` is untouched.

    Raises:
        UsageError: ``out`` exists and is not a link made by a build, or cannot be written.
    """
    check_output_link(out)
    root = builds_dir(out)
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = open(root / ".lock", "a+b")  # noqa: SIM115 - held for the whole swap
    except OSError as exc:
        raise UsageError(f"cannot write build output next to {out}: {exc.strerror}") from None
    stamp = dt.datetime.now(dt.UTC).strftime(_STAMP)
    folder = root / f"{stamp}-{os.getpid()}"
    try:
        # The lock covers writing too: a folder being written can then never be pruned.
        fcntl.flock(lock, fcntl.LOCK_EX)
        folder.mkdir()
        yield folder
        pause_point("write:files")
        (folder / COMPLETE_MARKER).touch()
        link = root / f".link-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(os.path.relpath(folder, out.parent))
        os.replace(link, out)
        pause_point("write:linked")
        _prune(root, keep=folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        lock.close()


def check_output_link(out: Path) -> None:
    """Refuse an output path that is a real folder or file: a build never deletes a user's data.

    Raises:
        UsageError: ``out`` exists and is not a symbolic link.
    """
    if out.exists() and not out.is_symlink():
        raise UsageError(f"{out} exists and is not a build link; move it away and build again")


def _prune(root: Path, keep: Path) -> None:
    """Remove every other build folder, and links a killed build left before its swap; called
    with the lock held, so none is being written. Other folders (the sheet cache) stay."""
    for child in root.iterdir():
        if child == keep or child.name == ".lock":
            continue
        if child.is_symlink():
            child.unlink(missing_ok=True)
        elif child.is_dir() and built_at(child) is not None:
            shutil.rmtree(child, ignore_errors=True)


def current_build(out: Path) -> Path | None:
    """The folder ``out`` points to, if a complete build is there."""
    if not out.exists():
        return None
    target = out.resolve()
    return target if (target / COMPLETE_MARKER).exists() else None


def built_at(folder: Path) -> dt.datetime | None:
    """When the build in ``folder`` was started (UTC), read from the folder's name.

    >>> built_at(Path(".dist-builds/20261123T113107423400Z-14016"))
    datetime.datetime(2026, 11, 23, 11, 31, 7, 423400, tzinfo=datetime.timezone.utc)
    """
    stamp = folder.name.split("-", 1)[0]
    try:
        return dt.datetime.strptime(stamp, _STAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        return None
