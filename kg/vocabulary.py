"""What the ontology declares: classes and properties, with each property's kind and range.

Curated sheets name classes and properties by their local name in the aigeo namespace; this
module turns those names into IRIs and says how to type a value, so that a misspelt property
is an error with a line, not a new IRI.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyoxigraph import NamedNode, Quad

from kg.namespaces import AIGEO, OWL, RDF, RDFS

_OBJECT_KINDS = {str(OWL.ObjectProperty)}
_DATA_KINDS = {str(OWL.DatatypeProperty)}
_CLASS_KINDS = {str(OWL.Class), str(RDFS.Class)}
_PROPERTY_KINDS = _OBJECT_KINDS | _DATA_KINDS | {str(RDF.Property)}


@dataclass(frozen=True)
class PropertyInfo:
    """A declared property: its IRI, whether it links entities, and its declared range."""

    iri: str
    is_object: bool
    range: str | None
    domain: str | None = None


@dataclass
class Vocabulary:
    """Classes and properties declared in the ontology, by aigeo local name."""

    classes: dict[str, str] = field(default_factory=dict)
    properties: dict[str, PropertyInfo] = field(default_factory=dict)
    individuals: dict[str, str] = field(default_factory=dict)
    superclasses: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def from_quads(cls, quads: list[Quad]) -> Vocabulary:
        """Read the declarations out of the ontology's quads."""
        types: dict[str, set[str]] = {}
        ranges: dict[str, str] = {}
        domains: dict[str, str] = {}
        parents: dict[str, set[str]] = {}
        for q in quads:
            s, p, o = q.subject, q.predicate.value, q.object
            if not isinstance(s, NamedNode):
                continue
            if p == str(RDF.type) and isinstance(o, NamedNode):
                types.setdefault(s.value, set()).add(o.value)
            elif p == str(RDFS.range) and isinstance(o, NamedNode):
                ranges[s.value] = o.value
            elif p == str(RDFS.domain) and isinstance(o, NamedNode):
                domains[s.value] = o.value
            elif p == str(RDFS.subClassOf) and isinstance(o, NamedNode):
                parents.setdefault(s.value, set()).add(o.value)
        vocab = cls()
        ns = str(AIGEO)
        for iri, kinds in types.items():
            if not iri.startswith(ns):
                continue
            local = iri[len(ns) :]
            if kinds & _CLASS_KINDS:
                vocab.classes[local] = iri
            elif kinds & _PROPERTY_KINDS:
                is_object = bool(kinds & _OBJECT_KINDS)
                vocab.properties[local] = PropertyInfo(iri, is_object, ranges.get(iri), domains.get(iri))
            else:
                vocab.individuals[local] = iri
        for iri in vocab.classes.values():
            seen: set[str] = set()
            todo = [iri]
            while todo:
                c = todo.pop()
                for parent in parents.get(c, ()):
                    if parent not in seen:
                        seen.add(parent)
                        todo.append(parent)
            vocab.superclasses[iri] = seen
        return vocab

    def is_a(self, class_iri: str, ancestor_local: str) -> bool:
        """True if ``class_iri`` is the aigeo class ``ancestor_local`` or a subclass of it."""
        target = self.classes.get(ancestor_local)
        return class_iri == target or target in self.superclasses.get(class_iri, set())
