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
from kg.iris import compact
from kg.problems import DataError, Problem


def run_quality_checks(
    store: Store, folder: Path, root: Path, assembly: Assembly
) -> tuple[dict[str, int], list[Problem]]:
    """Run every check; return rows per check and the problems."""
    counts: dict[str, int] = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.rq")):
        display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        try:
            solutions = store.query(path.read_text(encoding="utf-8"), use_default_graph_as_union=True)
            names = [v.value for v in solutions.variables]
            rows = list(solutions)
        except SyntaxError as exc:
            raise DataError(
                [Problem(display, exc.lineno or 0, f"SPARQL syntax error: {exc.msg}")], "qc"
            ) from None
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


def _show(term) -> str:
    return compact(term.value) if hasattr(term, "value") else str(term)
