"""The asserted data of one build while it is being put together, and where each node came from.

Every loader adds quads here and records, for each node it defines, the file and line a user
should open to fix it. Checks use :meth:`Assembly.where` to turn a focus node into ``file:line``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Quad

from kg.namespaces import RDF


@dataclass
class Assembly:
    """Quads by named graph, plus the definition site of nodes."""

    quads: list[Quad] = field(default_factory=list)
    sites: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: entity IRIs referred to by curated records, with the referring file and line
    references: list[tuple[str, str, int]] = field(default_factory=list)
    #: entity IRIs that are defined (entity sheets, generated reference data, documents)
    entities: set[str] = field(default_factory=set)

    def add(self, s, p, o, g: NamedNode) -> None:
        """Add one quad; plain strings are taken as IRIs."""
        self.quads.append(Quad(as_node(s), as_node(p), as_node(o), g))

    def add_type(self, s, cls, g: NamedNode) -> None:
        """Add ``s rdf:type cls`` in graph ``g``."""
        self.add(s, RDF.type, cls, g)

    def define(self, iri: str, file: str, line: int) -> None:
        """Record where ``iri`` is defined; the first definition wins."""
        self.sites.setdefault(str(iri), (file, line))

    def refer(self, iri: str, file: str, line: int) -> None:
        """Note that a record at ``file:line`` refers to the entity ``iri``."""
        self.references.append((str(iri), file, line))

    def where(self, iri: str) -> tuple[str, int] | None:
        """The file and line where ``iri`` is defined, or None."""
        hit = self.sites.get(str(iri))
        if hit is None and "#" in str(iri):
            hit = self.sites.get(str(iri).split("#", 1)[0])
        return hit


def as_node(x) -> NamedNode | Literal:
    """``x`` as a pyoxigraph term: nodes and literals as they are, anything else as an IRI."""
    if isinstance(x, NamedNode | Literal):
        return x
    return NamedNode(str(x))
