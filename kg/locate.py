"""Where a quote sits in its source: offsets, line and column, and the passage around it.

>>> text = "first line\\nthe H800 chips\\n"
>>> print(describe(text, 15, 19, "doc.txt"))
doc.txt:2:5 offsets 15..19
the «H800» chips
"""

from __future__ import annotations

from pathlib import Path

from kg.claims import nearest_passage
from kg.problems import UsageError

_CONTEXT = 60


def describe(text: str, start: int, end: int, display: str) -> str:
    """``file:line:column``, the offsets, and the passage with the quote between « and »."""
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    before = text[max(0, start - _CONTEXT) : start].rsplit("\n", 1)[-1]
    after = text[end : end + _CONTEXT].split("\n", 1)[0]
    return f"{display}:{line}:{column} offsets {start}..{end}\n{before}«{text[start:end]}»{after}"


def locate_text(root: Path, document: str, quote: str) -> list[str]:
    """Every place ``quote`` occurs in the held text of ``document``.

    Raises:
        UsageError: no such held document, or the quote is not in it (naming the nearest passage).
    """
    record = root / "data" / "sources" / f"{document}.yaml"
    if not record.exists():
        raise UsageError(f"no held document {document!r} (looked for {record.relative_to(root)})")
    path = record.with_suffix(".txt")
    text = path.read_text(encoding="utf-8")
    display = str(path.relative_to(root))
    found = []
    at = text.find(quote)
    while at != -1:
        found.append(describe(text, at, at + len(quote), display))
        at = text.find(quote, at + 1)
    if not found:
        raise UsageError(f"not in {display}: {nearest_passage(text, quote)}")
    return found


_CLAIM_QUERY = """
PREFIX aigeo: <https://w3id.org/aigeo/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?file ?exact ?start ?end WHERE {
  ?claim aigeo:reportedIn ?doc ; aigeo:evidence ?ev .
  ?doc aigeo:textFile ?file .
  ?ev oa:hasSelector ?q . ?q a oa:TextQuoteSelector ; oa:exact ?exact .
  ?ev oa:hasSelector ?p . ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
}
"""


def locate_claim(root: Path, run, claim: str) -> str:
    """Where the quote of a built claim sits, re-checked against the text on disk."""
    from pyoxigraph import NamedNode

    from kg.iris import ID

    iri = claim if claim.startswith("http") else ID + ("" if claim.startswith("claim/") else "claim/") + claim
    rows = list(run(_CLAIM_QUERY.replace("?claim aigeo", f"{NamedNode(iri)} aigeo")))
    if not rows:
        raise UsageError(f"no claim {claim!r} with a located quote in the build")
    row = rows[0]
    path = root / row["file"].value
    text = path.read_text(encoding="utf-8")
    start, end = int(row["start"].value), int(row["end"].value)
    if text[start:end] != row["exact"].value:
        raise UsageError(
            f"{row['file'].value} has changed: the quote is no longer at {start}..{end}; rebuild"
        )
    return describe(text, start, end, row["file"].value)
