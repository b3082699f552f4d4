"""Printing SELECT results: an aligned text table, or W3C CSV, TSV and SPARQL JSON.

CSV, TSV and JSON come from pyoxigraph's own serialisers (W3C SPARQL 1.1 Query Results formats).
The table shows IRIs shortened with the project prefixes and pads by display width, so that
Hebrew and Arabic cells line up with Latin ones in a terminal.
"""

from __future__ import annotations

import unicodedata

from pyoxigraph import BlankNode, Literal, NamedNode, QueryResultsFormat

from kg.iris import compact

FORMATS = {
    "table": None,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
    "json": QueryResultsFormat.JSON,
}


def render(solutions, fmt: str) -> str:
    """Render query solutions in ``fmt`` (table, csv, tsv, json)."""
    if fmt != "table":
        data = solutions.serialize(format=FORMATS[fmt])
        return data.decode("utf-8")
    names = [v.value for v in solutions.variables]
    rows = [[_cell(row[n]) for n in names] for row in solutions]
    return table(names, rows)


def table(header: list[str], rows: list[list[str]]) -> str:
    """An aligned plain-text table with a count line.

    >>> print(table(["a", "b"], [["ישראל", "1"], ["yy", "22"]]).replace("\u200e", "<LRM>"))
    a      b
    -----  --
    ישראל<LRM>  1
    yy     22
    (2 rows)
    """
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(header)]
    lines = [_line(header, widths), _line(["-" * w for w in widths], widths)]
    lines += [_line(r, widths) for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _line(cells: list[str], widths: list[int]) -> str:
    # A left-to-right mark after each cell keeps the column order in bidi-aware terminals.
    parts = [
        c + ("\u200e" if _has_rtl(c) else "") + " " * (w - _width(c))
        for c, w in zip(cells, widths, strict=True)
    ]
    return "  ".join(parts).rstrip()


def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        return compact(term.value)
    if isinstance(term, BlankNode):
        return "_:" + term.value
    if isinstance(term, Literal):
        return " ".join(term.value.split())
    return str(term)


def _width(text: str) -> int:
    return sum(
        0
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Cf"
        else 2
        if unicodedata.east_asian_width(ch) in "WF"
        else 1
        for ch in text
    )


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)
