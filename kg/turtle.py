"""Reading Turtle files (ontology, shapes) into the assembly, with a clear error on bad syntax.

pyoxigraph parses (its errors carry line and column); a light scan of the file records the line
where each subject starts, so that a SHACL result on an ontology term can name its line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph
from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat

from kg.assembly import Assembly
from kg.problems import DataError, Problem

_PREFIX = re.compile(r"^\s*@?prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)
_SUBJECT = re.compile(r"^(<[^>\s]+>|[A-Za-z][\w.-]*:[^\s;,]*|:[^\s;,]*)\s")


def read_turtle(path: Path, display: str, graph: NamedNode, assembly: Assembly) -> int:
    """Parse ``path`` into ``assembly`` under ``graph``; return the number of triples.

    Raises:
        DataError: the file is not valid UTF-8 Turtle; the problem names the line.
    """
    try:
        data = path.read_bytes()
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError([Problem(display, 0, f"not valid UTF-8: {exc.reason}")], "parse") from None
    except OSError as exc:
        raise DataError([Problem(display, 0, f"cannot read: {exc.strerror}")], "parse") from None
    try:
        triples = list(pyoxigraph.parse(data, format=RdfFormat.TURTLE, base_iri=path.as_uri()))
    except SyntaxError as exc:
        line = exc.lineno or 0
        msg = (exc.msg or str(exc)).split(" (", 1)[0]
        raise DataError([Problem(display, line, f"Turtle syntax error: {msg}")], "parse") from None
    # The parser names blank nodes at random; renaming them by order of appearance keeps the
    # build's output byte-identical from one run to the next.
    names: dict[BlankNode, BlankNode] = {}
    stem = re.sub(r"[^A-Za-z0-9]", "", path.stem)

    def stable(term):
        if isinstance(term, BlankNode):
            return names.setdefault(term, BlankNode(f"{stem}b{len(names)}"))
        return term

    for t in triples:
        assembly.quads.append(Quad(stable(t.subject), t.predicate, stable(t.object), graph))
    _record_subject_lines(data.decode("utf-8"), display, assembly)
    return len(triples)


def _record_subject_lines(text: str, display: str, assembly: Assembly) -> None:
    prefixes: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        m = _PREFIX.match(line)
        if m:
            prefixes[m.group(1) or ""] = m.group(2)
            continue
        m = _SUBJECT.match(line + " ")
        if not m:
            continue
        token = m.group(1)
        if token.startswith("<"):
            iri = token[1:-1]
        else:
            prefix, _, local = token.partition(":")
            if prefix not in prefixes:
                continue
            iri = prefixes[prefix] + local.replace("\\", "")
        assembly.define(iri, display, number)
