"""Fact sheets: one YAML file per document, each claim a record with its verbatim quote.

A sheet (``data/facts/<document-id>.yaml``)::

    document: inss-2025-02-deepseek-israel
    claimant: org/inss            # default claimant of the sheet's claims
    confidence: medium            # default confidence (high, medium, low)
    claims:
      - id: supercomputer-chip
        subject: cluster/israel-national-supercomputer   # or subjects: [..] for a list quote
        property: usesChip        # an aigeo property
        value: chip/h100          # an entity key, or a literal typed by the property's range
        qualifier: about          # about, less-than, more-than, at-least, at-most
        quote: "כ-1500 מעבדיH100"  # verbatim; the loader finds it and records its offsets
        translation: about 1500 H100 processors   # the project's own English rendering
        status: estimated         # asserted, estimated, reported, disputed, unverifiable

The loader locates each quote in the document's text (Python string indices). A quote that is
absent fails with the nearest passage; one that occurs more than once needs ``occurrence: N``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad

from kg.assembly import Assembly, as_node
from kg.iris import CLAIMS, entity_iri
from kg.namespaces import AIGEO, OA, XSD
from kg.problems import DataError, Problem
from kg.sheets import check_fields, check_key
from kg.sources import Source
from kg.values import date_literal, typed_literal
from kg.vocabulary import Vocabulary
from kg.yamlfile import Located, load_text

_SHEET_REQUIRED = {"document", "claims"}
_SHEET_ALLOWED = {"claimant", "confidence", "note"}
_CLAIM_REQUIRED = {"id", "property", "value", "quote", "translation"}
_CLAIM_ALLOWED = {
    "subject",
    "subjects",
    "qualifier",
    "occurrence",
    "claimant",
    "status",
    "rank",
    "confidence",
    "under_rule",
    "valid_from",
    "valid_to",
    "point_in_time",
    "note",
    "unit",
    "value_upper",
    "qualifiers",
}
STATUSES = {s: s.capitalize() for s in ("asserted", "estimated", "reported", "disputed", "unverifiable")}
QUALIFIERS = {
    "about": "About",
    "less-than": "LessThan",
    "more-than": "MoreThan",
    "at-least": "AtLeast",
    "at-most": "AtMost",
}
RANKS = {"preferred": "PreferredRank", "normal": "NormalRank", "deprecated": "DeprecatedRank"}
CONFIDENCES = {"high": "HighConfidence", "medium": "MediumConfidence", "low": "LowConfidence"}
_PROPERTY_RANGES = {
    "http://www.w3.org/2002/07/owl#DatatypeProperty",
    "http://www.w3.org/2002/07/owl#ObjectProperty",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property",
}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CONTEXT = 32


def claim_iri(doc_id: str, claim_id: str) -> str:
    """IRI of a claim: ``id/claim/<document>/<claim>``."""
    return f"{CLAIMS}{doc_id}/{claim_id}"


@dataclass
class SheetOutput:
    """What one fact sheet became, apart from its quads: picklable, to cross processes."""

    display: str
    key: str | None = None
    #: the document the sheet quotes, once known to exist and be readable, and its line
    document: str | None = None
    document_line: int = 1
    claims: int = 0
    problems: list[Problem] = dataclasses.field(default_factory=list)
    sites: list[tuple[str, str, int]] = dataclasses.field(default_factory=list)
    references: list[tuple[str, str, int]] = dataclasses.field(default_factory=list)
    #: the sheet's triples (all in its document's graph) as an N-Triples file, once written
    #: (only for a sheet without problems)
    ntriples: Path | None = None
    ntriples_sha256: str | None = None
    #: quotes whose offsets the reading process checked against the text
    quotes_checked: int = 0


def read_fact_sheet(
    display: str, text: str, sources: dict[str, Source], vocab: Vocabulary
) -> tuple[SheetOutput, list[Quad]]:
    """Parse one fact sheet's ``text``; return what it became and its claims' quads.

    Depends on nothing but its arguments, so sheets can be read in any order and process.
    Cross-sheet checks (two sheets for one document) are the caller's.
    """
    out = SheetOutput(display)
    problems = out.problems
    assembly = Assembly()
    try:
        sheet = load_text(text, display)
    except DataError as exc:
        problems.extend(exc.problems)
        return out, []
    if not check_fields(sheet, _SHEET_REQUIRED, _SHEET_ALLOWED, "fact sheet", problems, display, 1):
        return out, []
    doc_id = sheet["document"]
    source = sources.get(doc_id) if isinstance(doc_id, str) else None
    if source is None:
        near = difflib.get_close_matches(str(doc_id), list(sources), n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else " (no such data/sources/<id>.yaml)"
        problems.append(Problem(display, sheet.line_of("document"), f"unknown document {doc_id!r}{hint}"))
        return out, []
    if source.broken:
        return out, []  # its record or text could not be read, which is already reported
    out.document, out.document_line = source.id, sheet.line_of("document")
    if not source.held:
        problems.append(
            Problem(
                display,
                sheet.line_of("document"),
                f"the text of {source.id!r} is not held: its claims cannot be quoted",
            )
        )
        return out, []
    if not isinstance(sheet["claims"], list):
        problems.append(Problem(display, sheet.line_of("claims"), "claims must be a list"))
        return out, []
    seen: dict[str, int] = {}
    for record in sheet["claims"]:
        out.claims += _load_claim(record, sheet, source, display, vocab, assembly, problems, seen)
    out.sites = [(iri, file, line) for iri, (file, line) in assembly.sites.items()]
    out.references = assembly.references
    return out, assembly.quads


def _load_claim(record, sheet, source: Source, display, vocab, assembly, problems, seen) -> int:
    line = getattr(record, "line", sheet.line_of("claims"))
    if not check_fields(record, _CLAIM_REQUIRED, _CLAIM_ALLOWED, "claim", problems, display, line):
        return 0
    claim_id = record["id"]
    if not isinstance(claim_id, str) or not _SLUG.match(claim_id):
        problems.append(
            Problem(display, record.line_of("id"), f"claim id {claim_id!r} must be a lower-case slug")
        )
        return 0
    if claim_id in seen:
        problems.append(
            Problem(
                display,
                record.line_of("id"),
                f"duplicate claim id {claim_id!r} (first at line {seen[claim_id]})",
            )
        )
        return 0
    seen[claim_id] = record.line
    if ("subject" in record) == ("subjects" in record):
        problems.append(Problem(display, record.line, "a claim needs exactly one of 'subject' or 'subjects'"))
        return 0
    subjects = [record["subject"]] if "subject" in record else record["subjects"]
    if not isinstance(subjects, list) or not subjects:
        problems.append(
            Problem(
                display,
                record.line_of("subjects"),
                "subjects must be a non-empty list of entity ids",
            )
        )
        return 0
    fixed = _claim_fields(record, sheet, source, display, vocab, assembly, problems)
    if fixed is None:
        return 0
    made = 0
    for subject in subjects:
        where = record.line_of("subject" if "subject" in record else "subjects")
        if not check_key(subject, problems, display, where, "subject"):
            continue
        cid = claim_id if "subject" in record else f"{claim_id}-{subject.rsplit('/', 1)[1].lower()}"
        iri = claim_iri(source.id, cid)
        _emit(iri, entity_iri(subject), fixed, source, assembly)
        assembly.define(iri, display, record.line)
        assembly.refer(entity_iri(subject), display, where)
        made += 1
    return made


def _claim_fields(
    record: Located, sheet: Located, source: Source, display, vocab: Vocabulary, assembly, problems
):
    """Everything about a claim except its subject, checked; None if something is wrong."""
    before = len(problems)
    out: dict = {"extra": []}
    prop = vocab.properties.get(str(record["property"]))
    if prop is None:
        near = difflib.get_close_matches(str(record["property"]), list(vocab.properties), n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        problems.append(
            Problem(
                display,
                record.line_of("property"),
                f"unknown property {record['property']!r}{hint}",
            )
        )
    else:
        out["property"] = prop
        value = record["value"]
        if prop.is_object and isinstance(value, str) and value in vocab.individuals:
            out["value"] = NamedNode(vocab.individuals[value])
        elif prop.is_object and prop.range in _PROPERTY_RANGES and isinstance(value, str):
            # a claim about a property itself, such as the figure a threshold tests (onFigure: tpp)
            if value in vocab.properties:
                out["value"] = NamedNode(vocab.properties[value].iri)
            else:
                problems.append(
                    Problem(display, record.line_of("value"), f"unknown property {value!r} as value")
                )
        elif prop.is_object:
            if check_key(value, problems, display, record.line_of("value"), "value"):
                out["value"] = NamedNode(entity_iri(value))
                assembly.refer(entity_iri(value), display, record.line_of("value"))
        else:
            try:
                out["value"] = typed_literal(value, prop.range, language="en")
            except ValueError as exc:
                rng = (prop.range or "untyped").rsplit("#", 1)[-1]
                problems.append(
                    Problem(
                        display,
                        record.line_of("value"),
                        f"value does not fit the range {rng} of {record['property']}: {exc}",
                    )
                )

    claimant = record.get("claimant", sheet.get("claimant"))
    if claimant is None:
        problems.append(
            Problem(display, record.line, "claim has no claimant (set one on the claim or the sheet)")
        )
    elif check_key(claimant, problems, display, record.line_of("claimant"), "claimant"):
        out["claimant"] = NamedNode(entity_iri(claimant))
        assembly.refer(
            entity_iri(claimant),
            display,
            record.line_of("claimant") if "claimant" in record else sheet.line_of("claimant"),
        )

    for field, table, default in (
        ("status", STATUSES, "asserted"),
        ("rank", RANKS, "normal"),
        ("qualifier", QUALIFIERS, None),
        ("confidence", CONFIDENCES, sheet.get("confidence")),
    ):
        raw = record.get(field, default)
        if raw is None:
            continue
        if not isinstance(raw, str) or raw not in table:
            problems.append(
                Problem(
                    display,
                    record.line_of(field),
                    f"{field} {raw!r} is not one of {', '.join(table)}",
                )
            )
        else:
            out[field] = NamedNode(AIGEO[table[raw]])

    if "value_upper" in record and prop is not None and not prop.is_object:
        try:
            out["extra"].append(
                (AIGEO.valueUpper, typed_literal(record["value_upper"], prop.range, language="en"))
            )
        except ValueError as exc:
            problems.append(Problem(display, record.line_of("value_upper"), f"value_upper: {exc}"))
    if "unit" in record and check_key(record["unit"], problems, display, record.line_of("unit"), "unit"):
        out["extra"].append((AIGEO.unit, NamedNode(entity_iri(record["unit"]))))
        assembly.refer(entity_iri(record["unit"]), display, record.line_of("unit"))
    _qualifiers(record, vocab, out, display, assembly, problems)
    for field, prop_iri in (
        ("valid_from", AIGEO.validFrom),
        ("valid_to", AIGEO.validTo),
        ("point_in_time", AIGEO.pointInTime),
    ):
        if field in record:
            try:
                out["extra"].append((prop_iri, date_literal(record[field])))
            except ValueError as exc:
                problems.append(Problem(display, record.line_of(field), str(exc)))
    if "under_rule" in record and check_key(
        record["under_rule"], problems, display, record.line_of("under_rule"), "under_rule"
    ):
        out["extra"].append((AIGEO.underRule, NamedNode(entity_iri(record["under_rule"]))))
        assembly.refer(entity_iri(record["under_rule"]), display, record.line_of("under_rule"))
    if "note" in record:
        out["extra"].append(
            (AIGEO.curatorNote, Literal(" ".join(str(record["note"]).split()), language="en"))
        )
    out["translation"] = Literal(" ".join(str(record["translation"]).split()), language="en")

    quote = record["quote"]
    if not isinstance(quote, str) or not quote.strip():
        problems.append(Problem(display, record.line_of("quote"), "quote must be non-empty text"))
    else:
        located = locate_quote(source.text, quote, record.get("occurrence"))
        if isinstance(located, str):
            problems.append(
                Problem(
                    display,
                    record.line_of("quote"),
                    f"{located} (in {source.text_display})",
                    focus=f"claim {record['id']}",
                )
            )
        else:
            out["quote"], out["start"], out["end"] = quote, located[0], located[1]
    return out if len(problems) == before else None


def _qualifiers(record: Located, vocab: Vocabulary, out: dict, display, assembly, problems) -> None:
    """Further qualifiers: any ontology property whose domain is aigeo:Claim (sharePercent, onBenchmark)."""
    quals = record.get("qualifiers")
    if quals is None:
        return
    if not isinstance(quals, Located):
        problems.append(
            Problem(display, record.line_of("qualifiers"), "qualifiers must map a property to a value")
        )
        return
    for name, value in quals.items():
        where = quals.line_of(name)
        prop = vocab.properties.get(name)
        if prop is None or prop.domain != str(AIGEO.Claim):
            known = ", ".join(sorted(k for k, p in vocab.properties.items() if p.domain == str(AIGEO.Claim)))
            problems.append(
                Problem(display, where, f"{name!r} is not a claim qualifier (qualifiers: {known})")
            )
            continue
        if prop.is_object:
            if check_key(value, problems, display, where, name):
                out["extra"].append((prop.iri, NamedNode(entity_iri(value))))
                assembly.refer(entity_iri(value), display, where)
            continue
        try:
            out["extra"].append((prop.iri, typed_literal(value, prop.range, language="en")))
        except ValueError as exc:
            problems.append(Problem(display, where, f"{name}: {exc}"))


def locate_quote(text: str, quote: str, occurrence: object = None) -> tuple[int, int] | str:
    """Find ``quote`` verbatim in ``text``: return ``(start, end)`` or the reason it failed.

    >>> locate_quote("one two one", "two")
    (4, 7)
    >>> locate_quote("one two one", "one")
    "quote occurs 2 times (at 0, 8); add 'occurrence: N' (1-based) or quote more"
    >>> locate_quote("one two one", "one", 2)
    (8, 11)
    >>> locate_quote("the H800 chips", "the H100 chips")
    "quote not found; nearest passage at 0: 'the H800 chips'"
    """
    starts = _occurrences(text, quote)
    if not starts:
        return f"quote not found; {nearest_passage(text, quote)}"
    if occurrence is None:
        if len(starts) > 1:
            at = ", ".join(str(s) for s in starts[:5])
            return f"quote occurs {len(starts)} times (at {at}); add 'occurrence: N' (1-based) or quote more"
        return starts[0], starts[0] + len(quote)
    if isinstance(occurrence, bool) or not isinstance(occurrence, int) or not 1 <= occurrence <= len(starts):
        return f"occurrence {occurrence!r} out of range: the quote occurs {len(starts)} time(s)"
    start = starts[occurrence - 1]
    return start, start + len(quote)


def _occurrences(text: str, quote: str) -> list[int]:
    """Where ``quote`` starts in ``text``, not overlapping (as ``re.finditer`` counts them)."""
    if not quote:
        return list(range(len(text) + 1))
    starts, at = [], text.find(quote)
    while at != -1:
        starts.append(at)
        at = text.find(quote, at + len(quote))
    return starts


def nearest_passage(text: str, quote: str) -> str:
    """Describe the passage of ``text`` most like ``quote`` (for an error message)."""
    n = len(quote)
    best, best_at = 0.0, 0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(quote)
    step = max(1, n // 4)
    for at in range(0, max(1, len(text) - n + 1), step):
        matcher.set_seq1(text[at : at + n])
        if matcher.real_quick_ratio() <= best or matcher.quick_ratio() <= best:
            continue
        r = matcher.ratio()
        if r > best:
            best, best_at = r, at
    for at in range(max(0, best_at - step), min(len(text), best_at + step + 1)):
        matcher.set_seq1(text[at : at + n])
        r = matcher.ratio()
        if r > best:
            best, best_at = r, at
    return f"nearest passage at {best_at}: {text[best_at : best_at + n]!r}"


#: The claim model's terms as pyoxigraph nodes, made once: a claim is 23 quads, and making each
#: node per quad was a third of the time spent reading a sheet.
_N = {
    name: NamedNode(str(iri))
    for name, iri in {
        "type": "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "Claim": AIGEO.Claim,
        "subject": AIGEO.subject,
        "property": AIGEO.property,
        "value": AIGEO.value,
        "claimant": AIGEO.claimant,
        "reportedIn": AIGEO.reportedIn,
        "status": AIGEO.status,
        "rank": AIGEO.rank,
        "qualifier": AIGEO.qualifier,
        "confidence": AIGEO.confidence,
        "projectTranslation": AIGEO.projectTranslation,
        "evidence": AIGEO.evidence,
        "SpecificResource": OA.SpecificResource,
        "hasSource": OA.hasSource,
        "hasSelector": OA.hasSelector,
        "TextQuoteSelector": OA.TextQuoteSelector,
        "exact": OA.exact,
        "prefix": OA.prefix,
        "suffix": OA.suffix,
        "TextPositionSelector": OA.TextPositionSelector,
        "start": OA.start,
        "end": OA.end,
        "integer": XSD.integer,
    }.items()
}


def _emit(iri: str, subject: str, f: dict, source: Source, assembly: Assembly) -> None:
    g, n = source.graph, _N
    claim, document = NamedNode(iri), as_node(source.iri)
    evidence, quote_sel, pos_sel = (NamedNode(f"{iri}#{part}") for part in ("evidence", "quote", "position"))
    quads = [
        Quad(claim, n["type"], n["Claim"], g),
        Quad(claim, n["subject"], NamedNode(subject), g),
        Quad(claim, n["property"], as_node(f["property"].iri), g),
        Quad(claim, n["value"], as_node(f["value"]), g),
        Quad(claim, n["claimant"], as_node(f["claimant"]), g),
        Quad(claim, n["reportedIn"], document, g),
    ]
    quads += [Quad(claim, n[field], as_node(f[field]), g) for field in _OPTIONAL_LINKS if field in f]
    quads.append(Quad(claim, n["projectTranslation"], as_node(f["translation"]), g))
    quads += [Quad(claim, as_node(p), as_node(o), g) for p, o in f["extra"]]
    start, end, text = f["start"], f["end"], source.text
    quads += [
        Quad(claim, n["evidence"], evidence, g),
        Quad(evidence, n["type"], n["SpecificResource"], g),
        Quad(evidence, n["hasSource"], document, g),
        Quad(evidence, n["hasSelector"], quote_sel, g),
        Quad(evidence, n["hasSelector"], pos_sel, g),
        Quad(quote_sel, n["type"], n["TextQuoteSelector"], g),
        Quad(quote_sel, n["exact"], Literal(f["quote"], language=source.language), g),
        Quad(quote_sel, n["prefix"], Literal(text[max(0, start - _CONTEXT) : start]), g),
        Quad(quote_sel, n["suffix"], Literal(text[end : end + _CONTEXT]), g),
        Quad(pos_sel, n["type"], n["TextPositionSelector"], g),
        Quad(pos_sel, n["start"], Literal(str(start), datatype=n["integer"]), g),
        Quad(pos_sel, n["end"], Literal(str(end), datatype=n["integer"]), g),
    ]
    assembly.quads.extend(quads)


_OPTIONAL_LINKS = ("status", "rank", "qualifier", "confidence")
