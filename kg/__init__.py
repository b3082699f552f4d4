"""aigeo: an RDF knowledge graph of AI geopolitics, every fact a claim with located provenance."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aigeo")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
