"""Shared checks for curated YAML records: required and allowed fields, keys, references.

Each check appends a located :class:`~kg.problems.Problem` instead of raising, so that one run
reports every mistake in a sheet at once.
"""

from __future__ import annotations

from kg.iris import KEY_PATTERN
from kg.problems import Problem
from kg.yamlfile import Located


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
    ok = True
    for name in sorted(required - record.keys()):
        problems.append(Problem(file, record.line, f"{what} lacks required field '{name}'"))
        ok = False
    for name in sorted(record.keys() - allowed - required):
        near = ", ".join(sorted(allowed | required))
        problems.append(
            Problem(file, record.line_of(name), f"{what} has unknown field '{name}' (known: {near})")
        )
        ok = False
    return ok


def check_key(key: object, problems: list[Problem], file: str, line: int, what: str) -> bool:
    """Check that an entity key looks like ``kind/slug``."""
    if isinstance(key, str) and KEY_PATTERN.match(key):
        return True
    problems.append(Problem(file, line, f"{what} {key!r} is not a key of the form kind/slug"))
    return False
