"""Looking up what to show for IRIs, and the sources behind the claims of a result."""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode

from kg.iris import minted_by_sheet
from kg.problems import UsageError
from kg.results import ResultTable

_LABELS = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?e (SAMPLE(?l) AS ?label) WHERE {
  VALUES ?e { %s }
  { ?e skos:prefLabel ?l } UNION { ?e rdfs:label ?l }
  FILTER (LANGMATCHES(LANG(?l), "en"))
} GROUP BY ?e
"""

_SOURCES = """
PREFIX aigeo: <https://w3id.org/aigeo/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?claim ?quote ?document ?start ?end WHERE {
  VALUES ?claim { %s }
  ?claim aigeo:reportedIn ?document ; aigeo:evidence ?ev .
  ?ev oa:hasSelector ?q . ?q a oa:TextQuoteSelector ; oa:exact ?quote .
  OPTIONAL { ?ev oa:hasSelector ?p . ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end . }
}
"""


def labels_for(iris: set[str], run) -> dict[str, str]:
    """English preferred labels (or rdfs:labels) of ``iris``.

    Claims, evidence and selectors minted by fact sheets are not looked up: a sheet writes no
    label for them (its fields are in kg.claims), and an answer names one claim per row (at
    100,000 claims, skipping them took 1 s off the 40,955-row disputed-figures table).
    """
    iris = {i for i in iris if not minted_by_sheet(i)}
    if not iris:
        return {}
    values = " ".join(str(NamedNode(i)) for i in sorted(iris))
    return {row["e"].value: row["label"].value for row in run(_LABELS % values)}


def add_sources(table: ResultTable, run) -> None:
    """Append quote, lang, document, start and end columns for the table's ``claim`` column.

    Raises:
        UsageError: the result has no ``claim`` column.
    """
    if "claim" not in table.variables:
        raise UsageError("--sources needs a question whose answer has a 'claim' column")
    claims = {t.value for t in table.column("claim") if isinstance(t, NamedNode)}
    found = {}
    if claims:
        values = " ".join(str(NamedNode(c)) for c in sorted(claims))
        found = {row["claim"].value: row for row in run(_SOURCES % values)}
    names = ["quote", "lang", "document", "start", "end"]
    table.variables += [n if n not in table.variables else f"source_{n}" for n in names]
    i = table.variables.index("claim")
    for r in table.rows:
        hit = found.get(r[i].value) if r[i] is not None else None
        if hit is None:
            r += [None] * len(names)
            continue
        quote = hit["quote"]
        lang = Literal(quote.language) if quote.language else None
        r += [quote, lang, hit["document"], hit["start"], hit["end"]]
