"""Currencies, generated from ISO 4217 as packaged by pycountry: ``currency/<code>``.

>>> rows = {c.code: c for c in iso_currencies()}
>>> rows["USD"].labels["en"], rows["CNY"].labels["ar"]
('US Dollar', 'يوان رينمينبي')
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache

import pycountry
from pyoxigraph import Literal, NamedNode

from kg.assembly import Assembly
from kg.iris import entity_iri
from kg.namespaces import AIGEO, SKOS

_LANGS = ("he", "ar")


@dataclass(frozen=True)
class IsoCurrency:
    """One ISO 4217 currency with its names."""

    code: str
    labels: dict[str, str]


@cache
def iso_currencies() -> tuple[IsoCurrency, ...]:
    """Every ISO 4217 currency, sorted by code."""
    translations = {
        lang: gettext.translation("iso4217", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in _LANGS
    }
    out = []
    for c in sorted(pycountry.currencies, key=lambda c: c.alpha_3):
        labels = {"en": c.name}
        for lang, tr in translations.items():
            if tr.gettext(c.name) != c.name:
                labels[lang] = tr.gettext(c.name)
        out.append(IsoCurrency(c.alpha_3, labels))
    return tuple(out)


def add_currencies(assembly: Assembly, graph: NamedNode) -> int:
    """Add every ISO 4217 currency to ``assembly`` in ``graph``; return the count."""
    rows = iso_currencies()
    for c in rows:
        iri = entity_iri(f"currency/{c.code}")
        assembly.entities.add(iri)
        assembly.define(iri, "(generated from ISO 4217 via pycountry)", 0)
        assembly.add_type(iri, AIGEO.Currency, graph)
        assembly.add(iri, SKOS.notation, Literal(c.code), graph)
        for lang, text in c.labels.items():
            assembly.add(iri, SKOS.prefLabel, Literal(text, language=lang), graph)
    return len(rows)
