"""The selection as CSV tables: one per entity kind, and ``claims.csv`` with quotes and sources.

Files are UTF-8 with a byte-order mark (``utf-8-sig``), a header row and CRLF line ends (RFC 4180):
without the mark, Excel reads UTF-8 as the local code page and garbles Hebrew and Arabic; pandas,
LibreOffice and Google Sheets skip it (Python's csv module: open with ``encoding="utf-8-sig"``).
A cell with several values (aliases, conflicting figures) joins them with `` | ``. Quotes are
verbatim: the csv module quotes a cell that holds a comma, a quote mark or a line break.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pyoxigraph import NamedNode

from kg.atomic import atomic_folder
from kg.export.attributes import entity_values
from kg.export.records import Build, key_of
from kg.export.selection import Selection

ENCODING = "utf-8-sig"
JOIN = " | "
CLAIM_COLUMNS = (
    "claim",
    "subject",
    "subject_label",
    "property",
    "value",
    "value_label",
    "value_upper",
    "qualifier",
    "unit",
    "quote",
    "language",
    "translation",
    "document",
    "document_title",
    "document_date",
    "claimant",
    "status",
    "rank",
    "confidence",
    "valid_from",
    "valid_to",
    "point_in_time",
    "start",
    "end",
)


def write_tables(selection: Selection, folder: Path) -> str:
    """Write ``<kind>.csv`` files and ``claims.csv`` into ``folder``, atomically as a whole.

    Raises:
        UsageError: the folder cannot be written, or exists and was not written by an export.
    """
    columns, values = entity_values(selection)
    by_kind: dict[str, list[str]] = {}
    for iri, entity in selection.entities.items():
        by_kind.setdefault(selection.kind(entity).name, []).append(iri)
    with atomic_folder(folder) as tmp:
        for kind, iris in sorted(by_kind.items()):
            used = [c for c in columns if c.name != "kind" and any(c.name in values[i] for i in iris)]
            header = ["id", *(c.name for c in used)]
            rows = [
                [
                    selection.entities[i].key,
                    *(JOIN.join(v.text for v in values[i].get(c.name, ())) for c in used),
                ]
                for i in iris
            ]
            _write(tmp / f"{kind}.csv", header, rows)
        _write(
            tmp / "claims.csv",
            list(CLAIM_COLUMNS),
            [_claim_row(selection.build, c) for c in selection.claims],
        )
    entities, claims = len(selection.entities), len(selection.claims)
    return f"{len(by_kind)} entity tables ({entities} rows), claims.csv ({claims} rows)"


def _claim_row(build: Build, c) -> list[str]:
    doc = build.documents.get(c.document)

    def short(iri: str | None) -> str:
        return key_of(iri) if iri else ""

    def label(iri: str | None) -> str:
        return build.label(iri) if iri else ""

    def lexical(term) -> str:
        return term.value if term is not None else ""

    is_iri = isinstance(c.value, NamedNode)
    return [
        c.key,
        key_of(c.subject),
        build.label(c.subject),
        key_of(c.property),
        key_of(c.value.value) if is_iri else c.value.value,
        build.label(c.value.value) if is_iri else "",
        lexical(c.upper),
        label(c.qualifier),
        short(c.unit),
        c.quote,
        c.language or "",
        c.translation or "",
        key_of(c.document),
        (doc.title or "") if doc else "",
        doc.date.value if doc and doc.date is not None else "",
        short(c.claimant),
        label(c.status),
        label(c.rank),
        label(c.confidence),
        lexical(c.valid_from),
        lexical(c.valid_to),
        lexical(c.point_in_time),
        "" if c.start is None else str(c.start),
        "" if c.end is None else str(c.end),
    ]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding=ENCODING, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
