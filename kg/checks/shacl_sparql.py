"""SHACL Core by SPARQL on pyoxigraph: the results pyshacl gives for the shapes this project uses.

pyshacl validates at about 20k triples a second in Python; the same constraints written as SPARQL
run inside Oxigraph, 5-10 times faster and without copying the graph into rdflib
(docs/decisions/20261123-fast-paths.md). Each constraint of each shape becomes one query that
selects only the focus nodes (and values) that break it, so a conforming graph costs one scan
per constraint.

Shapes reached through ``sh:node``, ``sh:qualifiedValueShape``, ``sh:or`` or ``sh:not`` are
evaluated over every value of the referring path; the nodes that fail them are then looked up
in Python. As in pyshacl, a value failing ``sh:node`` is reported at the referring focus node
and, in detail, at the value itself.

Supported: targets ``targetClass``, ``targetSubjectsOf``, ``targetObjectsOf``, ``targetNode``;
predicate paths; the components listed in :data:`_VALUE_TESTS`, plus ``minCount``, ``maxCount``,
``hasValue``, ``uniqueLang``, ``lessThan(OrEquals)``, ``equals``, ``disjoint``, ``node``,
``qualifiedValueShape`` (not disjoint), ``or``, ``and``, ``not``. Anything else raises
:class:`Unsupported` and the build runs pyshacl. Not checked: whether a literal's lexical form is
valid for its datatype (the loaders only write well-formed literals).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, Store

from kg.assembly import Assembly
from kg.concurrency import map_in_threads
from kg.iris import compact
from kg.problems import Problem

SH = "http://www.w3.org/ns/shacl#"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_TYPE_OF = f"<{_RDF}type>/<{_RDFS_SUBCLASS}>*"

_NODE_KINDS = {
    "IRI": "isIRI({v})",
    "BlankNode": "isBlank({v})",
    "Literal": "isLiteral({v})",
    "BlankNodeOrIRI": "!isLiteral({v})",
    "BlankNodeOrLiteral": "!isIRI({v})",
    "IRIOrLiteral": "!isBlank({v})",
}

#: Component parameters tested on one value at a time, and the SPARQL that says a value passes.
_VALUE_TESTS = {
    # the test is written by _Validator._instance_test, which knows the data's class hierarchy
    "class": ("ClassConstraintComponent", None),
    "datatype": (
        "DatatypeConstraintComponent",
        lambda v, x: f"(isLiteral({v}) && DATATYPE({v}) = {_term(x)})",
    ),
    "nodeKind": ("NodeKindConstraintComponent", lambda v, x: _NODE_KINDS[x.value[len(SH) :]].format(v=v)),
    "minInclusive": ("MinInclusiveConstraintComponent", lambda v, x: f"COALESCE({v} >= {_term(x)}, false)"),
    "maxInclusive": ("MaxInclusiveConstraintComponent", lambda v, x: f"COALESCE({v} <= {_term(x)}, false)"),
    "minExclusive": ("MinExclusiveConstraintComponent", lambda v, x: f"COALESCE({v} > {_term(x)}, false)"),
    "maxExclusive": ("MaxExclusiveConstraintComponent", lambda v, x: f"COALESCE({v} < {_term(x)}, false)"),
    "minLength": (
        "MinLengthConstraintComponent",
        lambda v, x: f"(!isBlank({v}) && STRLEN(STR({v})) >= {int(x.value)})",
    ),
    "maxLength": (
        "MaxLengthConstraintComponent",
        lambda v, x: f"(!isBlank({v}) && STRLEN(STR({v})) <= {int(x.value)})",
    ),
}
_KNOWN = {
    *(SH + k for k in _VALUE_TESTS),
    *(
        SH + k
        for k in (
            "path", "property", "targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode",
            "minCount", "maxCount", "pattern", "flags", "languageIn", "in", "hasValue", "uniqueLang",
            "lessThan", "lessThanOrEquals", "equals", "disjoint", "node", "qualifiedValueShape",
            "qualifiedMinCount", "qualifiedMaxCount", "qualifiedValueShapesDisjoint", "or", "and",
            "not", "message", "severity", "deactivated", "name", "description", "order", "group",
        )
    ),
}  # fmt: skip


class Unsupported(Exception):
    """The shapes use a SHACL feature this module does not implement; use pyshacl."""


@dataclass(frozen=True)
class Result:
    """One validation result, as pyshacl would report it."""

    focus: object
    path: object
    shape: object
    component: str
    value: object
    message: str
    severity: str
    #: for ``sh:node``: why the value does not conform (the nested shape's results at the value)
    details: tuple = ()


@dataclass(frozen=True)
class Scope:
    """Focus nodes to leave out: IRIs ``<namespace><segment>/...`` with a segment in ``skip``.

    The build passes the claims namespace (``id/claim/<document>/...``) and the documents whose
    claims an earlier build validated, unchanged since (:mod:`kg.checks.shacl_reuse`); and,
    when only fact sheets name nodes there and few documents are left to validate, those.
    """

    namespace: str
    skip: frozenset[str]
    #: every other segment that names nodes in the namespace, when they are known to be few:
    #: the nodes kept are then listed by those (:meth:`sparql_kept`) rather than by ``skip``
    rest: frozenset[str] | None = None
    #: when set, the target nodes validated are these IRIs and no others, whatever ``skip``
    #: says (:func:`kg.checks.shacl_reuse.changed_nodes`); and a nested shape is tested on the
    #: values of the nodes in ``reach`` (which must hold every node validated and what they
    #: reach along the paths to nested shapes)
    only: frozenset[NamedNode] | None = None
    reach: frozenset[NamedNode] | None = None

    def keeps(self, node) -> bool:
        """Whether ``node`` is validated."""
        if self.only is not None:
            return node in self.only
        if not isinstance(node, NamedNode) or not node.value.startswith(self.namespace):
            return True
        segment, slash, _ = node.value[len(self.namespace) :].partition("/")
        return not slash or segment not in self.skip

    def sparql_inside(self, var: str) -> str:
        """A SPARQL ``FILTER``: ``var`` is an IRI in the namespace."""
        return f"FILTER(isIRI({var}) && STRSTARTS(STR({var}), {_string(self.namespace)}))"

    def sparql_kept(self, var: str) -> str:
        """The test of :meth:`keeps` as a SPARQL ``FILTER`` that names the segments in ``rest``:
        a few string tests a row, where :meth:`sparql` looks each row up in the long ``skip``."""
        ns = self.namespace
        kept = " || ".join(f"STRSTARTS(STR({var}), {_string(ns + s + '/')})" for s in sorted(self.rest or ()))
        return (
            f"FILTER(!isIRI({var}) || !STRSTARTS(STR({var}), {_string(ns)}) "
            f'|| !CONTAINS(STRAFTER(STR({var}), {_string(ns)}), "/"){" || " + kept if kept else ""})'
        )

    def sparql(self, var: str) -> str:
        """The same test as a SPARQL ``FILTER`` on ``var``."""
        ns = _string(self.namespace)
        skip = ", ".join(_string(s) for s in sorted(self.skip))
        rest = f"STRAFTER(STR({var}), {ns})"
        return (
            f'FILTER(!STRSTARTS(STR({var}), {ns}) || !CONTAINS({rest}, "/") '
            f'|| STRBEFORE({rest}, "/") NOT IN ({skip}))'
        )


class _Shapes:
    """Read access to the shapes graph."""

    def __init__(self, store: Store):
        self.store = store

    def objects(self, node, predicate: str) -> list:
        return [q.object for q in self.store.quads_for_pattern(node, NamedNode(SH + predicate), None)]

    def one(self, node, predicate: str):
        values = self.objects(node, predicate)
        return values[0] if values else None

    def items(self, head) -> list:
        out = []
        nil = NamedNode(_RDF + "nil")
        while head is not None and head != nil:
            out.append(next(iter(self.store.quads_for_pattern(head, NamedNode(_RDF + "first"), None))).object)
            head = next(iter(self.store.quads_for_pattern(head, NamedNode(_RDF + "rest"), None))).object
        return out


class _Validator:
    """Walks the shapes; every query goes through :meth:`_select`.

    With ``answers=None`` the walk only records its queries (``planned``) and sees no rows:
    which queries a shapes graph needs never depends on their answers, so they can all be run
    beforehand, side by side, and the second walk reads ``answers``.
    """

    def __init__(
        self,
        data: Store,
        shapes: Store,
        answers: dict[str, list] | None = None,
        scope: Scope | None = None,
        focus_sets: dict[str, str] | None = None,
    ):
        self.data, self.sh = data, _Shapes(shapes)
        self.answers = answers
        self.scope = scope
        #: focus pattern -> the pattern limited to ``scope``; shared by the two walks
        self.focus_sets = {} if focus_sets is None else focus_sets
        self._subclasses: dict = {}
        self.planned: dict[str, None] = {}
        self.results: list[Result] = []
        self._failing: dict = {}
        self._details: dict = {}

    # --- queries ---------------------------------------------------------------------------

    def _select(self, query: str) -> list:
        if self.answers is None:
            self.planned[query] = None
            return []
        return self.answers[query]

    def failing(self, shape) -> set:
        """Nodes that do not conform to ``shape``, among every value of a path that refers to it."""
        if shape not in self._failing:
            self._failing[shape] = set()  # a recursive shape stops here
            paths = self._referring_paths(shape)
            focus = " UNION ".join(f"{{ ?_ref <{p.value}> ?this }}" for p in paths) or "VALUES ?this {}"
            found: list[Result] = []
            self._shape(shape, self._scoped(f"{{ {focus} }}", focus, nested=True), found)
            self._failing[shape] = {r.focus for r in found}
            self._details[shape] = found
        return self._failing[shape]

    def _referring_paths(self, shape) -> list:
        store = self.sh.store
        refs = set()
        for pred in ("node", "qualifiedValueShape", "not"):
            for q in store.quads_for_pattern(None, NamedNode(SH + pred), shape):
                refs.add(q.subject)
        for q in store.quads_for_pattern(None, NamedNode(_RDF + "first"), shape):
            refs.update(self._list_owners(q.subject))
        paths = []
        for ref in refs:
            path = self.sh.one(ref, "path")
            if path is None:
                raise Unsupported("a shape referred to from a node shape is not implemented here")
            else:
                paths.append(path)
        return sorted(set(paths), key=str)

    def _list_owners(self, cell) -> set:
        store = self.sh.store
        while True:
            prev = [q.subject for q in store.quads_for_pattern(None, NamedNode(_RDF + "rest"), cell)]
            if not prev:
                break
            cell = prev[0]
        owners = set()
        for pred in ("or", "and"):
            owners.update(q.subject for q in store.quads_for_pattern(None, NamedNode(SH + pred), cell))
        return owners

    # --- shapes ------------------------------------------------------------------------------

    def run(self) -> int:
        shape_type = NamedNode(SH + "NodeShape")
        node_shapes = sorted(
            {q.subject for q in self.sh.store.quads_for_pattern(None, NamedNode(_RDF + "type"), shape_type)},
            key=str,
        )
        for shape in node_shapes:
            targets = self._targets(shape)
            if targets:
                self._shape(shape, targets, self.results)
        return len(node_shapes)

    def _targets(self, shape) -> str:
        parts = [f"{{ ?this {_TYPE_OF} {_term(c)} }}" for c in self.sh.objects(shape, "targetClass")]
        parts += [f"{{ ?this {_term(p)} ?_t }}" for p in self.sh.objects(shape, "targetSubjectsOf")]
        parts += [f"{{ ?_t {_term(p)} ?this }}" for p in self.sh.objects(shape, "targetObjectsOf")]
        nodes = self.sh.objects(shape, "targetNode")
        if nodes:
            parts.append(f"{{ VALUES ?this {{ {' '.join(_term(n) for n in nodes)} }} }}")
        if not parts:
            return ""
        union = " UNION ".join(parts)
        return self._scoped(f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}", union)

    def _scoped(self, focus: str, union: str, nested: bool = False) -> str:
        """``focus`` (``union``, a union of patterns binding ``?this``, selected) limited to the
        scope's nodes: the same pattern when every node it binds is in scope, else the nodes that
        are, written out (the constraints then join a short list instead of filtering every node
        again in each of their queries)."""
        if self.scope is None:
            return focus
        if focus not in self.focus_sets:
            if self.scope.only is not None:
                self.focus_sets[focus] = self._only(focus, union, nested)
            elif self.scope.rest is not None:
                self.focus_sets[focus] = self._named(focus)
            else:
                self.focus_sets[focus] = self._filtered(focus)
        return self.focus_sets[focus]

    def _only(self, focus: str, union: str, nested: bool) -> str:
        """The nodes of :attr:`Scope.only` that ``union`` binds; for a nested shape, the values
        it binds for referrers (``?_ref``) in :attr:`Scope.reach`. ``VALUES`` goes first, so
        that Oxigraph evaluates the patterns per node, not over the whole store."""
        var, nodes = ("?_ref", self.scope.reach) if nested else ("?this", self.scope.only)
        listed = " ".join(sorted(_term(n) for n in nodes))
        pattern = f"VALUES {var} {{ {listed} }} {union}"
        query = f"SELECT DISTINCT ?this WHERE {{ {pattern} }}"
        kept = [row[0] for row in self.data.query(query, use_default_graph_as_union=True)]
        if any(isinstance(n, BlankNode) for n in kept):  # cannot be written out
            return f"{{ SELECT DISTINCT ?this WHERE {{ {pattern} }} }}"
        return f"{{ VALUES ?this {{ {' '.join(sorted(_term(n) for n in kept))} }} }}"

    def _named(self, focus: str) -> str:
        """Listing every focus node to drop the skipped ones in Python took 2 s at 100,000
        claims; asking whether any is in the namespace, then listing the kept ones with a
        filter that names the few validated documents, 0.7 s."""
        query = f"ASK {{ {focus} {self.scope.sparql_inside('?this')} }}"
        if not self.data.query(query, use_default_graph_as_union=True):
            return focus
        query = f"SELECT DISTINCT ?this WHERE {{ {focus} {self.scope.sparql_kept('?this')} }}"
        kept = [row[0] for row in self.data.query(query, use_default_graph_as_union=True)]
        return self._listed(focus, kept)

    def _filtered(self, focus: str) -> str:
        query = f"SELECT DISTINCT ?this WHERE {{ {focus} }}"
        nodes = [row[0] for row in self.data.query(query, use_default_graph_as_union=True)]
        kept = [n for n in nodes if self.scope.keeps(n)]
        return focus if len(kept) == len(nodes) else self._listed(focus, kept)

    def _listed(self, focus: str, kept: list) -> str:
        if all(isinstance(n, NamedNode) for n in kept):
            return f"{{ VALUES ?this {{ {' '.join(sorted(_term(n) for n in kept))} }} }}"
        return f"{{ {focus} {self.scope.sparql('?this')} }}"  # a blank node cannot be written out

    def _instance_test(self, var: str, cls) -> str:
        """SPARQL that is true when ``var`` is an instance of ``cls`` (``sh:class``).

        ``var rdf:type/rdfs:subClassOf* cls``, with the subclasses of ``cls`` read from the data
        beforehand: Oxigraph evaluates the path once per value, which made this test 2.4 times
        slower at 100,000 claims. The two are equal on the store they read, because the path's
        classes are exactly ``cls`` and what reaches it by ``rdfs:subClassOf`` edges there. A
        blank node cannot be written in ``VALUES``; a hierarchy with one keeps the path.
        """
        if cls not in self._subclasses:
            seen, todo = {cls}, [cls]
            while todo:
                for q in self.data.quads_for_pattern(None, NamedNode(_RDFS_SUBCLASS), todo.pop()):
                    if q.subject not in seen:
                        seen.add(q.subject)
                        todo.append(q.subject)
            named = all(isinstance(c, NamedNode) for c in seen)
            self._subclasses[cls] = sorted(_term(c) for c in seen) if named else None
        classes = self._subclasses[cls]
        if classes is None:
            return f"EXISTS {{ {var} {_TYPE_OF} {_term(cls)} }}"
        return f"EXISTS {{ VALUES ?_class {{ {' '.join(classes)} }} {var} <{_RDF}type> ?_class }}"

    def _shape(self, shape, focus: str, out: list) -> None:
        """Evaluate one node shape on the focus nodes bound by the pattern ``focus``."""
        if self.sh.one(shape, "deactivated") == Literal(True):
            return
        for q in self.sh.store.quads_for_pattern(shape, None, None):
            p = q.predicate.value
            if p.startswith(SH) and p not in _KNOWN | {SH + "closed", SH + "ignoredProperties"}:
                raise Unsupported(f"{compact(p)} is not implemented here")
            if p in (SH + "closed",) and q.object == Literal(True):
                raise Unsupported("sh:closed is not implemented here")
        self._constraints(shape, shape, None, focus, out)
        for prop in self.sh.objects(shape, "property"):
            if self.sh.one(prop, "deactivated") == Literal(True):
                continue
            path = self.sh.one(prop, "path")
            if not isinstance(path, NamedNode):
                raise Unsupported("only predicate paths are implemented by the SPARQL validator")
            for q in self.sh.store.quads_for_pattern(prop, None, None):
                if q.predicate.value.startswith(SH) and q.predicate.value not in _KNOWN:
                    raise Unsupported(f"{compact(q.predicate.value)} is not implemented here")
            self._constraints(prop, shape, path, focus, out)

    def _constraints(self, node, shape, path, focus: str, out: list) -> None:
        """The constraints declared on ``node`` (a node shape, or a property shape with ``path``)."""
        sh = self.sh
        message = sh.one(node, "message")
        message = message.value if isinstance(message, Literal) else None
        severity = sh.one(node, "severity") or NamedNode(SH + "Violation")
        severity = severity.value[len(SH) :]
        source = shape if path is None else node
        values = f"{focus} ?this {_term(path)} ?v ." if path is not None else f"{focus} BIND(?this AS ?v)"

        def add(rows, component: str, default: str, with_value: bool = True, why=None) -> None:
            for row in rows:
                value = row[1] if with_value and len(row) > 1 else None
                details = tuple(why.get(value, ())) if why else ()
                out.append(
                    Result(row[0], path, source, component, value, message or default, severity, details)
                )

        def per_value(component: str, test: str, default: str) -> None:
            add(
                self._select(f"SELECT DISTINCT ?this ?v WHERE {{ {values} FILTER(!({test})) }}"),
                component,
                default,
            )

        for key, (component, test) in _VALUE_TESTS.items():
            for x in sh.objects(node, key):
                text = self._instance_test("?v", x) if test is None else test("?v", x)
                per_value(component, text, _MESSAGES[key].format(x=_show(x)))
        for pattern in sh.objects(node, "pattern"):
            flags = sh.one(node, "flags")
            extra = f", {_string(flags.value)}" if flags is not None else ""
            per_value(
                "PatternConstraintComponent",
                f"!isBlank(?v) && REGEX(STR(?v), {_string(pattern.value)}{extra})",
                f"value does not match the pattern '{pattern.value}'",
            )
        for head in sh.objects(node, "languageIn"):
            tags = [x.value for x in sh.items(head)]
            langs = " || ".join(f"LANGMATCHES(LANG(?v), {_string(t)})" for t in tags)
            per_value(
                "LanguageInConstraintComponent",
                f"isLiteral(?v) && ({langs or 'false'})",
                f"the value's language is not one of {', '.join(tags)}",
            )
        for head in sh.objects(node, "in"):
            members = sh.items(head)
            per_value(
                "InConstraintComponent",
                f"?v IN ({', '.join(_term(x) for x in members)})",
                f"value is not one of {', '.join(_show(x) for x in members)}",
            )
        for x in sh.objects(node, "hasValue"):
            has = f"?this {_term(path)} {_term(x)}" if path is not None else f"FILTER(?this = {_term(x)})"
            rows = self._select(f"SELECT DISTINCT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ {has} }} }}")
            add(rows, "HasValueConstraintComponent", f"the value {_show(x)} is missing", False)
        if path is not None:
            self._cardinality(node, path, focus, add)
            self._pairs(node, path, focus, add)
        self._nested(node, values, focus, add)

    def _cardinality(self, node, path, focus: str, add) -> None:
        p = _term(path)
        for n in self.sh.objects(node, "minCount"):
            n = int(n.value)
            if n == 1:
                q = f"SELECT DISTINCT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {p} ?_v }} }}"
            else:
                q = (
                    f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {p} ?v }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})"
                )
            add(
                self._select(q), "MinCountConstraintComponent", f"fewer than {n} value{'s' * (n != 1)}", False
            )
        for n in self.sh.objects(node, "maxCount"):
            n = int(n.value)
            q = (
                f"SELECT ?this WHERE {{ {focus} ?this {p} ?v }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})"
            )
            add(self._select(q), "MaxCountConstraintComponent", f"more than {n} value{'s' * (n != 1)}", False)
        if self.sh.one(node, "uniqueLang") == Literal(True):
            q = (
                f"SELECT DISTINCT ?this WHERE {{ {focus} ?this {p} ?v . ?this {p} ?w "
                "FILTER(isLiteral(?v) && isLiteral(?w) && ?v != ?w "
                '&& LANG(?v) != "" && LANG(?v) = LANG(?w)) }'
            )
            add(
                self._select(q), "UniqueLangConstraintComponent", "more than one value in one language", False
            )

    def _pairs(self, node, path, focus: str, add) -> None:
        p = _term(path)
        tests = {
            "lessThan": ("LessThanConstraintComponent", "<"),
            "lessThanOrEquals": ("LessThanOrEqualsConstraintComponent", "<="),
        }
        for key, (component, op) in tests.items():
            for other in self.sh.objects(node, key):
                q = (
                    f"SELECT DISTINCT ?this ?v WHERE {{ {focus} ?this {p} ?v . "
                    f"?this {_term(other)} ?w FILTER(!COALESCE(?v {op} ?w, false)) }}"
                )
                add(self._select(q), component, f"value is not {op} the value of {_show(other)}")
        for other in self.sh.objects(node, "equals"):
            o = _term(other)
            q = (
                f"SELECT DISTINCT ?this ?v WHERE {{ {focus} "
                f"{{ ?this {p} ?v FILTER NOT EXISTS {{ ?this {o} ?v }} }} "
                f"UNION {{ ?this {o} ?v FILTER NOT EXISTS {{ ?this {p} ?v }} }} }}"
            )
            add(self._select(q), "EqualsConstraintComponent", f"value is not also a value of {_show(other)}")
        for other in self.sh.objects(node, "disjoint"):
            q = f"SELECT DISTINCT ?this ?v WHERE {{ {focus} ?this {p} ?v . ?this {_term(other)} ?v }}"
            add(self._select(q), "DisjointConstraintComponent", f"value is also a value of {_show(other)}")

    def _nested(self, node, values: str, focus: str, add) -> None:
        sh = self.sh
        nested = {
            "node": sh.objects(node, "node"),
            "not": sh.objects(node, "not"),
            "or": [sh.items(h) for h in sh.objects(node, "or")],
            "and": [sh.items(h) for h in sh.objects(node, "and")],
            "qualified": sh.objects(node, "qualifiedValueShape"),
        }
        if not any(nested.values()):
            return
        pairs = self._select(f"SELECT DISTINCT ?this ?v WHERE {{ {values} }}")
        for other in nested["node"]:
            failing = self.failing(other)
            why = defaultdict(list)
            for r in self._details.get(other, ()):
                why[r.focus].append(r)
            bad = [row for row in pairs if row[1] in failing]
            add(bad, "NodeConstraintComponent", f"value does not conform to {_show(other)}", why=why)
        for other in nested["not"]:
            failing = self.failing(other)
            add(
                [r for r in pairs if r[1] not in failing],
                "NotConstraintComponent",
                f"value conforms to {_show(other)}",
            )
        for members in nested["or"]:
            failing = [self.failing(m) for m in members]
            bad = [row for row in pairs if all(row[1] in f for f in failing)]
            add(bad, "OrConstraintComponent", "value conforms to none of the shapes of sh:or")
        for members in nested["and"]:
            failing = [self.failing(m) for m in members]
            bad = [row for row in pairs if any(row[1] in f for f in failing)]
            add(bad, "AndConstraintComponent", "value does not conform to every shape of sh:and")
        for other in nested["qualified"]:
            if sh.one(node, "qualifiedValueShapesDisjoint") == Literal(True):
                raise Unsupported("sh:qualifiedValueShapesDisjoint is not implemented here")
            failing = self.failing(other)
            counts: dict = defaultdict(int)
            for (f,) in self._select(f"SELECT DISTINCT ?this WHERE {{ {focus} }}"):
                counts[f] += 0
            for f, v in pairs:
                if v not in failing:
                    counts[f] += 1
            for key, component, op, below in (
                ("qualifiedMinCount", "QualifiedMinCountConstraintComponent", "fewer", True),
                ("qualifiedMaxCount", "QualifiedMaxCountConstraintComponent", "more", False),
            ):
                limit = sh.one(node, key)
                if limit is None:
                    continue
                n = int(limit.value)
                bad = [(f,) for f, c in counts.items() if (c < n if below else c > n)]
                add(bad, component, f"{op} than {n} values conform to {_show(other)}", False)


def _term(t) -> str:
    if isinstance(t, NamedNode):
        return f"<{t.value}>"
    if isinstance(t, BlankNode):
        raise Unsupported("a blank node as a constraint parameter is not implemented here")
    return str(t)


def _show(term) -> str:
    """A term as a reader would write it: a compact IRI, or a literal's text."""
    if isinstance(term, NamedNode):
        return compact(term.value)
    if isinstance(term, Literal):
        return term.value
    return "[ ]"


_MESSAGES = {
    "class": "value is not an instance of {x}",
    "datatype": "value is not a literal of datatype {x}",
    "nodeKind": "value is not of node kind {x}",
    "minInclusive": "value is not >= {x}",
    "maxInclusive": "value is not <= {x}",
    "minExclusive": "value is not > {x}",
    "maxExclusive": "value is not < {x}",
    "minLength": "value is shorter than {x} characters",
    "maxLength": "value is longer than {x} characters",
}


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def shacl_results(data: Store, shapes: Store, scope: Scope | None = None) -> tuple[int, list[Result]]:
    """Validate ``data`` (every graph, as one) against ``shapes``; return the node-shape count and results.

    ``scope``: the focus nodes to validate, of targets and of nested shapes alike (the build
    uses it to skip the claims of documents validated by an earlier build, unchanged since).
    The queries run on :func:`kg.concurrency.query_threads` threads (Oxigraph releases the GIL
    while it evaluates), then the results are read in the order of the shapes.
    """
    plan = _Validator(data, shapes, scope=scope)
    plan.run()

    def select(query: str) -> list:
        return list(data.query(query, use_default_graph_as_union=True))

    answers = dict(zip(plan.planned, map_in_threads(select, list(plan.planned)), strict=True))
    validator = _Validator(data, shapes, answers, scope, plan.focus_sets)
    n = validator.run()
    return n, sorted(
        set(validator.results),
        key=lambda r: tuple(map(str, (r.focus, r.path, r.shape, r.component, r.value))),
    )


def validate_shacl_sparql(
    data: Store, shapes: Store, assembly: Assembly, scope: Scope | None = None
) -> tuple[int, list[Problem]]:
    """As :func:`kg.checks.shacl.validate_shacl`, on pyoxigraph stores; same problem lines.

    ``scope`` limits the focus nodes, as in :func:`shacl_results`.

    Raises:
        Unsupported: the shapes need a feature not implemented here.
    """
    n, results = shacl_results(data, shapes, scope)
    owner = {q.object: q.subject for q in shapes.quads_for_pattern(None, NamedNode(SH + "property"), None)}
    problems = []
    for r in results:
        shape = owner.get(r.shape, r.shape)
        file, line = (assembly.where(r.focus.value) if isinstance(r.focus, NamedNode) else None) or (
            "(unknown source)",
            0,
        )
        text = _describe(r)
        for detail in _flatten(r.details):
            where = _show(detail.focus) + (f" {_show(detail.path)}" if detail.path is not None else "")
            text += f"; because {where}: {_describe(detail)}"
        problems.append(
            Problem(
                file,
                line,
                text,
                focus=_show(r.focus),
                path=_show(r.path) if isinstance(r.path, NamedNode) else None,
                shape=_show(shape) if isinstance(shape, NamedNode) else None,
                severity={"Warning": "WARNING", "Info": "INFO"}.get(r.severity, "ERROR"),
            )
        )
    return n, problems


def _describe(r: Result) -> str:
    text = f"{r.component}: {r.message}"
    if r.value is not None and _show(r.value) not in text:
        text += f" (value: {_show(r.value)})"
    return text


def _flatten(details) -> list:
    out = []
    for d in sorted(details, key=_describe):
        out.append(d)
        out.extend(_flatten(d.details))
    return out
