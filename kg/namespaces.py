"""IRIs of the project: the ontology namespace, entity and graph bases, and reused vocabularies.

Entity IRIs are ``ID`` + a key such as ``country/IL`` or ``chip/h100`` (see
docs/decisions/20261123-iri-scheme.md).

>>> str(entity_iri("country/IL"))
'https://w3id.org/aigeo/id/country/IL'
>>> str(graph_iri("doc/inss-2025-deepseek-israel"))
'https://w3id.org/aigeo/graph/doc/inss-2025-deepseek-israel'
"""

from __future__ import annotations

import re

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

BASE = "https://w3id.org/aigeo/"
AIGEO = Namespace(BASE + "ontology#")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
OA = Namespace("http://www.w3.org/ns/oa#")
SCHEMA = Namespace("https://schema.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)+$")

#: Prefixes used when the project prints or writes RDF.
PREFIXES: dict[str, str] = {
    "aigeo": str(AIGEO),
    "id": str(ID),
    "country": str(ID) + "country/",
    "graph": str(GRAPH),
    "oa": str(OA),
    "prov": str(PROV),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "schema": str(SCHEMA),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "sh": str(SH),
}


def entity_iri(key: str) -> URIRef:
    """Return the IRI of the entity with the given key (``kind/slug``)."""
    return URIRef(ID + key)


def graph_iri(name: str) -> URIRef:
    """Return the IRI of a named graph of the build output."""
    return URIRef(GRAPH + name)


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
    local = iri[len(PREFIXES[best]) :]
    return f"{best}:{local}"
