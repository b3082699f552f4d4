"""What to show about each entity: names, kind, and one column per property it has a value for.

Property values come from the selection's claims, best-ranked first (a preferred claim hides its
normal-ranked siblings, deprecated ones never count: the rule of ``queries/construct/01-truthy.rq``
applied to the slice, so that ``--as-of`` shows the values that stood then), and from the facts
no claim makes (reference codes, identity links, document metadata, the build's tier
assignments). An entity value shows as the entity's English name.

A column's type comes from the datatypes of every value the build holds for its property, so that
a slice never changes it: integers are ``long``, decimals ``double``, booleans ``boolean``, all
else ``string`` (dates included: ISO 8601 sorts as text, and GEXF 1.3 has no date type).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode

from kg.export.records import XSD, Build, Claim, key_of
from kg.export.selection import Selection
from kg.iris import AIGEO_NS, PREFIXES

LABEL_LANGUAGES = ("en", "he", "ar")
_INTEGERS = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}
_DECIMALS = {XSD + t for t in ("decimal", "double", "float")}
_BOOLEAN = XSD + "boolean"
PREFERRED = AIGEO_NS + "PreferredRank"
DEPRECATED = AIGEO_NS + "DeprecatedRank"


@dataclass(frozen=True)
class Column:
    """One attribute: its name, its type (string, long, double, boolean) and the property it shows."""

    name: str
    type: str
    property: str | None = None


@dataclass(frozen=True)
class Value:
    """A value as text (as the source has it) and as a typed Python value."""

    text: str
    typed: object


FIXED = (
    Column("kind", "string"),
    Column("type", "string"),
    *(Column(f"label_{lang}", "string") for lang in LABEL_LANGUAGES),
    Column("aliases", "string"),
)


def best_ranked(claims: list[Claim]) -> list[Claim]:
    """The claims that yield a plain triple: preferred ones on a subject and property, else the
    normal ones; never deprecated ones."""
    groups: dict[tuple[str, str], list[Claim]] = {}
    for c in claims:
        if c.rank != DEPRECATED:
            groups.setdefault((c.subject, c.property), []).append(c)
    kept = []
    for group in groups.values():
        preferred = [c for c in group if c.rank == PREFERRED]
        kept.extend(preferred or group)
    return kept


def entity_values(selection: Selection) -> tuple[list[Column], dict[str, dict[str, list[Value]]]]:
    """The columns and, for each selected entity, its values by column name (in a fixed order)."""
    build = selection.build
    names = _column_names(build)
    types = _column_types(build)
    table: dict[str, dict[str, list[Value]]] = {}
    for iri, entity in selection.entities.items():
        row: dict[str, list[Value]] = {
            "kind": [_text(selection.kind(entity).name)],
            "type": [_text(build.term_labels.get(AIGEO_NS + entity.cls, entity.cls))],
        }
        for lang in LABEL_LANGUAGES:
            if lang in entity.labels:
                row[f"label_{lang}"] = [_text(entity.labels[lang])]
        if entity.aliases:
            row["aliases"] = [_text(a) for a in entity.aliases]
        table[iri] = row
    pairs = [(c.subject, c.property, c.value) for c in best_ranked(selection.claims)]
    for iri in selection.entities:
        pairs.extend((iri, p, o) for p, o in build.facts.get(iri, ()))
    for subject, prop, term in sorted(pairs, key=lambda t: (t[0], t[1], str(t[2]))):
        if subject not in table:
            continue
        cells = table[subject].setdefault(names[prop], [])
        value = _value(build, term, types[prop])
        if value not in cells:
            cells.append(value)
    used = {name for row in table.values() for name in row}
    columns = list(FIXED) + sorted(
        (Column(names[p], types[p], p) for p in names if names[p] in used), key=lambda c: c.name
    )
    return columns, table


def _column_names(build: Build) -> dict[str, str]:
    """Each property's column name: its local name, or prefix_local where two namespaces clash."""
    props = {c.property for c in build.claims} | {p for facts in build.facts.values() for p, _ in facts}
    by_local: dict[str, set[str]] = {}
    for p in props:
        by_local.setdefault(key_of(p), set()).add(p)
    names = {}
    reserved = {c.name for c in FIXED}
    for local, group in by_local.items():
        for p in group:
            if len(group) == 1 and local not in reserved:
                names[p] = local
            else:
                prefix = next((k for k, ns in PREFIXES.items() if p == ns + local), "x")
                names[p] = f"{prefix}_{local}"
    return names


def _column_types(build: Build) -> dict[str, str]:
    seen: dict[str, set[str]] = {}
    for c in build.claims:
        seen.setdefault(c.property, set()).add(_kind_of_term(c.value))
    for facts in build.facts.values():
        for p, o in facts:
            seen.setdefault(p, set()).add(_kind_of_term(o))
    return {p: (kinds.pop() if len(kinds) == 1 else "string") for p, kinds in seen.items()}


def _kind_of_term(term) -> str:
    if isinstance(term, Literal):
        dtype = term.datatype.value
        if dtype in _INTEGERS:
            return "long"
        if dtype in _DECIMALS:
            return "double"
        if dtype == _BOOLEAN:
            return "boolean"
    return "string"


def _value(build: Build, term, column_type: str) -> Value:
    if isinstance(term, NamedNode):
        return _text(build.label(term.value))
    text = term.value
    if column_type == "long":
        return Value(text, int(text))
    if column_type == "double":
        return Value(text, float(text))
    if column_type == "boolean":
        return Value(text, text in ("true", "1"))
    return _text(text)


def _text(text: str) -> Value:
    return Value(text, text)
