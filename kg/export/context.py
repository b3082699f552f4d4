"""The JSON-LD context of the RDF export: short names for the project's prefixes and terms.

``kg/export/context.jsonld`` is generated from the ontology by ``kg generate`` (a test fails when it
drifts). Every aigeo term is its local name; object properties take IRIs (``"@type": "@vocab"``,
so that a value that is an ontology term reads as its name, ``"status": "Asserted"``); labels are
maps from language to text (``"prefLabel": {"en": "Israel", "he": "ישראל"}``). Datatype
properties are not coerced, so that every literal keeps its own datatype on a round trip.
"""

from __future__ import annotations

import json
from pathlib import Path

from kg.iris import PREFIXES

CONTEXT_FILE = Path(__file__).with_name("context.jsonld")

_EXTRA = {
    "prefLabel": {"@id": "skos:prefLabel", "@container": "@language"},
    "altLabel": {"@id": "skos:altLabel", "@container": "@language"},
    "label": {"@id": "rdfs:label", "@container": "@language"},
    "comment": {"@id": "rdfs:comment", "@container": "@language"},
    "notation": "skos:notation",
    "title": "dcterms:title",
    "date": "dcterms:date",
    "language": "dcterms:language",
    "description": "dcterms:description",
    "publisher": {"@id": "dcterms:publisher", "@type": "@id"},
    "creator": {"@id": "dcterms:creator", "@type": "@id"},
    "references": {"@id": "dcterms:references", "@type": "@id"},
    "url": "schema:url",
    "hasSource": {"@id": "oa:hasSource", "@type": "@id"},
    "hasSelector": {"@id": "oa:hasSelector", "@type": "@id"},
    "exact": "oa:exact",
    "prefix": "oa:prefix",
    "suffix": "oa:suffix",
    "start": "oa:start",
    "end": "oa:end",
    "SpecificResource": "oa:SpecificResource",
    "TextQuoteSelector": "oa:TextQuoteSelector",
    "TextPositionSelector": "oa:TextPositionSelector",
}


def jsonld_context(terms: dict) -> str:
    """The text of ``context.jsonld`` for the ontology's terms (from :func:`kg.codegen.read_terms`)."""
    context: dict[str, object] = dict(sorted(PREFIXES.items()))
    for local, term in terms.items():
        if local in context or local in _EXTRA:
            continue
        if term.kind == "object property":
            context[local] = {"@id": f"aigeo:{local}", "@type": "@vocab"}
        else:
            context[local] = f"aigeo:{local}"
    context.update(_EXTRA)
    return json.dumps({"@context": context}, indent=2, ensure_ascii=False) + "\n"


def load_context() -> dict:
    """The committed context, as a JSON object with one ``@context`` key."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
