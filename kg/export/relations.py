"""Relations between entities, taken from claims: one per subject, property and value entity.

Every claim of the selection whose value is a selected entity supports the relation it states;
claims of every rank count (a deprecated claim is still on record, and makes the relation
disputed). A relation carries:

- ``claims``: how many claims support it (its weight), ``sources``: how many documents,
  ``claimants``: how many distinct claimants;
- ``disputed``: a supporting claim has the status *disputed*, or the claims disagree in rank (a
  curator deprecated one of them);
- ``start``/``end``: the first and last day it holds, where every supporting claim says: the
  earliest ``validFrom`` (or start of a ``pointInTime`` period), the latest ``validTo`` (or end
  of the period). One undated claim leaves that end open, since it states the relation without
  a limit. ``valid_from``/``valid_to`` keep the dates as stated (a year stays a year).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kg.export.records import Claim, period
from kg.export.selection import Selection
from kg.iris import AIGEO_NS

DISPUTED = AIGEO_NS + "Disputed"


@dataclass(frozen=True)
class Relation:
    """Claims that relate the same subject to the same entity by the same property."""

    subject: str
    property: str
    object: str
    claims: tuple[Claim, ...]

    @property
    def documents(self) -> list[str]:
        return sorted({c.document for c in self.claims})

    @property
    def claimants(self) -> list[str]:
        return sorted({c.claimant for c in self.claims if c.claimant})

    @property
    def disputed(self) -> bool:
        return any(c.status == DISPUTED for c in self.claims) or len({c.rank for c in self.claims}) > 1

    @property
    def statuses(self) -> list[str]:
        return sorted({c.status for c in self.claims if c.status})

    @property
    def start(self) -> dt.date | None:
        starts = [_start(c) for c in self.claims]
        return None if None in starts else min(starts)  # type: ignore[type-var]

    @property
    def end(self) -> dt.date | None:
        ends = [_end(c) for c in self.claims]
        return None if None in ends else max(ends)  # type: ignore[type-var]

    @property
    def valid_from(self) -> list[str]:
        return sorted({(c.valid_from or c.point_in_time).value for c in self.claims if _start(c)})

    @property
    def valid_to(self) -> list[str]:
        return sorted({(c.valid_to or c.point_in_time).value for c in self.claims if _end(c)})


def relations(selection: Selection) -> list[Relation]:
    """The selection's relations, sorted by subject key, property and object key."""
    groups: dict[tuple[str, str, str], list[Claim]] = {}
    for claim in selection.claims:
        if selection.relates(claim):
            groups.setdefault((claim.subject, claim.property, claim.value.value), []).append(claim)
    keys = sorted(groups, key=lambda k: (selection.entities[k[0]].key, k[1], selection.entities[k[2]].key))
    return [Relation(*k, tuple(groups[k])) for k in keys]


def _start(claim: Claim) -> dt.date | None:
    if claim.valid_from is not None:
        return period(claim.valid_from)[0]
    if claim.point_in_time is not None:
        return period(claim.point_in_time)[0]
    return None


def _end(claim: Claim) -> dt.date | None:
    if claim.valid_to is not None:
        return period(claim.valid_to)[1]
    if claim.point_in_time is not None and claim.valid_from is None:
        return period(claim.point_in_time)[1]
    return None
