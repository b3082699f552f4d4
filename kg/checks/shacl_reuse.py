"""Which claims SHACL validates again in a rebuild, and what a build records for the next one.

A fact sheet mints its claims, their evidence and their selectors under
``id/claim/<document>/``, in its document's graph, and nothing else does. The shapes that reach
those nodes read their triples and, through ``sh:class``, the types of the nodes they point to
(claimants, documents, statuses, units). So the verdict of an earlier build on one document's
claims still holds when

- the sheet came from the cache (same sheet text, same document text, same code and ontology:
  the entry's key and fingerprint, :mod:`kg.sheetcache`), and
- the *context* is unchanged: the shapes, and every ``rdf:type`` and ``rdfs:subClassOf``
  triple about a node outside that namespace (:func:`context_fingerprint`).

It also needs every nested shape (``sh:node``, ``sh:qualifiedValueShape``, ``sh:or``,
``sh:and``, ``sh:not``) to be reached along a path whose values a sheet mints itself
(:data:`LOCAL_PATHS`), or to test only the value it is given: a shape with property shapes
nested along ``aigeo:subject`` would read the subject's triples, which other documents' claims
change (the truthy derivation). With such a shape nothing is reused.

A build whose SHACL stage found nothing, not even a warning, records the cache keys of the
sheets it validated (or reused) with the context it saw, next to the sheet cache's entries
(:meth:`kg.sheetcache.SheetCache.last_validation`); the next build skips those claims when
both still match. tests/test_shacl_reuse.py compares such rebuilds with builds from scratch.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from pyoxigraph import NamedNode, RdfFormat, Store

from kg.build import ONTOLOGY_GRAPH
from kg.checks.shacl_sparql import SH, Scope, _Shapes
from kg.iris import CLAIMS, minted_by_sheet
from kg.namespaces import AIGEO

#: paths from a claim to nodes its sheet mints: its evidence, and the evidence's selectors
LOCAL_PATHS = frozenset({str(AIGEO.evidence), "http://www.w3.org/ns/oa#hasSelector"})
_NESTING = ("node", "qualifiedValueShape", "or", "and", "not")


@dataclass
class Reuse:
    """What one build may skip, and what it will record."""

    #: None when nothing can be reused (no record, another context, or shapes that nest elsewhere)
    scope: Scope | None
    #: the context this build saw; None when the shapes rule reuse out
    context: str | None

    def record(self, keys: dict[str, str], problems: list) -> dict | None:
        """The record to keep when the build passes: the sheets' keys, if SHACL found nothing."""
        if self.context is None or problems:
            return None
        return {"context": self.context, "keys": sorted(keys.values())}


def prepare(
    store: Store, shapes: Store, shapes_text: bytes, last: dict | None, keys: dict[str, str], reused: set[str]
) -> Reuse:
    """The scope of this build's validation.

    ``last``: the record the last passing build left (:meth:`Reuse.record`); ``keys``: document
    id -> cache key of its sheet, for every sheet loaded; ``reused``: the documents whose sheets
    came from the cache.
    """
    if not _nests_locally(shapes):
        return Reuse(None, None)
    context = context_fingerprint(store, shapes_text)
    try:
        validated = set(last["keys"]) if last and last["context"] == context else set()
    except (KeyError, TypeError):
        validated = set()
    skip = frozenset(doc for doc in reused if keys.get(doc) in validated)
    if not skip:
        return Reuse(None, context)
    rest = frozenset(keys) - skip
    if len(rest) > NAMED_UP_TO or _ontology_mints_claims(store):
        rest = None
    return Reuse(Scope(CLAIMS, skip, rest), context)


#: the validated documents' count up to which the focus nodes kept are listed by naming them
#: (:attr:`kg.checks.shacl_sparql.Scope.rest`): a string test per document and row
NAMED_UP_TO = 32


def _ontology_mints_claims(store: Store) -> bool:
    """Whether the ontology names a node where fact sheets mint theirs (``claim/<document>/``).

    Nothing else does: entity sheets may not (kg.entities), sources and references mint
    elsewhere, and a sheet mints only under its own document. So the documents with sheets
    are every segment there, unless the ontology's Turtle names one.
    """
    for q in store.quads_for_pattern(None, None, None, ONTOLOGY_GRAPH):
        for term in (q.subject, q.object):
            if isinstance(term, NamedNode) and minted_by_sheet(term.value):
                return True
    return False


def context_fingerprint(store: Store, shapes_text: bytes) -> str:
    """SHA-256 of the shapes and of the type and subclass triples outside the claims' namespace."""
    ns = json.dumps(CLAIMS)
    query = (
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o "
        "VALUES ?p { <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        "<http://www.w3.org/2000/01/rdf-schema#subClassOf> } "
        f'FILTER(!STRSTARTS(STR(?s), {ns}) || !CONTAINS(STRAFTER(STR(?s), {ns}), "/")) }}'
    )
    # written out by Oxigraph: formatting the 28,000 triples at 100,000 claims in Python took 0.7 s
    text = store.query(query, use_default_graph_as_union=True).serialize(format=RdfFormat.N_TRIPLES)
    lines = sorted(set(text.splitlines()))  # one line per triple, whichever graphs state it
    digest = hashlib.sha256(shapes_text)
    digest.update(b"\n".join(lines))
    return digest.hexdigest()


def _nests_locally(shapes: Store) -> bool:
    """Whether every nested shape is reached from the node itself, along :data:`LOCAL_PATHS`,
    or tests only the value it is given (no property shapes, no further nesting)."""
    sh = _Shapes(shapes)
    for name in _NESTING:
        for quad in shapes.quads_for_pattern(None, NamedNode(SH + name), None):
            paths = sh.objects(quad.subject, "path")
            if all(isinstance(p, NamedNode) and p.value in LOCAL_PATHS for p in paths):
                continue
            members = sh.items(quad.object) if name in ("or", "and") else [quad.object]
            if any(sh.one(m, r) is not None for m in members for r in ("property", *_NESTING)):
                return False
    return True
