"""A finished build read into plain Python records: entities, claims, documents and other facts.

Every export format starts from these records, so that each reads the build the same way. An
*entity* is a typed node under ``id/`` that is neither a claim nor a metadata assessment (documents
are entities too: claims link them by ``cites``). A *claim* carries its subject, property, value,
quote, document, claimant, status, rank and dates. *Facts* are the other statements about an
entity that no claim makes: reference codes, identity links from entity sheets, document
metadata, and the build's rule derivations (tier assignments).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, Store

from kg.iris import AIGEO_NS, BASE, ID, graph_iri
from kg.output import built_at
from kg.problems import UsageError

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
ONTOLOGY_GRAPH = graph_iri("ontology")
DERIVED_GRAPH = graph_iri("derived")
INFERRED_GRAPH = graph_iri("inferred")

#: Statements about entities that are not facts to show: types, names (shown as labels), and the
#: bookkeeping of held texts.
_NOT_FACTS = {
    RDF_TYPE,
    SKOS + "prefLabel",
    SKOS + "altLabel",
    AIGEO_NS + "metadataAssessment",
    AIGEO_NS + "sha256",
    AIGEO_NS + "textFile",
    AIGEO_NS + "textScope",
}
_NOT_ENTITIES = {AIGEO_NS + "Claim", AIGEO_NS + "MetadataAssessment"}


@dataclass(frozen=True)
class Entity:
    """A node of the entity graph."""

    iri: str
    key: str
    cls: str
    labels: dict[str, str]
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The English name, else any name, else the key."""
        return self.labels.get("en") or next(iter(sorted(self.labels.values())), self.key)


@dataclass(frozen=True)
class Claim:
    """One claim as the build holds it; terms are pyoxigraph terms, dates are literals."""

    iri: str
    subject: str
    property: str
    value: NamedNode | Literal
    document: str
    claimant: str | None
    status: str | None
    rank: str | None
    confidence: str | None
    quote: str
    language: str | None
    start: int | None
    end: int | None
    translation: str | None = None
    unit: str | None = None
    qualifier: str | None = None
    upper: Literal | None = None
    valid_from: Literal | None = None
    valid_to: Literal | None = None
    point_in_time: Literal | None = None
    graph: str = ""

    @property
    def key(self) -> str:
        """The claim's id as ``kg locate`` takes it: ``document/claim``."""
        return key_of(self.iri).removeprefix("claim/")


@dataclass(frozen=True)
class Document:
    """A source document: its title and, where known, its publication date."""

    iri: str
    title: str | None
    date: Literal | None


@dataclass
class Build:
    """What the exports read from one finished build."""

    folder: Path
    store: Store
    report: dict
    entities: dict[str, Entity]
    claims: list[Claim]
    documents: dict[str, Document]
    facts: dict[str, list[tuple[str, NamedNode | Literal]]]
    term_labels: dict[str, str]
    class_parents: dict[str, set[str]]
    built: dt.datetime | None
    data_version: str
    _ancestors: dict[str, set[str]] = field(default_factory=dict)

    def ancestors(self, cls: str) -> set[str]:
        """``cls`` and every class above it (local names of aigeo classes)."""
        if cls not in self._ancestors:
            seen, todo = {cls}, [cls]
            while todo:
                for parent in self.class_parents.get(todo.pop(), ()):
                    if parent not in seen:
                        seen.add(parent)
                        todo.append(parent)
            self._ancestors[cls] = seen
        return self._ancestors[cls]

    def label(self, iri: str) -> str:
        """What to show for an IRI: an entity's name, a term's English label, else a short form."""
        if iri in self.entities:
            return self.entities[iri].label
        if iri in self.documents and self.documents[iri].title:
            return self.documents[iri].title
        if iri in self.term_labels:
            return self.term_labels[iri]
        return key_of(iri) if iri.startswith(BASE) else iri


def key_of(iri: str) -> str:
    """The short form of an IRI: the key under ``id/``, or the local name of a term.

    >>> key_of("https://w3id.org/aigeo/id/chip/h100"), key_of("https://w3id.org/aigeo/ontology#vendor")
    ('chip/h100', 'vendor')
    """
    if iri.startswith(ID):
        return iri[len(ID) :]
    for sep in ("#", "/"):
        if sep in iri:
            return iri.rsplit(sep, 1)[1]
    return iri


def period(literal: Literal) -> tuple[dt.date, dt.date]:
    """The first and last day a date as stated covers (a day, a month or a year).

    >>> period(Literal("2024-02", datatype=NamedNode(XSD + "gYearMonth")))
    (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
    """
    text = literal.value[:10]
    parts = [int(p) for p in text.split("-") if p]
    if len(parts) == 1:
        return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)
    if len(parts) == 2:
        first = dt.date(parts[0], parts[1], 1)
        following = dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
        return first, following - dt.timedelta(days=1)
    day = dt.date(*parts[:3])
    return day, day


def read_build(out: Path) -> Build:
    """Load the current build in ``out`` into records.

    Raises:
        UsageError: there is no complete build in ``out``.
    """
    from kg.output import current_build
    from kg.store import open_build

    folder = current_build(out)
    if folder is None:
        raise UsageError(f"no build in {out}; run 'kg build' first")
    store = open_build(out)
    report = json.loads((folder / "build-report.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256((folder / "graph.nq").read_bytes()).hexdigest()
    term_labels, parents = _ontology(store)
    entities = _entities(store)
    claims = _claims(store)
    documents = _documents(store)
    stated = {(c.subject, c.property, c.value) for c in claims}
    return Build(
        folder=folder,
        store=store,
        report=report,
        entities=entities,
        claims=claims,
        documents=documents,
        facts=_facts(store, entities, stated),
        term_labels=term_labels,
        class_parents=parents,
        built=built_at(folder),
        data_version=digest[:12],
    )


def _query(store: Store, text: str):
    prefixes = (
        f"PREFIX aigeo: <{AIGEO_NS}>\nPREFIX skos: <{SKOS}>\nPREFIX dcterms: <{DCTERMS}>\n"
        "PREFIX oa: <http://www.w3.org/ns/oa#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    )
    return store.query(prefixes + text, use_default_graph_as_union=True)


def _ontology(store: Store) -> tuple[dict[str, str], dict[str, set[str]]]:
    labels: dict[str, str] = {}
    for row in _query(
        store,
        f"SELECT ?t ?l WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?t rdfs:label ?l }} "
        'FILTER(LANGMATCHES(LANG(?l), "en")) }',
    ):
        labels.setdefault(row["t"].value, row["l"].value)
    parents: dict[str, set[str]] = {}
    for row in _query(
        store,
        f"SELECT ?c ?p WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?c rdfs:subClassOf ?p }} "
        f'FILTER(STRSTARTS(STR(?c), "{AIGEO_NS}") && STRSTARTS(STR(?p), "{AIGEO_NS}")) }}',
    ):
        parents.setdefault(key_of(row["c"].value), set()).add(key_of(row["p"].value))
    return labels, parents


def _entities(store: Store) -> dict[str, Entity]:
    classes: dict[str, str] = {}
    for row in _query(
        store,
        f"SELECT ?e ?cls WHERE {{ GRAPH ?g {{ ?e a ?cls }} FILTER(?g != <{INFERRED_GRAPH}>) "
        f'FILTER(STRSTARTS(STR(?e), "{ID}") && STRSTARTS(STR(?cls), "{AIGEO_NS}")) }} ORDER BY ?e ?cls',
    ):
        if row["cls"].value not in _NOT_ENTITIES:
            classes.setdefault(row["e"].value, key_of(row["cls"].value))
    labels: dict[str, dict[str, str]] = {iri: {} for iri in classes}
    aliases: dict[str, set[str]] = {iri: set() for iri in classes}
    for row in _query(
        store,
        "SELECT ?e ?p ?l WHERE { ?e ?p ?l "
        "VALUES ?p { skos:prefLabel skos:altLabel dcterms:title } } ORDER BY ?e ?p ?l",
    ):
        iri = row["e"].value
        if iri not in classes:
            continue
        lit, prop = row["l"], row["p"].value
        if prop == SKOS + "altLabel":
            aliases[iri].add(lit.value)
        else:
            lang = lit.language or "en"
            # a preferred label wins over a title; the query orders prefLabel after dcterms:title
            if prop == SKOS + "prefLabel" or lang not in labels[iri]:
                labels[iri][lang] = lit.value
    return {
        iri: Entity(iri, key_of(iri), cls, labels[iri], tuple(sorted(aliases[iri])))
        for iri, cls in classes.items()
    }


_CLAIMS = """
SELECT * WHERE {
  GRAPH ?g { ?c a aigeo:Claim ; aigeo:subject ?s ; aigeo:property ?p ; aigeo:value ?v ;
             aigeo:reportedIn ?doc }
  ?c aigeo:evidence ?ev . ?ev oa:hasSelector ?qs . ?qs a oa:TextQuoteSelector ; oa:exact ?quote .
  OPTIONAL { ?ev oa:hasSelector ?ps . ?ps a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end }
  OPTIONAL { ?c aigeo:claimant ?claimant }
  OPTIONAL { ?c aigeo:status ?status }
  OPTIONAL { ?c aigeo:rank ?rank }
  OPTIONAL { ?c aigeo:confidence ?confidence }
  OPTIONAL { ?c aigeo:projectTranslation ?translation }
  OPTIONAL { ?c aigeo:unit ?unit }
  OPTIONAL { ?c aigeo:qualifier ?qualifier }
  OPTIONAL { ?c aigeo:valueUpper ?upper }
  OPTIONAL { ?c aigeo:validFrom ?from }
  OPTIONAL { ?c aigeo:validTo ?to }
  OPTIONAL { ?c aigeo:pointInTime ?pit }
} ORDER BY ?c
"""


def _claims(store: Store) -> list[Claim]:
    claims: dict[str, Claim] = {}
    for row in _query(store, _CLAIMS):
        iri = row["c"].value
        if iri in claims:
            continue

        def iri_of(name: str, row=row) -> str | None:
            term = row[name]
            return term.value if term is not None else None

        def int_of(name: str, row=row) -> int | None:
            term = row[name]
            return int(term.value) if term is not None else None

        quote = row["quote"]
        claims[iri] = Claim(
            iri=iri,
            subject=row["s"].value,
            property=row["p"].value,
            value=row["v"],
            document=row["doc"].value,
            claimant=iri_of("claimant"),
            status=iri_of("status"),
            rank=iri_of("rank"),
            confidence=iri_of("confidence"),
            quote=quote.value,
            language=quote.language,
            start=int_of("start"),
            end=int_of("end"),
            translation=iri_of("translation"),
            unit=iri_of("unit"),
            qualifier=iri_of("qualifier"),
            upper=row["upper"],
            valid_from=row["from"],
            valid_to=row["to"],
            point_in_time=row["pit"],
            graph=row["g"].value,
        )
    return list(claims.values())


def _documents(store: Store) -> dict[str, Document]:
    docs: dict[str, Document] = {}
    for row in _query(
        store,
        "SELECT ?d (SAMPLE(?t) AS ?title) (MIN(STR(?date)) AS ?day) (SAMPLE(?date) AS ?dated) WHERE { "
        "?c aigeo:reportedIn ?d OPTIONAL { ?d dcterms:title ?t } OPTIONAL { ?d dcterms:date ?date } "
        "} GROUP BY ?d",
    ):
        iri = row["d"].value
        title = row["title"].value if row["title"] is not None else None
        docs[iri] = Document(iri, title, row["dated"])
    return dict(sorted(docs.items()))


def _facts(store: Store, entities: dict[str, Entity], stated: set) -> dict[str, list]:
    facts: dict[str, set] = {}
    for quad in store.quads_for_pattern(None, None, None, None):
        q: Quad = quad
        s, p, o, g = q.subject.value, q.predicate.value, q.object, q.graph_name
        if s not in entities or p in _NOT_FACTS or isinstance(g, type(None)):
            continue
        graph = getattr(g, "value", "")
        if graph in (ONTOLOGY_GRAPH, INFERRED_GRAPH):
            continue
        # the plain triple of a claim is shown from the claims themselves, so that slices agree
        if graph == DERIVED_GRAPH and (s, p, o) in stated:
            continue
        if not isinstance(o, NamedNode | Literal):
            continue
        facts.setdefault(s, set()).add((p, o))
    return {s: sorted(v, key=lambda po: (po[0], str(po[1]))) for s, v in facts.items()}
