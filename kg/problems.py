"""One report type for every check: a problem has a place (file and line) and a message.

The text layout is fixed, one line per problem, so that editors and CI can jump to it::

    ERROR data/facts/x.yaml:12 <focus> <path> [<shape>] message

>>> p = Problem("data/facts/x.yaml", 12, "quote not found in source", focus="claim/x/y")
>>> p.format()
'ERROR data/facts/x.yaml:12 claim/x/y quote not found in source'
"""

from __future__ import annotations

from dataclasses import dataclass, replace

EXIT_OK = 0
EXIT_NONCONFORMING = 1
EXIT_USAGE = 2


@dataclass(frozen=True, order=True)
class Problem:
    """A single finding that makes the data unacceptable."""

    file: str
    line: int
    message: str
    focus: str | None = None
    path: str | None = None
    shape: str | None = None
    severity: str = "ERROR"

    def format(self) -> str:
        """Render the problem as one line of text."""
        parts = [self.severity, f"{self.file}:{self.line}"]
        if self.focus:
            parts.append(self.focus)
        if self.path:
            parts.append(self.path)
        if self.shape:
            parts.append(f"[{self.shape}]")
        parts.append(" ".join(self.message.split()))
        return " ".join(parts)


class KgError(Exception):
    """An error the user can act on; ``exit_code`` says which kind."""

    exit_code = EXIT_USAGE


class UsageError(KgError):
    """Bad arguments, a missing build, an unknown query name, a dead endpoint."""


class DataError(KgError):
    """The data does not conform: one or more problems, each with its place."""

    exit_code = EXIT_NONCONFORMING

    def __init__(self, problems: list[Problem], stage: str):
        self.problems = _merge_same_place(problems)
        self.stage = stage
        super().__init__(f"{len(self.problems)} problem(s) in stage {stage}")

    def lines(self) -> list[str]:
        """The report: one line per problem, then a count line."""
        out = [p.format() for p in self.problems]
        n = len(self.problems)
        out.append(f"{n} error{'s' if n != 1 else ''} in stage '{self.stage}'; nothing was written")
        return out


def _merge_same_place(problems: list[Problem]) -> list[Problem]:
    """One problem per place and cause: a record that makes several nodes (a claim with
    ``subjects: [...]``) and fails the same way for each is one line naming the others.

    >>> a = Problem("f.yaml", 6, "bad value", focus="id:claim/d/x-ae")
    >>> b = Problem("f.yaml", 6, "bad value", focus="id:claim/d/x-ch")
    >>> [p.format() for p in _merge_same_place([b, a])]
    ['ERROR f.yaml:6 id:claim/d/x-ae bad value (and 1 more node from this line: id:claim/d/x-ch)']
    """
    groups: dict[tuple, list[Problem]] = {}
    for p in sorted(set(problems)):
        groups.setdefault((p.file, p.line, p.message, p.path, p.shape, p.severity), []).append(p)
    out = []
    for same in groups.values():
        first = same[0]
        others = [p.focus for p in same[1:] if p.focus]
        if others:
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            more = "node" if len(others) == 1 else "nodes"
            first = replace(
                first, message=f"{first.message} (and {len(others)} more {more} from this line: {shown})"
            )
        out.append(first)
    return sorted(out)
