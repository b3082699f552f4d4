"""OWL RL by targeted rules: the entailments owlrl gives for the axioms this ontology uses, fast.

owlrl applies every OWL 2 RL rule to every triple in Python; on the curated graph that is 12 s
and it grows faster than the data (docs/decisions/20261123-fast-paths.md). This module reads the
axioms once, then applies only the rules those axioms can fire, to the triples whose predicate
takes part, in one semi-naive pass:

- prp-spo1, prp-eqp1/2: sub- and equivalent properties;
- prp-inv1/2, prp-symp, prp-trp: inverse, symmetric and transitive properties;
- prp-dom, prp-rng: domains and ranges;
- cax-sco, cax-eqc1/2, cls-uni: class hierarchy, equivalent classes and union classes;
- cax-dw, cls-nothing2: disjoint classes and ``owl:Nothing``, reported as inconsistencies.

The result is what :func:`kg.reasoning.owl_rl_closure` keeps (new triples about the project's
own entities, minus ``owl:Thing``/``rdfs:Resource`` types): tests/test_fast_paths.py proves the
two equal on the curated graph, on fixtures for each axiom, and on generated data. An ontology
that uses any other OWL construct gets :class:`Unsupported`, and the build falls back to owlrl.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pyoxigraph import Literal, NamedNode, Quad, Store, Triple

from kg.assembly import Assembly
from kg.concurrency import map_in_threads
from kg.iris import ID, compact
from kg.problems import Problem

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
TYPE = NamedNode(_RDF + "type")
_FIRST, _REST, _NIL = NamedNode(_RDF + "first"), NamedNode(_RDF + "rest"), NamedNode(_RDF + "nil")
_NOTHING = NamedNode(_OWL + "Nothing")
_NOISE = {NamedNode(_OWL + "Thing"), NamedNode(_RDFS + "Resource")}

#: OWL terms that only declare or annotate: they fire no rule this module must know.
_DECLARATIONS = {
    _OWL + t
    for t in (
        "Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "Ontology", "NamedIndividual",
        "versionInfo", "versionIRI", "imports", "priorVersion", "deprecated", "Thing", "TransitiveProperty",
        "SymmetricProperty", "inverseOf", "equivalentClass", "equivalentProperty", "disjointWith", "unionOf",
        "Nothing", "backwardCompatibleWith", "incompatibleWith",
    )
}  # fmt: skip


class Unsupported(Exception):
    """The ontology uses an OWL construct these rules do not implement; use owlrl."""


class _Schema:
    """The axioms, read once: closures of the class and property hierarchies and the rest."""

    def __init__(self, store: Store, added: list[Quad] | None = None):
        def pairs(predicate: str):
            return [(q.subject, q.object) for q in store.quads_for_pattern(None, NamedNode(predicate), None)]

        if added is None:
            self._refuse_unknown(store)
        else:  # the rest of the store passed this check in the build before
            self._refuse_unknown_in(added)
        sub_prop = defaultdict(set)
        for p, q in pairs(_RDFS + "subPropertyOf"):
            sub_prop[p].add(q)
        for p, q in pairs(_OWL + "equivalentProperty"):
            sub_prop[p].add(q)
            sub_prop[q].add(p)
        sub_class = defaultdict(set)
        for c, d in pairs(_RDFS + "subClassOf"):
            sub_class[c].add(d)
        for c, d in pairs(_OWL + "equivalentClass"):
            sub_class[c].add(d)
            sub_class[d].add(c)
        for union, members in pairs(_OWL + "unionOf"):
            for member in _list(store, members):
                sub_class[member].add(union)
        self.super_props = _closure(sub_prop)
        self.super_classes = _closure(sub_class)
        self.inverse = defaultdict(set)
        for p, q in pairs(_OWL + "inverseOf"):
            self.inverse[p].add(q)
            self.inverse[q].add(p)

        def typed(cls: str) -> set:  # not every rdf:type triple: 1.3 s at 100,000 claims
            return {q.subject for q in store.quads_for_pattern(None, TYPE, NamedNode(_OWL + cls))}

        self.symmetric, self.transitive = typed("SymmetricProperty"), typed("TransitiveProperty")
        self.domain, self.range = defaultdict(set), defaultdict(set)
        for p, c in pairs(_RDFS + "domain"):
            self.domain[p].add(c)
        for p, c in pairs(_RDFS + "range"):
            self.range[p].add(c)
        self.disjoint = defaultdict(set)
        for c, d in pairs(_OWL + "disjointWith"):
            self.disjoint[c].add(d)
            self.disjoint[d].add(c)

    @staticmethod
    def _refuse_unknown(store: Store) -> None:
        for (p,) in store.query("SELECT DISTINCT ?p WHERE { GRAPH ?g { ?s ?p ?o } }"):
            _refuse_if_unknown(p)
        for (o,) in store.query(f"SELECT DISTINCT ?o WHERE {{ GRAPH ?g {{ ?s <{_RDF}type> ?o }} }}"):
            _refuse_if_unknown(o)

    @staticmethod
    def _refuse_unknown_in(quads: list[Quad]) -> None:
        for q in quads:
            for term in (q.predicate, q.object) if q.predicate == TYPE else (q.predicate,):
                _refuse_if_unknown(term)

    def property_rule_predicates(self) -> set:
        """Predicates whose triples can fire a property rule (everything but domain and range)."""
        out = {p for p, supers in self.super_props.items() if supers - {p}}
        return out | set(self.inverse) | self.symmetric | self.transitive

    def derivable_predicates(self) -> set:
        """Predicates a property rule can give a triple of."""
        out = self.symmetric | self.transitive
        for p in self.property_rule_predicates():
            out |= self.super_props.get(p, set()) | self.inverse.get(p, set())
        return out

    def chained_predicates(self) -> set:
        """Predicates whose triples a transitive rule can take part in: those from which a rule
        chain leads to a transitive property, and those to which one leads from it. Outside
        these, a derived triple joins the same two nodes as the one triple it follows from."""
        leads_to: dict = defaultdict(set)
        for p in self.property_rule_predicates():
            leads_to[p] |= self.super_props.get(p, set()) | self.inverse.get(p, set())
        reach = _closure(leads_to)
        out = set(self.transitive)
        for p, reached in reach.items():
            if reached & self.transitive:
                out.add(p)
        for t in self.transitive:
            out |= reach.get(t, {t})
        return out

    def class_pairs(self) -> str:
        """SPARQL ``VALUES (?c ?sup)``: each class in the hierarchy with its superclasses and itself."""
        rows = " ".join(
            f"(<{c.value}> <{d.value}>)"
            for c, supers in self.super_classes.items()
            if isinstance(c, NamedNode)
            for d in supers
            if isinstance(d, NamedNode)
        )
        return f"VALUES (?c ?sup) {{ {rows} }}"


def _refuse_if_unknown(term) -> None:
    """Raise :class:`Unsupported` if ``term`` is an OWL term that does more than declare."""
    iri = term.value if isinstance(term, NamedNode) else ""
    if iri.startswith(_OWL) and iri not in _DECLARATIONS:
        raise Unsupported(f"owl:{iri[len(_OWL) :]} is used; these rules do not implement it")


def _closure(edges: dict) -> dict:
    """Reflexive-transitive closure of a relation given as node -> direct successors."""
    out = {}
    for start in list(edges):
        seen, todo = {start}, [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        out[start] = seen
    return out


def _list(store: Store, head) -> list:
    items = []
    while head != _NIL and len(items) < 10_000:
        firsts = [q.object for q in store.quads_for_pattern(head, _FIRST, None)]
        rests = [q.object for q in store.quads_for_pattern(head, _REST, None)]
        if not firsts or not rests:
            break
        items.append(firsts[0])
        head = rests[0]
    return items


def owl_rl_rules(store: Store, assembly: Assembly) -> tuple[list[Triple], list[Problem]]:
    """Apply the ontology's OWL RL rules to every graph of ``store``; return new triples and problems.

    New triples are those about the project's entities (subject under ``id/``) that no graph
    already holds, in no particular order (the build sorts what it writes). Raises
    :class:`Unsupported` if the ontology needs a rule not here.

    Property rules run in Python over the few predicates with property axioms. Types (domain,
    range and the class hierarchy) run as SPARQL inside Oxigraph, because they touch nearly every
    triple: Python sees only the types that are new and the classes that can clash.
    """
    schema = _Schema(store)
    return _entailments(store, schema, _property_closure(store, schema), assembly)


def _entailments(
    store: Store, schema: _Schema, derived: set[tuple], assembly: Assembly, nodes: set | None = None
) -> tuple[list[Triple], list[Problem]]:
    """The new triples and the problems, given the property rules' ``derived`` triples (which no
    graph holds): the types of every node, or of ``nodes`` only, and the derived triples."""
    base = str(ID)
    extra_types: dict = defaultdict(set)  # types that follow from the derived property triples
    for s, p, o in derived:
        if nodes is None or s in nodes:
            for c in schema.domain.get(p, ()):
                extra_types[s].update(schema.super_classes.get(c, {c}))
        if not isinstance(o, Literal) and (nodes is None or o in nodes):
            for c in schema.range.get(p, ()):
                extra_types[o].update(schema.super_classes.get(c, {c}))

    clashing = set(schema.disjoint) | {_NOTHING}
    listed = None if nodes is None else sorted(nodes, key=str)
    queries = [] if listed == [] else [_types_query(schema, b, clashing, listed) for b in _TYPE_SOURCES]
    answers = map_in_threads(lambda q: list(store.query(q, use_default_graph_as_union=True)), queries)
    # New types are those no graph states; what follows from derived triples is checked
    # against the store below.
    new_types: set = set()
    types: dict = defaultdict(set)
    for rows in answers:
        for x, d, new in rows:
            if new.value == "true":
                new_types.add((x, d))
            if d in clashing:
                types[x].add(d)
    unchecked: list[tuple] = []
    for node, classes in extra_types.items():
        types[node].update(classes & clashing)
        if isinstance(node, NamedNode) and node.value.startswith(base):
            unchecked.extend((node, TYPE, c) for c in classes - _NOISE if (node, c) not in new_types)
    problems = _inconsistencies(types, schema, assembly)
    triples = [Triple(x, TYPE, d) for x, d in new_types]
    # A type that follows from a derived triple may be one some graph already holds.
    fresh = {t for t in unchecked if not _in_store(store, t)}
    fresh.update(t for t in derived if isinstance(t[0], NamedNode) and t[0].value.startswith(base))
    triples += [Triple(*t) for t in fresh]
    return triples, problems


class NotIncremental(Exception):
    """The change cannot be reasoned about from the previous build; run :func:`owl_rl_rules`."""


def owl_rl_rules_after(
    store: Store, assembly: Assembly, added: list[Quad], removed: list[Quad], previous: list[bytes]
) -> tuple[list[bytes], list[bytes], list[Triple], list[Problem]]:
    """:func:`owl_rl_rules` after a change, from the previous build's entailments.

    ``store`` is the new asserted store; ``added`` and ``removed`` are the quads in which it
    differs from the store of the previous build, whose inferred N-Quads lines are ``previous``.
    Returns the lines of ``previous`` that are kept, the rest of its lines, the new triples,
    and the problems; the kept lines and the triples together are what :func:`owl_rl_rules`
    returns on ``store``.

    A node's types follow from its own triples: its ``rdf:type`` triples, the domains and ranges
    of its edges, and those of the edges the property rules derive from its edges. Those rules
    give a node no edge of a predicate and direction it has not already got from one of its own
    triples (a transitive chain from it starts with an edge of its own), so a node that no added
    or removed quad mentions keeps its types, and its previous lines are kept. The types of the
    nodes the change mentions are worked out again.

    A rule other than transitivity gives a triple between the two nodes of the one triple it
    follows from. So a derived triple between two nodes the change does not mention still
    holds, and its line is kept; the property rules run again over the triples that touch a
    mentioned node, and over every triple of the predicates a transitive chain can involve
    (:meth:`_Schema.chained_predicates`, whose lines are all worked out again). At 100,000
    claims that reads a few thousand triples where the whole closure read 240,000 (1.6 s).
    Problems are looked for among the mentioned nodes only: the previous build had none.
    tests/test_rebuild.py compares the result with :func:`owl_rl_rules` on random changes.

    Raises:
        NotIncremental: the change mentions a blank node.
        Unsupported: the added quads use an OWL construct these rules do not implement.
    """
    nodes: set[NamedNode] = set()
    for q in (*added, *removed):
        for term in (q.subject, q.object):
            if isinstance(term, NamedNode):
                nodes.add(term)
            elif not isinstance(term, Literal):
                raise NotIncremental("the change mentions a blank node")
    schema = _Schema(store, added)
    chained = schema.chained_predicates()
    derived = _property_closure(store, schema, nodes, chained)
    triples, problems = _entailments(store, schema, derived, assembly, nodes)
    type_predicate = f"<{_RDF}type>".encode()
    mentioned = {f"<{n.value}>".encode() for n in nodes}
    redone = {f"<{p.value}>".encode() for p in chained}
    kept, dropped = [], []
    for line in previous:
        subject, predicate, _ = line.split(b" ", 2)
        # kept: the types of unmentioned nodes, and the unchained lines from them (such a line
        # follows from triples between its two nodes, and a change there would mention both)
        if subject not in mentioned and (predicate == type_predicate or predicate not in redone):
            kept.append(line)
        else:
            dropped.append(line)
    return kept, dropped, triples, problems


def _property_closure(
    store: Store, schema: _Schema, nodes: set | None = None, chained: set | None = None
) -> set[tuple]:
    """The triples the property rules add (semi-naive, to a fixpoint) that no graph holds.

    With ``nodes`` and ``chained`` (:meth:`_Schema.chained_predicates`): only those that touch
    one of ``nodes``, and those of the chained predicates. Every other rule gives a triple
    between the two nodes of the triple it follows from, so a derived triple that touches a
    node follows from triples that touch it, and the rest need not be read.
    """
    known: set[tuple] = set()
    agenda: list[tuple] = []
    by_subject: dict = defaultdict(lambda: defaultdict(set))
    by_object: dict = defaultdict(lambda: defaultdict(set))

    def emit(s, p, o) -> None:
        t = (s, p, o)
        if t in known:
            return
        known.add(t)
        agenda.append(t)
        if p in schema.transitive:
            by_subject[p][s].add(o)
            by_object[p][o].add(s)

    rule_predicates = schema.property_rule_predicates()
    derivable = schema.derivable_predicates() - rule_predicates
    for q in _triples_of(store, rule_predicates, nodes, chained):
        emit(q.subject, q.predicate, q.object)
    asserted = set(known)
    # and the store's triples of the other predicates a rule can derive, so that what is
    # returned is what no graph holds (a lookup per triple took 0.9 s at 100,000 claims)
    asserted.update((q.subject, q.predicate, q.object) for q in _triples_of(store, derivable, nodes, chained))
    while agenda:
        s, p, o = agenda.pop()
        for q in schema.super_props.get(p, ()):
            emit(s, q, o)
        if not isinstance(o, Literal):
            for r in schema.inverse.get(p, ()):
                emit(o, r, s)
            if p in schema.symmetric:
                emit(o, p, s)
        if p in schema.transitive:
            for x in list(by_subject[p].get(o, ())):
                emit(s, p, x)
            for y in list(by_object[p].get(s, ())):
                emit(y, p, o)
    return known - asserted


def _triples_of(store: Store, predicates: set, nodes: set | None, chained: set | None) -> Iterable[Quad]:
    """The store's quads of ``predicates``: all of them, or those that touch one of ``nodes``
    and all of those of the ``chained`` predicates."""
    if nodes is None:
        for p in predicates:
            yield from store.quads_for_pattern(None, p, None)
        return
    for p in predicates:
        if p in chained:
            yield from store.quads_for_pattern(None, p, None)
            continue
        for n in nodes:
            yield from store.quads_for_pattern(n, p, None)
            # a triple from n to n was given above
            yield from (q for q in store.quads_for_pattern(None, p, n) if q.subject != n)


#: Where a node's classes come from: its rdf:type triples, and the domains and ranges of the
#: properties it is the subject or object of. One query each, so that they run side by side.
_TYPE_SOURCES = ("type", "domain", "range")


def _types_query(schema: _Schema, branch: str, clashing: set, nodes: list[NamedNode] | None = None) -> str:
    """The query for (node, class, new) from one source, closed under the class hierarchy.

    It returns the pairs whose class is in ``clashing`` (to look for inconsistencies) and the
    new pairs about the project's entities, minus owl:Thing and rdfs:Resource; ``new`` says that
    no graph states the pair. One scan serves both: two queries per source cost 2 s more at
    100,000 claims. The pairs that are neither stay inside Oxigraph: at 100,000 claims they were
    about half of the 1.0 million rows.
    """
    if branch == "type":
        direct = f"?x <{_RDF}type> ?c"
    else:
        axioms = schema.domain if branch == "domain" else schema.range
        rows = " ".join(f"(<{p.value}> <{c.value}>)" for p, cs in axioms.items() for c in cs)
        edge = "?x ?p ?_o" if branch == "domain" else "?_s ?p ?x FILTER(!isLiteral(?x))"
        direct = f"VALUES (?p ?c) {{ {rows} }} {edge}"
    if nodes is not None:
        direct = "VALUES ?x { " + " ".join(f"<{n.value}>" for n in nodes) + " } " + direct
    noise = ", ".join(f"<{n.value}>" for n in sorted(_NOISE, key=str))
    among = ", ".join(f"<{c.value}>" for c in sorted(clashing, key=str))
    # a node's own rdf:type ?c is stated: only the type branch knows that without a lookup
    stated = "?d != ?c && " if branch == "type" else ""
    return (
        f"SELECT DISTINCT ?x ?d ?new WHERE {{ {{ SELECT DISTINCT ?x ?c WHERE {{ {direct} }} }} "
        f"OPTIONAL {{ {schema.class_pairs()} }} BIND(COALESCE(?sup, ?c) AS ?d) "
        f'BIND(isIRI(?x) && STRSTARTS(STR(?x), "{ID}") && ?d NOT IN ({noise}) AS ?ours) '
        f"FILTER(?ours || ?d IN ({among})) "
        f"BIND(?ours && {stated}NOT EXISTS {{ ?x <{_RDF}type> ?d }} AS ?new) "
        f"FILTER(?new || ?d IN ({among})) }}"
    )


def _in_store(store: Store, t: tuple) -> bool:
    return next(iter(store.quads_for_pattern(*t)), None) is not None


def _inconsistencies(types: dict, schema: _Schema, assembly: Assembly) -> list[Problem]:
    problems = []
    for node, classes in types.items():
        if isinstance(node, Literal):
            continue
        if _NOTHING in classes:
            problems.append(_problem(node, f"{_name(node)} is an instance of owl:Nothing", assembly))
        for c in sorted(classes, key=str):
            for d in sorted(schema.disjoint.get(c, set()) & classes, key=str):
                if str(c) < str(d):
                    text = (
                        f"disjoint classes {_name(c)} and {_name(d)} have a common individual {_name(node)}"
                    )
                    problems.append(_problem(node, text, assembly))
    problems.sort(key=lambda p: (p.file, p.line, p.message))
    return problems


def _name(term) -> str:
    return compact(term.value) if isinstance(term, NamedNode) else str(term)


def _problem(node, text: str, assembly: Assembly) -> Problem:
    file, line = (assembly.where(node.value) if isinstance(node, NamedNode) else None) or ("(ontology)", 0)
    focus = compact(node.value) if isinstance(node, NamedNode) else None
    return Problem(file, line, f"OWL RL inconsistency: {text}", focus=focus)


def as_quads(triples: Iterable[Triple], graph: NamedNode) -> list[Quad]:
    """The triples as quads in ``graph``."""
    return [Quad(t.subject, t.predicate, t.object, graph) for t in triples]
