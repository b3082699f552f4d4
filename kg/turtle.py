"""Reading Turtle files (ontology, shapes) into the assembly, with a clear error on bad syntax.

pyoxigraph parses (its errors carry line and column); a light scan of the file records the line
where each subject starts, so that a SHACL result on an ontology term can name its line.

Only Turtle is read. An RDF file in another syntax beside the modules is an error rather than
silently skipped, and RDF/XML is never handed to a parser: pyoxigraph's RDF/XML parser expands
nested entities (a "billion laughs" file held it for a minute), so a DOCTYPE or an entity
declaration is refused from a scan of the bytes. See docs/decisions/20261123-hostile-input.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph
from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat

from kg.assembly import Assembly
from kg.inputfile import read_input, read_input_bytes
from kg.problems import DataError, Problem
from kg.sheets import project_path

#: Suffixes of RDF syntaxes other than Turtle; such a file in ontology/ or shapes/ is refused.
OTHER_RDF_SUFFIXES = {".rdf", ".owl", ".owx", ".xml", ".nt", ".n3", ".nq", ".trig", ".jsonld", ".json"}
_XML_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_PARSER_AT = re.compile(r"^Parser error at line \d+ (?:column (\d+)|between columns (\d+) and \d+): ")
_PREFIX = re.compile(r"^\s*@?prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)
_SUBJECT = re.compile(r"^(<[^>\s]+>|[A-Za-z][\w.-]*:[^\s;,]*|:[^\s;,]*)\s")


def read_turtle(path: Path, display: str, graph: NamedNode, assembly: Assembly, stage: str = "parse") -> int:
    """Parse ``path`` into ``assembly`` under ``graph``; return the number of triples.

    Raises:
        DataError: the file cannot be read, is empty or is not valid Turtle; the problem names
            the line.
    """
    text = read_input(path, display, stage)
    try:
        triples = list(
            pyoxigraph.parse(text.encode("utf-8"), format=RdfFormat.TURTLE, base_iri=path.as_uri())
        )
    except SyntaxError as exc:
        line = exc.lineno or 0
        msg = (exc.msg or str(exc)).split(" (", 1)[0]
        # the line is already in file:line; keep the column
        m = _PARSER_AT.match(msg)
        if m:
            msg = f"{msg[m.end() :]} (column {m.group(1) or m.group(2)})"
        raise DataError([Problem(display, line, f"Turtle syntax error: {msg}")], stage) from None
    if not triples:
        raise DataError([Problem(display, 1, "no triples: the file holds only comments or prefixes")], stage)
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
    _record_subject_lines(text, display, assembly)
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


def refuse_other_rdf(folder: Path, root: Path) -> list[Problem]:
    """A problem for each RDF file in ``folder`` that is not Turtle (see the module's docstring)."""
    problems = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.suffix.lower() not in OTHER_RDF_SUFFIXES or path.name.startswith("."):
            continue
        display = project_path(path, root)
        try:
            data = read_input_bytes(path, display)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            scan = data if encoding == "utf-8" else data.decode(encoding, "ignore").encode("utf-8")
            m = _XML_DECLARATION.search(scan)
            if m:
                line = scan.count(b"\n", 0, m.start()) + 1
                problems.append(
                    Problem(
                        display,
                        line,
                        "refused: XML with a DOCTYPE or entity declarations (entity expansion, "
                        "external entities); only Turtle (.ttl) is read",
                    )
                )
                break
        else:
            problems.append(
                Problem(
                    display, 0, f"not read: only Turtle (.ttl) is read here; convert this {path.suffix} file"
                )
            )
    return problems
