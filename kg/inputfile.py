"""Reading one input file as UTF-8 text, or one located problem saying why it cannot be read.

Every loader (YAML sheets, source texts, Turtle modules and shapes) reads through
:func:`read_input`, so that a folder where a file should be, a dangling link, a file over the
size limit, bytes that are not UTF-8 and an empty file all give the same one-line errors.
A problem about the whole file has line 0; one about its content names the line.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.yaml"
>>> _ = p.write_bytes("a: 1\\nb: caf\\xe9\\n".encode("latin-1"))
>>> try:
...     read_input(p, "x.yaml")
... except DataError as exc:
...     print(exc.problems[0].format())
ERROR x.yaml:2 not valid UTF-8 at byte 11: invalid continuation byte
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kg.problems import DataError, Problem

#: The largest input file read (a sheet, a source text, a Turtle module). The largest held text
#: is under 50 KB; a file hundreds of times larger is a mistake (a dump, a binary), and reading
#: it whole would hold the build for minutes. See docs/curation.md.
MAX_BYTES = 16 * 1024 * 1024


def read_input(path: Path, display: str, stage: str = "parse", allow_empty: bool = False) -> str:
    """The text of ``path``; errors name ``display`` (a project-relative path).

    Raises:
        DataError: one problem: missing, not a regular file, too large, unreadable, not UTF-8,
            or empty (blank) unless ``allow_empty``.
    """
    return decode_input(read_input_bytes(path, display, stage), display, stage, allow_empty)


def decode_input(data: bytes, display: str, stage: str = "parse", allow_empty: bool = False) -> str:
    """``data`` decoded as UTF-8; a byte that is not UTF-8 is reported with its line.

    Raises:
        DataError: one problem: not UTF-8, or empty (blank) unless ``allow_empty``.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            [Problem(display, line, f"not valid UTF-8 at byte {exc.start}: {exc.reason}")], stage
        ) from None
    if not allow_empty and not text.strip():
        raise DataError([Problem(display, 1, "empty file")], stage)
    return text


def read_input_bytes(path: Path, display: str, stage: str = "parse") -> bytes:
    """The bytes of ``path``, checked to be a regular file within :data:`MAX_BYTES`.

    Raises:
        DataError: one problem saying why the file cannot be read.
    """

    def fail(message: str):
        return DataError([Problem(display, 0, message)], stage)

    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise fail(f"is a link to {os.readlink(path)}, which does not exist") from None
        raise fail("does not exist") from None
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise fail("is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        # reading a FIFO or a device would block or never end
        raise fail("is not a regular file")
    if info.st_size > MAX_BYTES:
        raise fail(
            f"is {info.st_size} bytes; an input file may hold at most {MAX_BYTES // 2**20} MiB "
            "(docs/curation.md)"
        )
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise fail(f"grew past {MAX_BYTES // 2**20} MiB while being read")
    return data
