"""SPARQL quality checks: every ``queries/qc/*.rq`` must return no rows; each row is a problem.

A check projects ``?focus`` (the offending node) and ``?message`` (a sentence saying what is
wrong), and may project more columns, which are appended to the message. The error names the
line where the focus is defined, or, when the check projects ``?site``, where that node is (for
a focus the project does not curate, such as a country, the claim that placed it).

A check may say which of its variables a rebuild needs to look at again::

    #+ rerun-for: focus subject

That line promises that every triple deciding whether a row exists is either about (has as
subject) the node bound to one of those variables, or is vocabulary: about a term outside the
data namespace (the ontology, the shapes). After a change that leaves the vocabulary alone,
only rows with one of those variables bound to a node the change touched can appear or vanish,
so the check runs once per variable, bound to those nodes (:func:`run_quality_checks` with
``changed``), not over the whole store. docs/decisions/20261124-rebuild-from-the-previous-build.md
has the figures; tests/test_qc_rerun.py checks the promise on random changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Store

from kg.assembly import Assembly
from kg.concurrency import map_in_threads
from kg.iris import compact
from kg.problems import DataError, Problem
from kg.rerun import HeaderError, bound, rerun_variables


def run_quality_checks(
    store: Store,
    folder: Path,
    root: Path,
    assembly: Assembly,
    changed: Iterable[NamedNode] | None = None,
) -> tuple[dict[str, int], list[Problem]]:
    """Run every check; return rows per check and the problems.

    With ``changed`` (the nodes whose own triples differ from a store that had no problems, and
    no vocabulary among them), a check with a ``#+ rerun-for:`` line runs only for those nodes;
    the others run over the whole store. Either way the rows are those of the whole store.
    """
    counts: dict[str, int] = {}
    problems: list[Problem] = []
    paths = sorted(folder.glob("*.rq"))
    values = _values(changed)
    for path, answer in zip(paths, map_in_threads(lambda p: _run(store, p, values), paths), strict=True):
        display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        names, rows = _answered(answer, display)
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


def check_rows(
    store: Store, path: Path, changed: Iterable[NamedNode] | None = None
) -> tuple[list[str], list[tuple]]:
    """One check's column names and its rows as tuples of terms (None where unbound), run as
    :func:`run_quality_checks` runs it.

    Raises:
        DataError: the check is not valid SPARQL, or its ``#+ rerun-for:`` line is wrong.
    """
    names, rows = _answered(_run(store, path, _values(changed)), str(path))
    return names, [tuple(row[name] for name in names) for row in rows]


def _answered(answer, display: str) -> tuple[list[str], list]:
    """The column names and rows of ``answer``, or the DataError naming what is wrong in ``display``."""
    if isinstance(answer, HeaderError):
        raise DataError([Problem(display, answer.line, str(answer))], "qc")
    if isinstance(answer, SyntaxError):
        raise DataError([Problem(display, answer.lineno or 0, f"SPARQL syntax error: {answer.msg}")], "qc")
    return answer


def _values(changed: Iterable[NamedNode] | None) -> str | None:
    return None if changed is None else " ".join(sorted(f"<{node.value}>" for node in changed))


def _run(store: Store, path: Path, values: str | None) -> tuple[list[str], list] | SyntaxError | HeaderError:
    """One check's column names and rows, or its error (reported in file order, not thread order).

    With ``values`` and a ``#+ rerun-for:`` line, once per listed variable, bound to ``values``;
    rows found more than once are kept once.
    """
    text = path.read_text(encoding="utf-8")
    try:
        rerun = rerun_variables(text)
    except HeaderError as exc:
        return exc
    try:
        if rerun is None or values is None:
            solutions = store.query(text, use_default_graph_as_union=True)
            return [v.value for v in solutions.variables], list(solutions)
        if not values:
            return [], []
        names: list[str] = []
        rows: dict[tuple, object] = {}
        for variable in rerun:
            solutions = store.query(bound(text, variable, values), use_default_graph_as_union=True)
            names = [v.value for v in solutions.variables]
            for row in solutions:
                rows.setdefault(tuple(row[name] for name in names), row)
        return names, list(rows.values())
    except SyntaxError as exc:
        return exc


def _show(term) -> str:
    return compact(term.value) if hasattr(term, "value") else str(term)
