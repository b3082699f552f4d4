"""Provenance checks on the assembled graph, independent of how the loader located the quotes.

For every document the project holds text for, the text's SHA-256 must equal the recorded one.
For every text position selector, the offsets must lie inside the text and the text between them
must be exactly the quote of the sibling text quote selector. A claim's evidence must point at the
document the claim says it was reported in.
"""

from __future__ import annotations

from pyoxigraph import Store

from kg.assembly import Assembly
from kg.iris import PREFIXES
from kg.problems import Problem
from kg.sources import Source

_QUERY = """
SELECT ?claim ?doc ?source ?exact ?start ?end WHERE {
  ?claim a aigeo:Claim ; aigeo:reportedIn ?doc .
  OPTIONAL {
    ?claim aigeo:evidence ?ev .
    ?ev oa:hasSource ?source .
    OPTIONAL { ?ev oa:hasSelector ?q . ?q a oa:TextQuoteSelector ; oa:exact ?exact . }
    OPTIONAL { ?ev oa:hasSelector ?p . ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end . }
  }
}
"""


def check_provenance(
    store: Store, sources: dict[str, Source], assembly: Assembly
) -> tuple[int, list[Problem]]:
    """Return the number of quotes checked and the problems found."""
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
    prefixes = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())
    checked = 0
    for row in store.query(prefixes + _QUERY, use_default_graph_as_union=True):
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
        if source is None or not source.held or row["start"] is None:
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
