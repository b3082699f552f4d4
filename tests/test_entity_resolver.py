"""The entity resolver's narrowed lookup answers exactly as the whole name index does."""

from __future__ import annotations

import pytest
from pyoxigraph import Store

from kg.iris import ID
from kg.problems import UsageError
from kg.queries import Param
from kg.store import EntityResolver, embedded_runner

SKOS = "http://www.w3.org/2004/02/skos/core#"


def _whole(run, cls):
    """The resolver's whole index for ``cls``, as every lookup made before the narrowing."""
    return EntityResolver(run)._names(cls)


@pytest.mark.parametrize("cls", [None, "Country", "Organisation", "Chip", "Document"])
def test_every_name_of_the_build_resolves_as_in_the_whole_index(built_store, cls):
    run = embedded_runner(built_store)
    whole = _whole(run, cls)
    assert len(whole) > 5, "the build has names of this class"
    # a sample, every kind of name in it: ASCII ones and those of other scripts
    keys = sorted(whole)
    ascii_keys = [k for k in keys if k.isascii()]
    other = [k for k in keys if not k.isascii()]
    assert ascii_keys and (other or cls == "Chip")
    for key in ascii_keys[:: max(1, len(ascii_keys) // 60)] + other[:: max(1, len(other) // 40)]:
        for text in {key, key.upper(), key.title()}:
            assert EntityResolver(run)._named(text, cls) == whole.get(text.casefold(), set()), text


def _store(*names: tuple[str, str]) -> Store:
    store = Store()
    for local, name in names:
        store.update(f'INSERT DATA {{ <{ID}org/{local}> <{SKOS}prefLabel> "{name}"@de }}')
    return store


def test_names_whose_case_folds_beyond_lcase_are_found():
    """SPARQL's LCASE('Straße') is 'straße', Python's casefold 'strasse': the narrowed lookup
    still finds both names, so an ambiguous name is not taken for the one ASCII match."""
    names = (
        ("ascii", "Strasse"),
        ("sharp-s", "Straße"),
        ("kelvin-sign", "\u212aelvin"),
        ("kelvin", "Kelvin"),
    )
    run = embedded_runner(_store(*names))
    whole = _whole(run, None)
    for text in ("STRASSE", "strasse", "Straße", "KELVIN", "\u212aelvin"):
        found = EntityResolver(run)._named(text, None)
        assert len(found) == 2 and found == whole[text.casefold()], text
    for text in ("STRASSE", "Straße"):
        with pytest.raises(UsageError, match="names more than one entity: org/ascii, org/sharp-s"):
            EntityResolver(run).resolve(text, Param("org", "entity"))
    only = embedded_runner(_store(("sharp-s", "Straße")))
    assert EntityResolver(only).resolve("STRASSE", Param("org", "entity")).value == f"{ID}org/sharp-s"


def test_an_iri_resolves_only_when_it_is_a_named_entity():
    run = embedded_runner(_store(("a", "A")))
    param = Param("org", "entity")
    assert EntityResolver(run).resolve("org/a", param).value == f"{ID}org/a"
    for text in ("org/b", f"{ID}org/a b", "https://example.org/a"):
        with pytest.raises(UsageError, match="is not a known entity"):
            EntityResolver(run).resolve(text, param)


def test_an_unknown_name_lists_close_names():
    run = embedded_runner(_store(("deepseek", "DeepSeek"), ("moonshot", "Moonshot AI")))
    with pytest.raises(UsageError, match="unknown entity 'Deepsek'; closest: deepseek"):
        EntityResolver(run).resolve("Deepsek", Param("org", "entity"))
