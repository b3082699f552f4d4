"""Moving RDF terms between pyoxigraph (the build's store) and rdflib (pyshacl, owlrl).

>>> from pyoxigraph import Literal as OxLiteral, NamedNode
>>> t = to_rdflib(OxLiteral("ישראל", language="he"))
>>> t.language, str(t)
('he', 'ישראל')
>>> to_oxigraph(to_rdflib(NamedNode("http://example.org/a"))) == NamedNode("http://example.org/a")
True
"""

from __future__ import annotations

import rdflib
from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def to_rdflib(term):
    """Convert a pyoxigraph term to the equal rdflib term."""
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt == _XSD_STRING:
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(dt))
    raise TypeError(f"cannot convert {term!r}")


def to_oxigraph(term):
    """Convert an rdflib term to the equal pyoxigraph term."""
    if isinstance(term, rdflib.URIRef):
        return NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return Literal(str(term), language=term.language)
        if term.datatype is None:
            return Literal(str(term))
        return Literal(str(term), datatype=NamedNode(str(term.datatype)))
    raise TypeError(f"cannot convert {term!r}")


def graph_to_rdflib(quads, target: rdflib.Graph | None = None) -> rdflib.Graph:
    """Add the triples of pyoxigraph quads (graph names dropped) to an rdflib graph."""
    g = target if target is not None else rdflib.Graph()
    for q in quads:
        g.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return g


def triples_to_quads(triples, graph: NamedNode | DefaultGraph) -> list[Quad]:
    """Turn rdflib triples into pyoxigraph quads in ``graph``."""
    return [Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph) for s, p, o in triples]
