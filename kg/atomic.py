"""Writing a file or a folder so that readers see the previous version or the new one, never half.

The new content goes to a temporary name in the destination's own folder (the same file system,
so that :func:`os.replace` is a rename), and is renamed into place only when complete. If writing
fails, the temporary is removed and the destination is left as it was.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with atomic_file(folder / "a.txt") as tmp:
...     _ = tmp.write_text("done", encoding="utf-8")
>>> (folder / "a.txt").read_text(encoding="utf-8"), sorted(p.name for p in folder.iterdir())
('done', ['a.txt'])
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kg.problems import UsageError

#: The file that marks a folder as written by :func:`atomic_folder`, so that it may be replaced.
FOLDER_MARKER = ".kg-export"


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the body succeeds, rename it to ``path``.

    Raises:
        UsageError: the destination's folder is missing or not writable, or ``path`` is a folder.
    """
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; give a file name")
    fd, name = _mkstemp(path)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """Yield a new temporary folder beside ``path``; when the body succeeds, it becomes ``path``.

    An existing ``path`` is replaced only if it is empty or was written by this function (it holds
    :data:`FOLDER_MARKER`), so that a mistyped ``-o`` cannot wipe an unrelated folder. Between the
    two renames that swap old and new there is an instant with no ``path``, never a partial one.

    Raises:
        UsageError: the parent is missing or not writable, or ``path`` is a file or a foreign folder.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not (path / FOLDER_MARKER).exists():
        raise UsageError(f"{path}: exists and was not written by 'kg export'; give a new or empty folder")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        yield tmp
        (tmp / FOLDER_MARKER).write_text("written by kg export; safe to replace\n", encoding="utf-8")
        os.chmod(tmp, 0o755)
        _swap_in(tmp, path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _swap_in(new: Path, path: Path) -> None:
    """Rename ``new`` to ``path``, moving an existing ``path`` aside first and back on failure."""
    old = None
    if path.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
        os.replace(path, old)
    try:
        os.replace(new, path)
    except OSError:
        if old is not None:
            os.replace(old, path)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _mkstemp(path: Path) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
