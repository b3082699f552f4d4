"""The project's IRIs as plain strings: bases, prefixes, and the entity and graph schemes.

This module imports nothing heavy, so that query-only commands start fast; the ontology's
terms, checked against the ontology, are in :mod:`kg.namespaces`. See
docs/decisions/20261123-iri-scheme.md.

>>> entity_iri("country/IL")
'https://w3id.org/aigeo/id/country/IL'
>>> graph_iri("doc/inss-2025-02-deepseek-israel")
'https://w3id.org/aigeo/graph/doc/inss-2025-02-deepseek-israel'
"""

from __future__ import annotations

import re

BASE = "https://w3id.org/aigeo/"
AIGEO_NS = BASE + "ontology#"
ID = BASE + "id/"
GRAPH = BASE + "graph/"
#: where a fact sheet mints its claims, evidence and selectors: ``claim/<document>/<claim>``
CLAIMS = ID + "claim/"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)+$")

#: Prefixes used when the project prints or writes RDF.
PREFIXES: dict[str, str] = {
    "aigeo": AIGEO_NS,
    "id": ID,
    "country": ID + "country/",
    "graph": GRAPH,
    "oa": "http://www.w3.org/ns/oa#",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": XSD_NS,
    "sh": "http://www.w3.org/ns/shacl#",
    "shape": "https://w3id.org/aigeo/shapes#",
}


def entity_iri(key: str) -> str:
    """The IRI of the entity with the given key (``kind/slug``)."""
    return ID + key


def minted_by_sheet(iri: str) -> bool:
    """Whether ``iri`` is a claim, evidence or selector a fact sheet minted
    (``claim/<document>/<claim>``), not an entity keyed ``claim/<slug>``.

    >>> minted_by_sheet(CLAIMS + "inss-2025-02-deepseek-israel/h100-count"), minted_by_sheet(CLAIMS + "x")
    (True, False)
    """
    return iri.startswith(CLAIMS) and "/" in iri[len(CLAIMS) :]


def graph_iri(name: str) -> str:
    """The IRI of a named graph of the build output."""
    return GRAPH + name


def compact(iri: str) -> str:
    """Shorten an IRI with the project prefixes, or return it unchanged.

    >>> compact("https://w3id.org/aigeo/ontology#Claim")
    'aigeo:Claim'
    >>> compact("http://example.org/x")
    'http://example.org/x'
    """
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            best = prefix
    if not best:
        return iri
    return f"{best}:{iri[len(PREFIXES[best]) :]}"
