"""Which claims SHACL validates again in a rebuild, and what a build records for the next one.

A fact sheet mints its claims, their evidence and their selectors under
``id/claim/<document>/``, in its document's graph, and nothing else does. The shapes that reach
those nodes read their triples and, through ``sh:class``, the types of the nodes they point to
(claimants, documents, statuses, units). So the verdict of an earlier build on one document's
claims still holds when

- the sheet came from the cache (same sheet text, same document text, same code and ontology:
  the entry's key and fingerprint, :mod:`kg.sheetcache`), and
- the *context* is unchanged: the shapes, and every ``rdf:type`` and ``rdfs:subClassOf``
  triple about a node outside that namespace (:func:`context_fingerprint`). A rebuild updates
  the previous build's sum of those triples by the change (:func:`context_sum_after`) instead
  of reading them all again (0.54 s at 100,000 claims in memory; 3.1 s on the on-disk index).

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

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Store, Triple, serialize

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
    #: its :func:`context_sum`, for the next build's :func:`context_sum_after`
    total: int | None = None

    def record(self, keys: dict[str, str], problems: list) -> dict | None:
        """The record to keep when the build passes: the sheets' keys, if SHACL found nothing."""
        if self.context is None or problems:
            return None
        return {"context": self.context, "keys": sorted(keys.values())}


def prepare(
    store: Store,
    shapes: Store,
    shapes_text: bytes,
    last: dict | None,
    keys: dict[str, str],
    reused: set[str],
    total: int | None = None,
    change: tuple[list[Quad], list[Quad]] | None = None,
    clean: str | None = None,
) -> Reuse:
    """The scope of this build's validation.

    ``last``: the record the last passing build left (:meth:`Reuse.record`); ``keys``: document
    id -> cache key of its sheet, for every sheet loaded; ``reused``: the documents whose sheets
    came from the cache; ``total``: the store's :func:`context_sum`, if known already;
    ``change``: the quads the store gained and lost since the previous build, when known;
    ``clean``: the context of that build's validation, if it found nothing at all. With both,
    and this build's context the same, only :func:`changed_nodes` are validated.
    """
    if not _nests_locally(shapes):
        return Reuse(None, None)
    if total is None:
        total = context_sum(store)
    context = context_fingerprint(shapes_text, total)
    if change is not None and clean is not None and clean == context:
        nodes = changed_nodes(store, *change)
        reach = reached(store, nodes) if nodes is not None else None
        if reach is not None and all(isinstance(n, NamedNode) for n in reach):
            return Reuse(Scope(CLAIMS, frozenset(), only=nodes, reach=reach), context, total)
    try:
        validated = set(last["keys"]) if last and last["context"] == context else set()
    except (KeyError, TypeError):
        validated = set()
    skip = frozenset(doc for doc in reused if keys.get(doc) in validated)
    if not skip:
        return Reuse(None, context, total)
    rest = frozenset(keys) - skip
    if len(rest) > NAMED_UP_TO or _ontology_mints_claims(store):
        rest = None
    return Reuse(Scope(CLAIMS, skip, rest), context, total)


#: above this many nodes to validate, the whole store is validated (as a build from scratch)
CHANGED_NODES_UP_TO = 20_000
_LOCAL = tuple(NamedNode(p) for p in sorted(LOCAL_PATHS))


def changed_nodes(store: Store, added: list[Quad], removed: list[Quad]) -> frozenset[NamedNode] | None:
    """The nodes whose verdict may differ from the previous build's, which had ``added`` not
    and ``removed`` still; None when that cannot be told (validate every node).

    Every path the validator follows is one predicate (it refuses others), and nested shapes
    are reached along :data:`LOCAL_PATHS` or test only their value (:func:`_nests_locally`).
    So a node's verdict reads only: the triples about it and about the nodes it reaches along
    those paths; the triples pointing at it (``sh:targetObjectsOf``); the ``rdf:type`` triples
    of the values it points at (``sh:class``); and subclass triples. The nodes are therefore:

    - the subject and object of each changed quad;
    - the nodes pointing at the subject of a changed ``rdf:type`` quad;
    - the nodes that reach any of those along :data:`LOCAL_PATHS`, transitively.

    None when a changed quad is a subclass triple or has a blank node, or when the nodes are
    more than :data:`CHANGED_NODES_UP_TO`.
    """
    nodes: set[NamedNode] = set()
    typed: set[NamedNode] = set()
    for q in (*added, *removed):
        if q.predicate == _SUBCLASS:
            return None
        for term in (q.subject, q.object):
            if isinstance(term, NamedNode):
                nodes.add(term)
            elif not isinstance(term, Literal):
                return None  # a blank node: another node each time a file is read
        if q.predicate == _TYPE:
            typed.add(q.subject)
    for node in typed:
        nodes.update(q.subject for q in store.quads_for_pattern(None, None, node))

    def pointing(node):
        return (q.subject for path in _LOCAL for q in store.quads_for_pattern(None, path, node))

    if not _grow(nodes, pointing, CHANGED_NODES_UP_TO):
        return None
    if not all(isinstance(n, NamedNode) for n in nodes) or len(nodes) > CHANGED_NODES_UP_TO:
        return None
    return frozenset(nodes)


def reached(store: Store, nodes: frozenset[NamedNode]) -> frozenset:
    """``nodes`` and every node they reach along :data:`LOCAL_PATHS`, transitively: the nodes
    whose values nested shapes are tested on when ``nodes`` are validated."""
    seen = set(nodes)
    _grow(seen, lambda node: (q.object for path in _LOCAL for q in store.quads_for_pattern(node, path, None)))
    return frozenset(seen)


def _grow(seen: set, step, limit: int | None = None) -> bool:
    """Add to ``seen`` every node ``step`` (node -> nodes) reaches from it, transitively; stop
    and return False once ``seen`` holds more than ``limit`` nodes."""
    todo = list(seen)
    while todo:
        for other in step(todo.pop()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
        if limit is not None and len(seen) > limit:
            return False
    return True


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


_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_SUBCLASS = NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
_MODULUS = 2**256


def context_fingerprint(shapes_text: bytes, total: int) -> str:
    """SHA-256 of the shapes and of the context's :func:`context_sum`."""
    return hashlib.sha256(shapes_text + b"\0" + total.to_bytes(32, "big")).hexdigest()


def context_sum(store: Store) -> int:
    """The type and subclass triples about nodes outside the claims' namespace, as the sum of
    their N-Triples lines' SHA-256 digests (mod 2**256): a hash of the set of triples (each
    counted once, whichever graphs state it) that a change updates, :func:`context_sum_after`."""
    ns = json.dumps(CLAIMS)
    query = (
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o "
        f"VALUES ?p {{ {_TYPE} {_SUBCLASS} }} "
        f'FILTER(!STRSTARTS(STR(?s), {ns}) || !CONTAINS(STRAFTER(STR(?s), {ns}), "/")) }}'
    )
    # written out by Oxigraph: formatting the 28,000 triples at 100,000 claims in Python took 0.7 s
    text = store.query(query, use_default_graph_as_union=True).serialize(format=RdfFormat.N_TRIPLES)
    return _sum(set(text.splitlines()))


def context_sum_after(store: Store, previous: int, added: list[Quad], removed: list[Quad]) -> int:
    """:func:`context_sum` of ``store``, from the sum before ``added`` were added to it and
    ``removed`` removed from it: only the triples those quads state are looked up."""
    graphs_added: dict[Triple, set] = {}
    graphs_removed: dict[Triple, set] = {}
    for quads, graphs in ((added, graphs_added), (removed, graphs_removed)):
        for q in quads:
            if _in_context(q):
                graphs.setdefault(q.triple, set()).add(q.graph_name)
    came, went = [], []
    for triple in graphs_added.keys() | graphs_removed.keys():
        now = {q.graph_name for q in store.quads_for_pattern(triple.subject, triple.predicate, triple.object)}
        before = (now - graphs_added.get(triple, set())) | graphs_removed.get(triple, set())
        if now and not before:
            came.append(triple)
        elif before and not now:
            went.append(triple)
    return (previous + _sum(_lines(came)) - _sum(_lines(went))) % _MODULUS


def _in_context(q: Quad) -> bool:
    subject = q.subject
    if q.predicate not in (_TYPE, _SUBCLASS) or not isinstance(subject, NamedNode):
        return False
    return not minted_by_sheet(subject.value)


def _lines(triples: list[Triple]) -> list[bytes]:
    return serialize(triples, format=RdfFormat.N_TRIPLES).splitlines() if triples else []


def _sum(lines) -> int:
    return sum(int.from_bytes(hashlib.sha256(line).digest(), "big") for line in lines) % _MODULUS


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
