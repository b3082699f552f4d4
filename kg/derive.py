"""Derivations: the CONSTRUCT queries in ``queries/construct/``, run in file-name order.

Each one reads the store (asserted data plus what earlier derivations added) and its result is
added to the named graph ``graph/derived``: the plain triples of best-ranked claims, country-group
memberships, and the tier assignments that follow from the rules' definitions.

A derivation may say that a rebuild need run it again only for some subjects (:mod:`kg.rerun`)::

    #+ rerun-for: s

That line promises that every triple of the query's template has ``?s`` as its subject, and
that whether the query derives a triple about a node X follows only from the triples about X's
claims (the nodes whose ``aigeo:subject`` is X) and from vocabulary. ``01-truthy`` keeps that
promise: the truthy value of X's property p depends on the ranks and values of X's claims on p.

So after a change of fact sheets alone, :func:`run_constructs` given the previous build's
derived graph (:class:`PreviousDerived`):

- keeps the previous build's derived triples, except those about the subjects of the claims
  the change touched (before or after it) and those the derivations without the line added;
- runs each derivation with the line again, bound to those subjects;
- runs the derivations without the line over the whole store, as a first build does.

That needs the derivations with the line to come first: the others may read what they derive.
Otherwise, or when the change touches vocabulary, everything is derived again.
tests/test_derive_rerun.py compares the result with a derivation from scratch on random changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import NamedNode, Quad, RdfFormat, Store, parse, serialize

from kg.iris import AIGEO_NS, graph_iri
from kg.problems import DataError, Problem
from kg.rerun import HeaderError, bound, rerun_line, rerun_nodes, rerun_variables

DERIVED_GRAPH = NamedNode(graph_iri("derived"))
_SUBJECT = NamedNode(AIGEO_NS + "subject")


@dataclass
class PreviousDerived:
    """What a rebuild takes from the previous build to derive again only about the change."""

    #: the previous build's ``graph/derived`` as N-Quads lines, in its file's (sorted) order
    lines: list[bytes]
    #: of those, the lines the derivations without a ``#+ rerun-for:`` line added
    whole: set[bytes]
    #: the asserted quads only the new store has, and those only the previous build had
    added: list[Quad]
    removed: list[Quad]


@dataclass
class Derivation:
    """What :func:`run_constructs` did."""

    #: each derivation's number of triples new to ``graph/derived`` (a rerun's: those it added
    #: to the kept ones)
    added: dict[str, int]
    #: the sorted N-Quads lines the derivations without a ``#+ rerun-for:`` line added; the
    #: next build's :attr:`PreviousDerived.whole`
    whole: list[bytes] = field(default_factory=list)
    #: when only the change's subjects were derived again: how many triples were kept, and
    #: for how many subjects the derivations ran again; None when all was derived again
    kept: int | None = None
    rerun_subjects: int | None = None
    #: when only the change's subjects were derived again: the graph's N-Quads lines, sorted
    lines: list[bytes] | None = None

    def report(self) -> dict:
        """The build report's ``derive`` entry."""
        entry: dict = {"triples_added": self.added, "incremental": self.kept is not None}
        if self.kept is not None:
            entry["triples_kept"] = self.kept
            entry["rerun_subjects"] = self.rerun_subjects
        return entry


@dataclass
class _Construct:
    path: Path
    display: str
    text: str
    #: the variable of its '#+ rerun-for:' line, if it has one
    rerun: str | None


def run_constructs(
    store: Store, folder: Path, root: Path, previous: PreviousDerived | None = None, held: bool = False
) -> Derivation:
    """Run every ``*.rq`` in ``folder`` into ``graph/derived``, which ``store`` must not hold yet,
    unless ``held``: then it holds the previous build's (``previous.lines``).

    With ``previous``, run again only about the change when the derivations allow it (see the
    module's docstring); the graph is the same either way.

    Raises:
        DataError: a derivation is not valid SPARQL, or its ``#+ rerun-for:`` line is wrong.
    """
    constructs = [_read(path, root) for path in sorted(folder.glob("*.rq"))]
    kept = _kept(store, constructs, previous) if previous is not None else None
    if held and kept is None:
        store.remove_graph(DERIVED_GRAPH)  # derived again from scratch
    derivation = Derivation({})
    values = None
    if kept is not None:
        lines, subjects = kept
        if held:
            keep = set(lines)
            dropped = [line for line in previous.lines if line not in keep]
            for quad in parse(b"".join(dropped), format=RdfFormat.N_QUADS) if dropped else ():
                store.remove(quad)
        elif lines:
            store.load(b"".join(lines), format=RdfFormat.N_QUADS)
        values = " ".join(sorted(str(s) for s in subjects))
        derivation.kept, derivation.rerun_subjects = len(lines), len(subjects)
    whole: list[Quad] = []
    added: list[Quad] = []
    for construct in constructs:
        text = construct.text
        if values is not None and construct.rerun is not None:
            if not values:
                derivation.added[construct.path.stem] = 0
                continue
            text = bound(text, construct.rerun, values)
        new = _add(store, text, construct.display)
        added.extend(new)
        if construct.rerun is None:
            whole.extend(new)
        derivation.added[construct.path.stem] = len(new)
    derivation.whole = sorted(_lines(whole))
    if kept is not None:
        # the kept lines are a sorted run: one sort merges the new ones in
        derivation.lines = sorted([*kept[0], *_lines(added)])
    return derivation


def _lines(quads: list[Quad]) -> list[bytes]:
    """N-Quads lines as Oxigraph writes them (so as the build's files have them)."""
    return serialize(quads, format=RdfFormat.N_QUADS).splitlines(keepends=True) if quads else []


def _add(store: Store, text: str, display: str) -> list[Quad]:
    """Run one derivation; add and return the triples ``graph/derived`` lacked."""
    try:
        triples = list(store.query(text, use_default_graph_as_union=True))
    except SyntaxError as exc:
        problem = Problem(display, exc.lineno or 0, f"SPARQL syntax error: {exc.msg}")
        raise DataError([problem], "derive") from None
    quads = {Quad(t.subject, t.predicate, t.object, DERIVED_GRAPH) for t in triples}
    # what the graph lacks, looked up one by one: counting the graph before and after
    # took 1 s at 100,000 claims, and len(store) counts every graph
    new = [q for q in quads if q not in store]
    store.extend(new)
    return new


def _read(path: Path, root: Path) -> _Construct:
    display = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    text = path.read_text(encoding="utf-8")
    try:
        variables = rerun_variables(text)
        if variables is not None:
            if len(variables) != 1:
                raise HeaderError("'#+ rerun-for:' of a derivation names one variable, the subject", 0)
            _check_template(text, variables[0])
    except HeaderError as exc:
        line = exc.line or rerun_line(text)
        raise DataError([Problem(display, line, str(exc))], "derive") from None
    return _Construct(path, display, text, variables[0] if variables else None)


_TEMPLATE = re.compile(r"\bCONSTRUCT\s*\{([^{}]*)\}", re.I)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"' + r"|'(?:[^'\\]|\\.)*'")
_TRIPLE_END = re.compile(r"\.(?=\s|$)")


def _check_template(text: str, variable: str) -> None:
    """Raise HeaderError unless every triple of the CONSTRUCT template is about ``?variable``."""
    found = _TEMPLATE.search(text)
    if found is None:
        raise HeaderError("'#+ rerun-for:' needs a CONSTRUCT template", 0)
    template = _STRING.sub('""', found.group(1))
    for triple in _TRIPLE_END.split(template):
        words = triple.split()
        if words and words[0] not in (f"?{variable}", f"${variable}"):
            raise HeaderError(
                f"'#+ rerun-for: {variable}' needs ?{variable} as the subject of every template "
                f"triple, not {words[0]}",
                0,
            )


def _kept(
    store: Store, constructs: list[_Construct], previous: PreviousDerived
) -> tuple[list[bytes], set[NamedNode]] | None:
    """The previous build's derived lines that still hold, and the subjects to derive again
    about; None when everything must be derived again."""
    reruns = [c.rerun is not None for c in constructs]
    if not any(reruns) or reruns != sorted(reruns, reverse=True):  # the reruns come first
        return None
    changed = [*previous.added, *previous.removed]
    nodes = rerun_nodes(changed)
    if nodes is None:  # vocabulary changed
        return None
    if any(b"_:" in line for line in previous.lines):  # blank nodes: labels differ per file
        return None
    subjects = {q.object for q in previous.removed if q.predicate == _SUBJECT}
    subjects.update(_claim_subjects(store, nodes))
    if not all(isinstance(s, NamedNode) for s in subjects):
        return None
    gone = {str(s).encode() for s in subjects}
    lines = [
        line for line in previous.lines if line[: line.index(b" ")] not in gone and line not in previous.whole
    ]
    return lines, subjects


def _claim_subjects(store: Store, nodes: Iterable[NamedNode]) -> set:
    """The ``aigeo:subject`` of each of ``nodes`` that has one, in ``store``."""
    subjects = set()
    for node in nodes:
        subjects.update(q.object for q in store.quads_for_pattern(node, _SUBJECT, None))
    return subjects
