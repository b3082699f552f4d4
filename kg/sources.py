"""Source documents: their held text, its SHA-256, and their metadata record.

Each document is ``data/sources/<id>.yaml`` with its text beside it. A metadata field says how
it is known: ``stated`` in the text, ``inferred`` (with a ``reason``), ``cited`` from the
reference notes, or ``unknown``. The text's SHA-256 is recorded; the provenance check fails the
build when the text no longer matches it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from kg.assembly import Assembly
from kg.inputfile import decode_input, read_input_bytes
from kg.iris import ID, KEY_PATTERN, entity_iri, graph_iri
from kg.namespaces import AIGEO, DCTERMS, SCHEMA, XSD
from kg.problems import DataError, Problem
from kg.sheets import check_fields, check_key, project_path, read_sheets
from kg.values import date_literal
from kg.yamlfile import Located, load_file

_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_TEXT_NAME = re.compile(r"^[^/\\]+\.txt$")
_FIELDS = {"title", "publisher", "authors", "date", "url"}
_REQUIRED = {"id", "text", "sha256", "scope", "type", "language", *_FIELDS}
_ALLOWED = {"origin", "seen_in", "description"}
_BASES = {"stated": "Stated", "inferred": "Inferred", "cited": "Cited", "unknown": "Unknown"}
_SCOPES = {"full-text": "FullText", "excerpts": "Excerpts"}
_CITED_REQUIRED = {"id", "type", "language", *_FIELDS}
_FIELD_PROPERTY = {
    "title": DCTERMS.title,
    "publisher": DCTERMS.publisher,
    "authors": DCTERMS.creator,
    "date": DCTERMS.date,
    "url": SCHEMA.url,
}


def document_graph(document: str) -> NamedNode:
    """The named graph of a document's record and of the claims its fact sheet makes."""
    return NamedNode(graph_iri(f"doc/{document}"))


@dataclass
class Source:
    """A document whose text the project holds (in full or as excerpts)."""

    id: str
    iri: str
    text: str | None
    text_path: Path | None
    text_display: str | None
    language: str
    sha256_recorded: str | None
    record_display: str
    sha256_line: int
    #: SHA-256 of the bytes the build read (None if the text is not held)
    sha256_read: str | None = None
    #: True for a document whose record or text could not be read (the problem is already reported)
    broken: bool = False

    @property
    def graph(self) -> NamedNode:
        """The named graph holding this document's metadata and the claims it reports."""
        return document_graph(self.id)

    @property
    def held(self) -> bool:
        """True if the project holds the document's text, so that quotes can be checked."""
        return self.text is not None

    def sha256_actual(self) -> str:
        """SHA-256 of the text as the build read it (or as it is on disk, for a Source made by hand)."""
        if self.sha256_read is None:
            self.sha256_read = hashlib.sha256(self.text_path.read_bytes()).hexdigest()
        return self.sha256_read


def document_iri(doc_id: str) -> str:
    """IRI of a document by its id."""
    return str(ID) + f"doc/{doc_id}"


def load_sources(
    folder: Path, root: Path, assembly: Assembly, problems: list[Problem], document_classes: set[str]
) -> dict[str, Source]:
    """Read every source record in ``folder`` and add its metadata to ``assembly``."""
    sources: dict[str, Source] = {}
    for path in sorted(folder.glob("*.yaml")):
        display = project_path(path, root)
        try:
            record = load_file(path, display)
        except DataError as exc:
            problems.extend(exc.problems)
            record = None
        source = None
        if record is not None:
            source = _load_one(record, path, display, root, assembly, problems, document_classes)
        if source is None:
            # Known by its file name, so that its fact sheet does not add "unknown document".
            sources.setdefault(
                path.stem,
                Source(
                    path.stem, document_iri(path.stem), None, None, None, "", None, display, 0, broken=True
                ),
            )
            continue
        if source.id in sources:
            problems.append(Problem(display, record.line_of("id"), f"duplicate document id {source.id!r}"))
            continue
        sources[source.id] = source
    return sources


def _load_one(record, path, display, root, assembly, problems, document_classes) -> Source | None:
    if not check_fields(record, _REQUIRED, _ALLOWED, "source record", problems, display, 1):
        return None
    doc_id = record["id"]
    if doc_id != path.stem:
        problems.append(
            Problem(
                display,
                record.line_of("id"),
                f"id {doc_id!r} differs from the file name {path.stem!r}",
            )
        )
        return None
    name = record["text"]
    if not isinstance(name, str) or not _TEXT_NAME.match(name):
        # a path such as ../../etc/passwd would put another file's text into the graph's quotes
        problems.append(
            Problem(
                display,
                record.line_of("text"),
                f"text {name!r} must be the name of a .txt file beside the record (no folders)",
            )
        )
        return None
    text_path = path.parent / name
    text_display = project_path(text_path, root)
    if not text_path.exists() and not text_path.is_symlink():
        problems.append(Problem(display, record.line_of("text"), f"text file {text_display} does not exist"))
        return None
    try:
        raw = read_input_bytes(text_path, text_display)
        text = decode_input(raw, text_display)
    except DataError as exc:
        problems.extend(exc.problems)
        return None
    scope = _SCOPES.get(record["scope"]) if isinstance(record["scope"], str) else None
    doc_class = record["type"]
    if not isinstance(doc_class, str) or doc_class not in document_classes:
        known = ", ".join(sorted(document_classes))
        problems.append(
            Problem(display, record.line_of("type"), f"unknown document type {doc_class!r} (known: {known})")
        )
        return None
    if scope is None:
        problems.append(Problem(display, record.line_of("scope"), f"scope must be one of {sorted(_SCOPES)}"))
        return None
    if not _language_ok(record, display, problems):
        return None
    source = Source(
        id=doc_id,
        iri=document_iri(doc_id),
        text=text,
        text_path=text_path,
        text_display=text_display,
        language=str(record["language"]),
        sha256_recorded=str(record["sha256"]),
        record_display=display,
        sha256_line=record.line_of("sha256"),
        sha256_read=hashlib.sha256(raw).hexdigest(),
    )
    g, s = source.graph, source.iri
    _describe(record, source, doc_class, display, assembly, problems)
    assembly.add(s, AIGEO.sha256, Literal(source.sha256_recorded), g)
    assembly.add(s, AIGEO.textScope, AIGEO[scope], g)
    assembly.add(s, AIGEO.textFile, Literal(text_display), g)
    return source


def _describe(record: Located, source: Source, doc_class: str, display, assembly, problems) -> None:
    """The metadata every document has, held or only cited."""
    g, s = source.graph, source.iri
    assembly.define(s, display, record.line)
    assembly.entities.add(s)
    assembly.add_type(s, AIGEO[doc_class], g)
    assembly.add(s, DCTERMS.language, Literal(source.language), g)
    if "description" in record:
        assembly.add(s, DCTERMS.description, Literal(str(record["description"]), language="en"), g)
    for name in sorted(_FIELDS):
        _field(record, name, source, assembly, problems, display)


def load_cited_documents(
    folder: Path,
    root: Path,
    assembly: Assembly,
    problems: list[Problem],
    document_classes: set[str],
    sources: dict[str, Source],
) -> int:
    """Read lists of documents the project does not hold (``data/documents/*.yaml``).

    These are the papers, posts and pages the articles cite: metadata only, so no claim can be
    reported in them, but a claim can say that an article cites them.
    """
    count = 0
    for display, records in read_sheets(folder, root, problems, as_list="a document list"):
        for record in records:
            line = getattr(record, "line", 1)
            if not check_fields(
                record, _CITED_REQUIRED, _ALLOWED - {"origin"}, "document", problems, display, line
            ):
                continue
            doc_id, doc_class = record["id"], record["type"]
            if not isinstance(doc_id, str) or not KEY_PATTERN.match("doc/" + doc_id):
                problems.append(
                    Problem(display, record.line_of("id"), f"document id {doc_id!r} is not a slug")
                )
                continue
            if doc_id in sources:
                first = sources[doc_id].record_display
                problems.append(
                    Problem(
                        display, record.line_of("id"), f"duplicate document id {doc_id!r} (also in {first})"
                    )
                )
                continue
            if not isinstance(doc_class, str) or doc_class not in document_classes:
                known = ", ".join(sorted(document_classes))
                problems.append(
                    Problem(
                        display,
                        record.line_of("type"),
                        f"unknown document type {doc_class!r} (known: {known})",
                    )
                )
                continue
            if not _language_ok(record, display, problems):
                continue
            source = Source(
                doc_id, document_iri(doc_id), None, None, None, str(record["language"]), None, display, 0
            )
            _describe(record, source, doc_class, display, assembly, problems)
            sources[doc_id] = source
            count += 1
    return count


def _language_ok(record: Located, display: str, problems: list[Problem]) -> bool:
    """The language must be a language tag (it tags the title and every quote)."""
    if isinstance(record["language"], str) and _LANGUAGE_TAG.match(record["language"]):
        return True
    problems.append(
        Problem(
            display,
            record.line_of("language"),
            f"language {record['language']!r} is not a language tag such as he",
        )
    )
    return False


def _field(record: Located, name: str, source: Source, assembly, problems, display) -> None:
    spec = record[name]
    line = record.line_of(name)
    if not check_fields(
        spec,
        {"basis"},
        {"value", "reason", "not_before"},
        f"field '{name}'",
        problems,
        display,
        line,
    ):
        return
    basis = _BASES.get(spec["basis"]) if isinstance(spec["basis"], str) else None
    if basis is None:
        problems.append(Problem(display, spec.line_of("basis"), f"basis must be one of {sorted(_BASES)}"))
        return
    if basis == "Unknown" and "value" in spec:
        problems.append(Problem(display, spec.line_of("value"), f"field '{name}' is unknown but has a value"))
        return
    if basis == "Inferred" and "reason" not in spec:
        problems.append(Problem(display, spec.line, f"inferred field '{name}' needs a reason"))
        return
    g, s = source.graph, source.iri
    prop = _FIELD_PROPERTY[name]
    assessment = f"{s}#meta-{name}"
    assembly.define(assessment, display, spec.line)
    assembly.add(s, AIGEO.metadataAssessment, assessment, g)
    assembly.add_type(assessment, AIGEO.MetadataAssessment, g)
    assembly.add(assessment, AIGEO.field, prop, g)
    assembly.add(assessment, AIGEO.basis, AIGEO[basis], g)
    if "reason" in spec:
        assembly.add(
            assessment,
            AIGEO.reason,
            Literal(" ".join(str(spec["reason"]).split()), language="en"),
            g,
        )
    if "not_before" in spec:
        try:
            assembly.add(assessment, AIGEO.notBefore, date_literal(spec["not_before"]), g)
        except ValueError as exc:
            problems.append(Problem(display, spec.line_of("not_before"), str(exc)))
    if "value" not in spec:
        return
    values = spec["value"] if isinstance(spec["value"], list) else [spec["value"]]
    for value in values:
        if name in ("publisher", "authors"):
            if check_key(value, problems, display, spec.line_of("value"), name):
                assembly.add(s, prop, entity_iri(value), g)
                assembly.refer(entity_iri(value), display, spec.line_of("value"))
        elif name == "date":
            try:
                assembly.add(s, prop, date_literal(value), g)
            except ValueError as exc:
                problems.append(Problem(display, spec.line_of("value"), str(exc)))
        elif name == "url":
            assembly.add(s, prop, Literal(str(value), datatype=NamedNode(XSD.anyURI)), g)
        else:
            assembly.add(s, prop, Literal(str(value), language=source.language), g)
