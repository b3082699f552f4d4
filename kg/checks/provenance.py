"""Provenance checks on the assembled graph, independent of how the loader located the quotes.

For every document the project holds text for, the text's SHA-256 must equal the recorded one.
A claim reported in a held document must have a text position selector; its offsets must lie
inside the text and the text between them must be exactly the quote of the sibling text quote
selector. A claim's evidence must point at the
document the claim says it was reported in.
"""

from __future__ import annotations

from pyoxigraph import DefaultGraph, NamedNode, Store

from kg.assembly import Assembly
from kg.namespaces import AIGEO
from kg.problems import Problem
from kg.sources import Source

_RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_OA = "http://www.w3.org/ns/oa#"


def _evidence_rows(store: Store, skip: set[NamedNode]):
    """(claim, doc, source, exact, start, end) for every claim outside the graphs ``skip``,
    joined in Python.

    Oxigraph plans the equivalent SPARQL (a claim, its evidence, two OPTIONAL selectors) as a
    nested loop: 2 s at 1,000 claims and minutes at 10,000. These lookups are linear.
    """
    graphs = [None] if not skip else [g for g in store.named_graphs() if g not in skip] + [DefaultGraph()]

    def pairs(predicate: str) -> dict:
        out: dict = {}
        for graph in graphs:
            for q in store.quads_for_pattern(None, NamedNode(predicate), None, graph):
                out.setdefault(q.subject, []).append(q.object)
        return out

    def first(index: dict, node):
        values = index.get(node)
        return values[0] if values else None

    claim_type = NamedNode(str(AIGEO.Claim))
    reported = pairs(str(AIGEO.reportedIn))
    if skip:
        # a row needs a reportedIn in a graph read: look those few up, not every claim (on an
        # on-disk store, listing 100,000 claims costs a second)
        claims = {c for c in reported if next(store.quads_for_pattern(c, _RDF_TYPE, claim_type), None)}
    else:
        claims = {q.subject for q in store.quads_for_pattern(None, _RDF_TYPE, claim_type)}
    evidence = pairs(str(AIGEO.evidence))
    has_source = pairs(_OA + "hasSource")
    selectors = pairs(_OA + "hasSelector")
    exact, start, end = pairs(_OA + "exact"), pairs(_OA + "start"), pairs(_OA + "end")
    quote_type, position_type = NamedNode(_OA + "TextQuoteSelector"), NamedNode(_OA + "TextPositionSelector")
    for claim in sorted(claims, key=str):
        for doc in reported.get(claim, ()):
            evs = evidence.get(claim) or [None]
            for ev in evs:
                row = {"claim": claim, "doc": doc, "source": first(has_source, ev), "exact": None}
                row["start"] = row["end"] = None
                if row["source"] is None:  # evidence without a source carries no usable quote
                    yield row
                    continue
                for sel in selectors.get(ev, ()):
                    types = {q.object for q in store.quads_for_pattern(sel, _RDF_TYPE, None)}
                    if quote_type in types and sel in exact:
                        row["exact"] = first(exact, sel)
                    if position_type in types and sel in start and sel in end:
                        row["start"], row["end"] = first(start, sel), first(end, sel)
                yield row


def check_provenance(
    store: Store, sources: dict[str, Source], assembly: Assembly, verified: set[str] = frozenset()
) -> tuple[int, list[Problem]]:
    """Return the number of quotes checked and the problems found.

    ``verified``: documents whose claims passed this check in an earlier build, unchanged since
    (sheets from :mod:`kg.sheetcache`); their graphs are not read again. Every text's SHA-256
    is still compared with its record.
    """
    problems: list[Problem] = []
    for source in sources.values():
        if not source.held:
            continue
        actual = source.sha256_actual()
        if actual != source.sha256_recorded:
            problems.append(
                Problem(
                    source.record_display,
                    source.sha256_line,
                    f"text {source.text_display} has changed: SHA-256 is {actual}, "
                    f"the record says {source.sha256_recorded}",
                    focus=f"doc/{source.id}",
                )
            )
    by_iri = {s.iri: s for s in sources.values()}
    checked = 0
    skip = {sources[doc].graph for doc in verified}
    for row in _evidence_rows(store, skip):
        claim = row["claim"].value
        file, line = assembly.where(claim) or ("?", 0)
        short = claim.rsplit("/claim/", 1)[-1]
        if row["exact"] is None:
            problems.append(Problem(file, line, "claim has no quote", focus=short))
            continue
        if row["source"] != row["doc"]:
            problems.append(
                Problem(file, line, "evidence points at another document than reportedIn", focus=short)
            )
            continue
        source = by_iri.get(row["doc"].value)
        if source is None or not source.held:
            continue
        if row["start"] is None:
            # the loader always adds offsets; a claim written in Turtle must not skip the check
            problems.append(
                Problem(
                    file,
                    line,
                    "claim quotes a held text but has no offsets (oa:TextPositionSelector)",
                    focus=short,
                )
            )
            continue
        checked += 1
        start, end, exact = int(row["start"].value), int(row["end"].value), row["exact"].value
        if not 0 <= start <= end <= len(source.text):
            problems.append(
                Problem(
                    file,
                    line,
                    f"offsets {start}..{end} outside the text (length {len(source.text)})",
                    focus=short,
                )
            )
        elif source.text[start:end] != exact:
            problems.append(
                Problem(
                    file,
                    line,
                    f"quote is not the text at {start}..{end}: found {source.text[start:end]!r}",
                    focus=short,
                )
            )
    return checked, problems
