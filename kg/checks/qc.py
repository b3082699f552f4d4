"""SPARQL quality checks: every ``queries/qc/*.rq`` must return no rows; each row is a problem.

A check projects ``?focus`` (the offending node) and ``?message`` (a sentence saying what is
wrong), and may project more columns, which are appended to the message. The error names the
line where the focus is defined, or, when the check projects ``?site``, where that node is (for
a focus the project does not curate, such as a country, the claim that placed it).
"""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import Literal, Store

from kg.assembly import Assembly
from kg.concurrency import map_in_threads
from kg.iris import compact
from kg.problems import DataError, Problem


def run_quality_checks(
    store: Store, folder: Path, root: Path, assembly: Assembly
) -> tuple[dict[str, int], list[Problem]]:
    """Run every check; return rows per check and the problems."""
    counts: dict[str, int] = {}
    problems: list[Problem] = []
    paths = sorted(folder.glob("*.rq"))
    for path, answer in zip(paths, map_in_threads(lambda p: _run(store, p), paths), strict=True):
        display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        if isinstance(answer, SyntaxError):
            raise DataError(
                [Problem(display, answer.lineno or 0, f"SPARQL syntax error: {answer.msg}")], "qc"
            )
        names, rows = answer
        counts[path.stem] = len(rows)
        for row in rows:
            focus = row["focus"]
            message = row["message"]
            site = row["site"] if "site" in names else None
            file, line = (
                (assembly.where(site.value) if site is not None else None)
                or (assembly.where(focus.value) if focus is not None else None)
                or (display, 0)
            )
            extra = [
                f"{v}={_show(row[v])}"
                for v in names
                if v not in ("focus", "message", "site") and row[v] is not None
            ]
            text = (message.value if isinstance(message, Literal) else path.stem) + (
                f" ({', '.join(extra)})" if extra else ""
            )
            problems.append(
                Problem(
                    file,
                    line,
                    f"{text} [qc:{path.stem}]",
                    focus=_show(focus) if focus is not None else None,
                )
            )
    return counts, problems


def _run(store: Store, path: Path) -> tuple[list[str], list] | SyntaxError:
    """One check's column names and rows, or its syntax error (reported in file order, not thread order)."""
    try:
        solutions = store.query(path.read_text(encoding="utf-8"), use_default_graph_as_union=True)
        return [v.value for v in solutions.variables], list(solutions)
    except SyntaxError as exc:
        return exc


def _show(term) -> str:
    return compact(term.value) if hasattr(term, "value") else str(term)
