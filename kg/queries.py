"""Competency questions: finding ``.rq`` files, reading their headers, binding typed parameters.

Every query file opens with a header of ``#+`` lines::

    #+ question: Which Tier-2 countries have no recorded access to a given chip?
    #+ param: chip  type=entity  class=Chip  default=H100  example=H800
    #+ returns: country (IRI), iso2 (string), label (string)

Parameters are bound by a ``VALUES`` block of terms serialised by pyoxigraph, placed at the
start of the outermost ``WHERE`` group, so that a value can never change the query's text
beyond one well-formed term (and the same query text works on any SPARQL 1.1 endpoint).

A subquery is evaluated on its own, before the outer block's bindings reach it, so a
parameter that should narrow a subquery is bound there too: the query marks the place with
``VALUES ?x { UNDEF }`` (``?x`` a parameter's variable), which binds nothing as written and
which :meth:`Query.bind` fills with the parameter's value when it has one. The mark is a plan,
not a meaning: the outer binding alone decides the answer, and the tests check that every
question answers the same with its marks filled and left empty
(docs/decisions/20261124-question-plans.md).

>>> text = "#+ question: Q?\\n#+ param: n type=integer default=3\\n#+ returns: x\\n"
>>> q = parse_query(text + "SELECT ?x WHERE { BIND(?n AS ?x) }", "t")
>>> q.params["n"].default, q.bind({"n": _integer("4", q.params["n"])}).split("{", 1)[1].strip()[:28]
('3', 'VALUES (?n) { ("4"^^<http://')
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from kg.iris import XSD_NS
from kg.problems import UsageError
from kg.values import date_literal

_TYPES = {"entity", "property", "string", "integer", "decimal", "date", "boolean"}
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
#: where a query binds a parameter inside a subquery too (see the module's docstring)
_MARK = re.compile(r"\bVALUES\s+\?(\w+)\s*\{\s*UNDEF\s*\}", re.IGNORECASE)


@dataclass(frozen=True)
class Param:
    """A typed parameter of a query."""

    name: str
    type: str
    cls: str | None = None
    default: str | None = None
    example: str | None = None
    optional: bool = False
    doc: str = ""
    var: str = ""

    @property
    def variable(self) -> str:
        """The SPARQL variable the parameter binds (its name unless ``var=`` says otherwise)."""
        return self.var or self.name


@dataclass
class Query:
    """A query file with its parsed header."""

    name: str
    path: Path
    text: str
    question: str
    returns: str
    params: dict[str, Param] = field(default_factory=dict)

    def header(self) -> str:
        """The header lines, without their ``#+`` marks (what ``kg query NAME --help`` prints)."""
        return "\n".join(line[2:].strip() for line in self.text.splitlines() if line.startswith("#+"))

    def bind(self, values: dict[str, object], marks: bool = True) -> str:
        """The query text with a VALUES block binding each parameter (UNDEF when absent).

        ``marks``: also fill the ``VALUES ?x { UNDEF }`` marks of the bound parameters (False
        leaves them empty, which must give the same answer, only slower).
        """
        if not self.params:
            return self.text
        names = list(self.params)
        cells = " ".join(str(values[n]) if values.get(n) is not None else "UNDEF" for n in names)
        variables = " ".join("?" + self.params[n].variable for n in names)
        block = f" VALUES ({variables}) {{ ({cells}) }} "
        bare = _strip_comments(self.text)
        m = _WHERE.search(bare)
        if m is None:
            raise UsageError(f"{self.path}: a query with parameters needs a WHERE {{ ... }} group")
        text = self.text[: m.end()] + block + self.text[m.end() :]
        if not marks:
            return text
        by_variable = {p.variable: values.get(n) for n, p in self.params.items()}
        # from the last mark back, so that the offsets before it hold; all after the outer block
        for mark in reversed(list(_MARK.finditer(bare, m.end()))):
            value = by_variable.get(mark.group(1))
            if value is not None:
                at = mark.start() + len(block)
                text = text[:at] + f"VALUES ?{mark.group(1)} {{ {value} }}" + text[at + len(mark.group(0)) :]
        return text


def parse_query(text: str, name: str, path: Path | None = None) -> Query:
    """Parse a query file's header.

    Raises:
        UsageError: a header line is missing or malformed.
    """
    where = path or Path(name)
    fields: dict[str, str] = {}
    params: dict[str, Param] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#+"):
            continue
        key, _, value = line[2:].strip().partition(":")
        key, value = key.strip(), value.strip()
        if key == "param":
            param = _parse_param(value, where, number)
            params[param.name] = param
        elif key:
            fields.setdefault(key, value)
    for required in ("question", "returns"):
        if required not in fields:
            raise UsageError(f"{where}:1 header lacks '#+ {required}:'")
    variables = {p.variable for p in params.values()}
    for mark in _MARK.finditer(_strip_comments(text)):
        if mark.group(1) not in variables:
            line = text.count("\n", 0, mark.start()) + 1
            raise UsageError(
                f"{where}:{line} VALUES ?{mark.group(1)} {{ UNDEF }} marks where a parameter is "
                f"bound, but no parameter binds ?{mark.group(1)}"
            )
    return Query(name, where, text, fields["question"], fields["returns"], params)


def _parse_param(spec: str, where: Path, line: int) -> Param:
    try:
        words = shlex.split(spec)
    except ValueError as exc:
        raise UsageError(f"{where}:{line} malformed param line: {exc}") from None
    if not words or "=" in words[0]:
        raise UsageError(f"{where}:{line} param line must start with the parameter's name")
    attrs = {}
    flags = set()
    for word in words[1:]:
        if "=" in word:
            k, _, v = word.partition("=")
            attrs[k] = v
        else:
            flags.add(word)
    unknown = flags - {"optional"}
    if unknown:
        raise UsageError(
            f"{where}:{line} param {words[0]}: unknown word(s) {sorted(unknown)} (quote values with spaces)"
        )
    ptype = attrs.get("type")
    if ptype not in _TYPES:
        raise UsageError(
            f"{where}:{line} param {words[0]} has type {ptype!r}; known: {', '.join(sorted(_TYPES))}"
        )
    return Param(
        words[0],
        ptype,
        attrs.get("class"),
        attrs.get("default"),
        attrs.get("example"),
        "optional" in flags,
        attrs.get("doc", ""),
        attrs.get("var", ""),
    )


def find_queries(folder: Path) -> dict[str, Query]:
    """Every competency question in ``folder``, by name (the file name without ``.rq``)."""
    out = {}
    for path in sorted(folder.glob("*.rq")):
        out[path.stem] = parse_query(path.read_text(encoding="utf-8"), path.stem, path)
    return out


def convert_value(param: Param, text: str, resolve_entity) -> object:
    """Turn the text a user typed into an RDF term of the parameter's type.

    Raises:
        UsageError: the text is not a value of that type, naming the parameter.
    """
    if param.type in ("entity", "property"):
        return resolve_entity(text, param)
    if param.type == "string":
        return Literal(text)
    if param.type == "integer":
        return _integer(text, param)
    if param.type == "decimal":
        try:
            float(text)
        except ValueError:
            raise UsageError(f"parameter {param.name}: {text!r} is not a number") from None
        return Literal(text, datatype=NamedNode(XSD_NS + "decimal"))
    if param.type == "date":
        try:
            return date_literal(text)
        except ValueError as exc:
            raise UsageError(f"parameter {param.name}: {exc}") from None
    if param.type == "boolean":
        if text.lower() not in ("true", "false"):
            raise UsageError(f"parameter {param.name}: {text!r} is not true or false")
        return Literal(text.lower(), datatype=NamedNode(XSD_NS + "boolean"))
    raise UsageError(f"parameter {param.name}: unknown type {param.type}")


def _integer(text: str, param: Param) -> Literal:
    if not re.fullmatch(r"[+-]?\d+", text.strip()):
        raise UsageError(f"parameter {param.name}: {text!r} is not a whole number")
    return Literal(str(int(text)), datatype=NamedNode(XSD_NS + "integer"))


def _strip_comments(text: str) -> str:
    """Blank out comment lines, keeping offsets, so that WHERE in a header is not matched."""
    return "\n".join(" " * len(line) if line.lstrip().startswith("#") else line for line in text.split("\n"))
