"""OWL RL closure with owlrl, kept apart from the asserted facts.

owlrl computes the full closure; the project keeps only what is new and about its own entities
(subjects under ``https://w3id.org/aigeo/id/``): types from class hierarchies and domains and
ranges, super-properties, inverses, transitive and symmetric links. It drops owlrl's triples
with a literal subject, reflexive ``owl:sameAs`` and axiomatic triples about the vocabularies,
which no query needs. Inconsistencies owlrl detects (a disjointness broken, an individual of
``owl:Nothing``) are returned as problems.
"""

from __future__ import annotations

import re

import owlrl
import rdflib
from owlrl.Namespaces import ERRNS

from kg.assembly import Assembly
from kg.iris import ID, compact
from kg.namespaces import OWL, RDF, RDFS
from kg.problems import Problem

_NOISE_OBJECTS = {OWL.Thing, RDFS.Resource}
_IRI_IN_TEXT = re.compile(r"https://w3id\.org/aigeo/id/[^\s,]+")
_IRI_ANY = re.compile(r"https?://[^\s,]+")


def owl_rl_closure(graph: rdflib.Graph, assembly: Assembly) -> tuple[list[tuple], list[Problem]]:
    """Expand ``graph`` in place with OWL RL; return the kept new triples and any inconsistency."""
    before = set(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(
        graph
    )
    problems = []
    for message_node in graph.subjects(RDF.type, ERRNS.ErrorMessage):
        for text in graph.objects(message_node, ERRNS.error):
            focus = _IRI_IN_TEXT.findall(str(text))
            file, line = (assembly.where(focus[-1]) if focus else None) or ("(ontology)", 0)
            readable = _IRI_ANY.sub(lambda m: compact(m.group(0)), str(text))
            problems.append(
                Problem(
                    file,
                    line,
                    f"OWL RL inconsistency: {readable}",
                    focus=compact(focus[-1]) if focus else None,
                )
            )
    kept = []
    base = str(ID)
    for s, p, o in graph:
        if (s, p, o) in before or not isinstance(s, rdflib.URIRef) or not str(s).startswith(base):
            continue
        if p == OWL.sameAs and s == o:
            continue
        if p == RDF.type and o in _NOISE_OBJECTS:
            continue
        kept.append((s, p, o))
    kept.sort()
    return kept, problems
