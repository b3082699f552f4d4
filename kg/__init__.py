"""aigeo: an RDF knowledge graph of AI geopolitics, every fact a claim with located provenance.

The competency questions are typed Python functions (generated in :mod:`kg.helpers`)::

    >>> from kg import tier2_countries_without_chip_access
    >>> rows = tier2_countries_without_chip_access(chip="H100", store=store)
    >>> codes = {r.iso2 for r in rows}
    >>> "IL" in codes, "IN" in codes, "DE" in codes
    (False, True, False)

Israel is left out because INSS records a planned H100 supercomputer there; India is Tier 2
with no H100 recorded; Germany is Tier 1.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aigeo")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"


def __getattr__(name: str):
    # The helpers load pyoxigraph and the query files; import them only when asked for.
    if name.startswith("_"):
        raise AttributeError(name)
    import importlib

    helpers = importlib.import_module("kg.helpers")
    if name in helpers.__all__:
        return getattr(helpers, name)
    raise AttributeError(f"module 'kg' has no attribute {name!r}")


def __dir__() -> list[str]:
    import importlib

    return sorted([*globals(), *importlib.import_module("kg.helpers").__all__])


__all__ = ["__version__"]
