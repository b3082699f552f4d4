"""Which entities and claims an export holds: the slice options, applied once for every format.

- ``--kinds``: entities of these kinds (default: all but currencies and units, which claims use as
  units of figures and never relate to anything);
- ``--as-of DATE``: claims that stood on that date: reported in a document published by then (a
  document whose date is unknown, or stated only to the month or year that has not ended by DATE,
  cannot be shown to have been, so its claims are left out) and valid then (``validFrom`` on or
  before DATE, ``validTo`` on or after it, a ``pointInTime`` period that has begun);
- ``--around ENTITY --depth N``: the entities within N steps of ENTITY over relations taken from the
  claims that the other options keep, with ENTITY itself.

A claim is kept when its subject is kept (its value may be a literal, a term or any entity, so that
a chip keeps its vendor with ``--kinds chip``); it relates two entities, and becomes an edge, when
its value is a kept entity too. Every entity of the selected kinds stays, related or not, unless
``--around`` narrows them.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass

from kg.export.kinds import DEFAULT_EXCLUDED, Kind, kebab, kind_of, parse_kinds
from kg.export.records import Build, Claim, Entity, period
from kg.problems import UsageError


@dataclass(frozen=True)
class Slice:
    """The slice options as given on the command line."""

    kinds: str | None = None
    as_of: dt.date | None = None
    around: str | None = None
    depth: int = 1

    def describe(self) -> str:
        """The options in words, for the files' metadata; empty for the whole graph."""
        parts = []
        if self.kinds:
            parts.append(f"kinds {self.kinds}")
        if self.as_of:
            parts.append(f"as of {self.as_of.isoformat()}")
        if self.around:
            parts.append(f"around {self.around} to depth {self.depth}")
        return "; ".join(parts)

    @property
    def narrows(self) -> bool:
        """Whether any option was given."""
        return bool(self.kinds or self.as_of or self.around)


@dataclass
class Selection:
    """The entities (by IRI, sorted by key) and claims (sorted by IRI) of an export."""

    build: Build
    entities: dict[str, Entity]
    claims: list[Claim]
    slice: Slice
    undated_left_out: int = 0

    def kind(self, entity: Entity) -> Kind:
        """The kind of an entity of the build."""
        return kind_of(self.build.ancestors(entity.cls), entity.cls)

    def relates(self, claim: Claim) -> bool:
        """Whether the claim's value is a selected entity, so that the claim is an edge."""
        return claim.value.value in self.entities


def kind_names(build: Build) -> dict[str, set[str]]:
    """Every name ``--kinds`` accepts for this build, mapped to the entity classes it covers."""
    classes = {e.cls for e in build.entities.values()}
    names: dict[str, set[str]] = {}
    for cls in classes:
        names.setdefault(kind_of(build.ancestors(cls), cls).name, set()).add(cls)
        for above in build.ancestors(cls):
            names.setdefault(kebab(above), set()).add(cls)
    return names


def select(build: Build, options: Slice) -> Selection:
    """Apply the slice options to the build.

    Raises:
        UsageError: an unknown kind, or an ``--around`` entity that is unknown or not selected.
    """
    names = kind_names(build)
    if options.kinds:
        classes = parse_kinds(options.kinds, names)
    else:
        classes = set().union(*(c for k, c in names.items() if k not in DEFAULT_EXCLUDED))
        classes -= set().union(*(names.get(k, set()) for k in DEFAULT_EXCLUDED))
    entities = {iri: e for iri, e in build.entities.items() if e.cls in classes}
    claims, undated = _dated(build, build.claims, options.as_of)
    claims = _within(claims, entities)
    if options.around:
        if options.depth < 0:
            raise UsageError(f"--depth {options.depth}: give 0 or more steps")
        centre = _resolve(build, options.around)
        if centre not in entities:
            raise UsageError(f"--around {options.around}: {build.entities[centre].key} is not of the kinds")
        near = _neighbourhood(centre, claims, entities, options.depth)
        entities = {iri: e for iri, e in entities.items() if iri in near}
        claims = _within(claims, entities)
    entities = dict(sorted(entities.items(), key=lambda item: item[1].key))
    return Selection(build, entities, sorted(claims, key=lambda c: c.iri), options, undated)


def _dated(build: Build, claims: list[Claim], day: dt.date | None) -> tuple[list[Claim], int]:
    if day is None:
        return list(claims), 0
    kept, undated = [], 0
    for claim in claims:
        doc = build.documents.get(claim.document)
        if doc is None or doc.date is None:
            undated += 1
            continue
        if period(doc.date)[1] > day:
            continue
        if claim.valid_from is not None and period(claim.valid_from)[0] > day:
            continue
        if claim.valid_to is not None and period(claim.valid_to)[1] < day:
            continue
        if claim.point_in_time is not None and period(claim.point_in_time)[0] > day:
            continue
        kept.append(claim)
    return kept, undated


def _within(claims: list[Claim], entities: dict[str, Entity]) -> list[Claim]:
    return [c for c in claims if c.subject in entities]


def _neighbourhood(centre: str, claims: list[Claim], entities: dict[str, Entity], depth: int) -> set[str]:
    links: dict[str, set[str]] = {}
    for c in claims:
        if c.value.value in entities:
            links.setdefault(c.subject, set()).add(c.value.value)
            links.setdefault(c.value.value, set()).add(c.subject)
    seen = {centre: 0}
    todo = deque([centre])
    while todo:
        here = todo.popleft()
        if seen[here] == depth:
            continue
        for there in sorted(links.get(here, ())):
            if there not in seen:
                seen[there] = seen[here] + 1
                todo.append(there)
    return set(seen)


def _resolve(build: Build, text: str) -> str:
    from kg.queries import Param
    from kg.store import EntityResolver, embedded_runner

    resolver = EntityResolver(embedded_runner(build.store))
    param = Param(name="around", type="entity")
    try:
        iri = resolver.resolve(text, param).value
    except UsageError as exc:
        raise UsageError(f"--around: {str(exc).removeprefix('parameter around: ')}") from None
    if iri not in build.entities:
        raise UsageError(f"--around: {text!r} is not an entity of the graph")
    return iri
