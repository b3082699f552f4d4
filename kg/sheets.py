"""Shared checks for curated YAML records: required and allowed fields, keys, references.

Each check appends a located :class:`~kg.problems.Problem` instead of raising, so that one run
reports every mistake in a sheet at once.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Iterator
from pathlib import Path

from kg.iris import KEY_PATTERN
from kg.problems import DataError, Problem
from kg.yamlfile import Located, load_file


def project_path(path: Path, root: Path) -> str:
    """``path`` relative to the project root, as error lines show it."""
    # absolute() rather than resolve(): a link is named as itself, not as the file it points to
    resolved_root = _resolved(Path(os.path.abspath(root)))  # keyed absolute: a "." moves with chdir
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(resolved_root))
    except ValueError:
        pass
    try:  # its folder resolved, as the root is; the file's own name stays as written
        return str((_resolved(absolute.parent) / absolute.name).relative_to(resolved_root))
    except ValueError:
        return str(path)


@functools.lru_cache(maxsize=64)
def _resolved(folder: Path) -> Path:
    # one lstat per component: a build names some 6,000 files at 100,000 claims, and resolving
    # each one's path (the root, or the data folder outside it) took 1-1.7 s of the parse stage
    return folder.resolve()


def read_sheets(folder: Path, root: Path, problems: list[Problem], as_list: str | None = None) -> Iterator:
    """Parse every ``*.yaml`` in ``folder``; yield ``(display path, content)``.

    A file that does not parse adds its problems and is skipped. With ``as_list``, the content must
    be a list (``as_list`` names what the file is, for the error).
    """
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        display = project_path(path, root)
        try:
            content = load_file(path, display)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        if as_list and not isinstance(content, list):
            problems.append(Problem(display, 1, f"{as_list} is a list of records"))
            continue
        yield display, content


def check_fields(
    record: object,
    required: set[str],
    allowed: set[str],
    what: str,
    problems: list[Problem],
    file: str,
    line: int,
) -> bool:
    """Check that ``record`` is a mapping with the required fields and no unknown ones."""
    if not isinstance(record, Located):
        problems.append(Problem(file, line, f"{what} must be a mapping of fields"))
        return False
    missing = required - record.keys()
    unknown = record.keys() - allowed - required
    for name in sorted(unknown):
        # a misspelt required field is one mistake: name it once, with the spelling meant
        meant = difflib.get_close_matches(name, sorted(missing), n=1)
        if meant:
            missing.discard(meant[0])
            hint = f"did you mean '{meant[0]}'?"
        else:
            near = difflib.get_close_matches(name, sorted(allowed | required), n=1)
            hint = f"did you mean '{near[0]}'?" if near else f"known: {', '.join(sorted(allowed | required))}"
        problems.append(Problem(file, record.line_of(name), f"{what} has unknown field '{name}' ({hint})"))
    for name in sorted(missing):
        problems.append(Problem(file, record.line, f"{what} lacks required field '{name}'"))
    return not missing and not unknown


def check_key(key: object, problems: list[Problem], file: str, line: int, what: str) -> bool:
    """Check that an entity key looks like ``kind/slug``."""
    if isinstance(key, str) and KEY_PATTERN.match(key):
        return True
    problems.append(Problem(file, line, f"{what} {key!r} is not a key of the form kind/slug"))
    return False
