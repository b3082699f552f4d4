"""SELECT results: an aligned text table, or the W3C CSV, TSV and SPARQL JSON result formats.

Results are first read into a :class:`ResultTable` so that columns can be added (``--sources``)
and IRIs shown by their labels in the text table. The CSV, TSV and JSON writers follow the W3C
SPARQL 1.1 Query Results formats; a test checks them against pyoxigraph's own serialisers.
The table pads by display width, so that Hebrew and Arabic cells line up with Latin ones.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import unicodedata
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode

from kg.iris import compact

FORMATS = ("table", "csv", "tsv", "json")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@dataclass
class ResultTable:
    """Variables and rows of terms (None where a variable is unbound)."""

    variables: list[str]
    rows: list[list]

    @classmethod
    def read(cls, solutions) -> ResultTable:
        """Read pyoxigraph query solutions."""
        names = [v.value for v in solutions.variables]
        return cls(names, [list(row) for row in solutions])  # a solution iterates in variable order

    def column(self, name: str) -> list:
        """The values of one column."""
        i = self.variables.index(name)
        return [r[i] for r in self.rows]

    def iris(self) -> set[str]:
        """Every IRI in the table."""
        return {t.value for r in self.rows for t in r if isinstance(t, NamedNode)}


def render(table: ResultTable, fmt: str, labels: dict[str, str] | None = None) -> str:
    """Render ``table`` in ``fmt``; the text table shows ``labels`` in place of IRIs."""
    if fmt == "json":
        return to_json(table)
    if fmt == "csv":
        return to_csv(table)
    if fmt == "tsv":
        return to_tsv(table)
    rows = [[_cell(t, labels or {}) for t in r] for r in table.rows]
    return text_table(table.variables, rows) + "\n"


def to_json(table: ResultTable) -> str:
    """W3C SPARQL 1.1 Query Results JSON."""
    bindings = []
    for r in table.rows:
        b = {}
        for name, term in zip(table.variables, r, strict=True):
            if term is not None:
                b[name] = _json_term(term)
        bindings.append(b)
    doc = {"head": {"vars": table.variables}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def _json_term(term) -> dict:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != _XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def to_csv(table: ResultTable) -> str:
    """W3C SPARQL 1.1 CSV: lexical values only, CRLF line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(table.variables)
    for r in table.rows:
        writer.writerow(
            ["" if t is None else ("_:" + t.value if isinstance(t, BlankNode) else t.value) for t in r]
        )
    return buf.getvalue()


def to_tsv(table: ResultTable) -> str:
    """W3C SPARQL 1.1 TSV: terms in their N-Triples form."""
    lines = ["\t".join("?" + v for v in table.variables)]
    lines += ["\t".join("" if t is None else _tsv_term(t) for t in r) for r in table.rows]
    return "\n".join(lines) + "\n"


def _tsv_term(term) -> str:
    if isinstance(term, Literal) and not term.language:
        dt = term.datatype.value
        if dt in (
            "http://www.w3.org/2001/XMLSchema#integer",
            "http://www.w3.org/2001/XMLSchema#decimal",
            "http://www.w3.org/2001/XMLSchema#double",
            "http://www.w3.org/2001/XMLSchema#boolean",
        ):
            return term.value
    return str(term)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """An aligned plain-text table with a count line.

    >>> print(text_table(["a", "b"], [["ישראל", "1"], ["yy", "22"]]).replace("\\u200e", "<LRM>"))
    a      b
    -----  --
    ישראל<LRM>  1
    yy     22
    (2 rows)
    """
    cell_widths = [[_width(c) for c in r] for r in rows]
    widths = [max([_width(h)] + [w[i] for w in cell_widths]) for i, h in enumerate(header)]
    lines = [_line(header, widths), _line(["-" * w for w in widths], widths)]
    lines += [_line(r, widths, w) for r, w in zip(rows, cell_widths, strict=True)]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _line(cells: list[str], widths: list[int], own: list[int] | None = None) -> str:
    # A left-to-right mark after each right-to-left cell keeps the column order in bidi terminals.
    own = own or [_width(c) for c in cells]
    parts = [
        c + ("\u200e" if _has_rtl(c) else "") + " " * (w - n)
        for c, w, n in zip(cells, widths, own, strict=True)
    ]
    return "  ".join(parts).rstrip()


def _cell(term, labels: dict[str, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        return labels.get(term.value) or compact(term.value)
    if isinstance(term, BlankNode):
        return "_:" + term.value
    if isinstance(term, Literal):
        return " ".join(term.value.split())
    return str(term)


def _width(text: str) -> int:
    if text.isascii() and text.isprintable():
        return len(text)  # the common case, 40x faster than asking unicodedata per character
    return _wide_width(text)


@functools.lru_cache(maxsize=65_536)
def _wide_width(text: str) -> int:
    return sum(
        0
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Cf"
        else 2
        if unicodedata.east_asian_width(ch) in "WF"
        else 1
        for ch in text
    )


def _has_rtl(text: str) -> bool:
    return not text.isascii() and any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)
