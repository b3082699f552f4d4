"""The country list, generated from ISO 3166-1 as packaged by pycountry; nothing typed by hand.

Each ISO 3166-1 entry becomes ``country/<alpha-2>`` with its codes, an English preferred label
(pycountry's common name where it has one, such as "Taiwan" or "South Korea"), the ISO name and
official name as alternatives, and the Hebrew and Arabic names from pycountry's translations.
An entry that ISO 3166-2 lists as a dependent territory of another country (an outlying area,
special administrative region, overseas collectivity or territory, or a constituent country)
gets ``aigeo:dependencyOf`` that country; see docs/decisions/20261123-tiers-and-territories.md.

>>> rows = {c.alpha_2: c for c in iso_countries()}
>>> rows["IL"].labels["he"], rows["IL"].labels["ar"], rows["TW"].labels["en"]
('ישראל', 'إسرائيل', 'Taiwan')
>>> rows["HK"].dependency_of, rows["PR"].dependency_of, rows["TW"].dependency_of
('CN', 'US', None)
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache

import pycountry
from pyoxigraph import Literal, NamedNode

from kg.assembly import Assembly
from kg.iris import entity_iri, graph_iri
from kg.namespaces import AIGEO, DCTERMS, PROV, SKOS, XSD

COUNTRIES_GRAPH = NamedNode(graph_iri("reference/iso3166"))
SOURCE_LABEL = "(generated from ISO 3166-1 via pycountry)"
_DEPENDENT_TYPES = {
    "Outlying area",
    "Special administrative region",
    "Overseas collectivity",
    "Overseas collectivity with special status",
    "Overseas territory",
    "Country",
}
_LANGS = ("he", "ar")


@dataclass(frozen=True)
class IsoCountry:
    """One ISO 3166-1 entry with the names the project uses."""

    alpha_2: str
    alpha_3: str
    numeric: str
    labels: dict[str, str]
    alt_labels: tuple[str, ...]
    dependency_of: str | None


@cache
def iso_countries() -> tuple[IsoCountry, ...]:
    """Every ISO 3166-1 entry, sorted by alpha-2 code."""
    translations = {
        lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in _LANGS
    }
    codes = {c.alpha_2 for c in pycountry.countries}
    parents: dict[str, str] = {}
    for sub in pycountry.subdivisions:
        country, _, suffix = sub.code.partition("-")
        if suffix in codes and suffix != country and sub.type in _DEPENDENT_TYPES:
            parents[suffix] = country
    out = []
    for c in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        common = getattr(c, "common_name", None)
        labels = {"en": common or c.name}
        for lang, tr in translations.items():
            translated = tr.gettext(c.name)
            if translated != c.name:
                labels[lang] = translated
        alts = {c.name, getattr(c, "official_name", None) or c.name} - {labels["en"]}
        out.append(
            IsoCountry(c.alpha_2, c.alpha_3, c.numeric, labels, tuple(sorted(alts)), parents.get(c.alpha_2))
        )
    return tuple(out)


def add_countries(assembly: Assembly) -> int:
    """Add every ISO 3166-1 entry to ``assembly`` in its own reference graph; return the count."""
    g = COUNTRIES_GRAPH
    rows = iso_countries()
    for c in rows:
        iri = str(entity_iri(f"country/{c.alpha_2}"))
        assembly.entities.add(iri)
        assembly.define(iri, SOURCE_LABEL, 0)
        assembly.add_type(iri, AIGEO.Country, g)
        assembly.add(iri, AIGEO.iso2, Literal(c.alpha_2), g)
        assembly.add(iri, AIGEO.iso3, Literal(c.alpha_3), g)
        assembly.add(iri, AIGEO.isoNumeric, Literal(c.numeric), g)
        for lang, text in c.labels.items():
            assembly.add(iri, SKOS.prefLabel, Literal(text, language=lang), g)
        for alt in c.alt_labels:
            assembly.add(iri, SKOS.altLabel, Literal(alt, language="en"), g)
        if c.dependency_of:
            assembly.add(iri, AIGEO.dependencyOf, entity_iri(f"country/{c.dependency_of}"), g)
    version = Literal(_pycountry_version(), datatype=NamedNode(XSD.string))
    assembly.add(g, PROV.wasDerivedFrom, NamedNode("https://www.iso.org/iso-3166-country-codes.html"), g)
    assembly.add(g, DCTERMS.source, Literal(f"pycountry {version.value}"), g)
    return len(rows)


def _pycountry_version() -> str:
    from importlib.metadata import version

    return version("pycountry")
