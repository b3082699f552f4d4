"""Refusing queries that would reach beyond the local data (network, files) or change it.

The embedded engine answers read-only queries over the build. ``SERVICE`` would fetch from
another endpoint, ``LOAD`` from any URL, and ``FROM``/``FROM NAMED`` name graphs the engine might
try to fetch; updates would change the store. All are refused before the query runs.

>>> check_query("SELECT * WHERE { ?s ?p ?o }")
>>> check_query("SELECT ?from WHERE { ?s ?p ?from }")
>>> check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
Traceback (most recent call last):
...
kg.problems.UsageError: refused: the query uses SERVICE, which would reach another endpoint
"""

from __future__ import annotations

import re

from kg.problems import UsageError

# strings, IRIs, comments and variables (?from is a variable, not the keyword FROM)
_STRINGS_AND_COMMENTS = re.compile(
    r'"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|<[^>\s]*>|#[^\n]*|[?$]\w+'
)
_FORBIDDEN = {
    "SERVICE": "would reach another endpoint",
    "LOAD": "would fetch a document",
    "FROM": "names graphs to fetch; the default graph is already the union of the build's graphs",
    "INSERT": "would change the data",
    "DELETE": "would change the data",
    "CLEAR": "would change the data",
    "DROP": "would change the data",
    "CREATE": "would change the data",
    "COPY": "would change the data",
    "MOVE": "would change the data",
    "ADD": "would change the data",
}
_KEYWORD = re.compile(r"\b(" + "|".join(_FORBIDDEN) + r")\b", re.IGNORECASE)


def check_query(text: str) -> None:
    """Raise :class:`UsageError` if the query uses a keyword the embedded engine refuses."""
    code = _STRINGS_AND_COMMENTS.sub(" ", text)
    m = _KEYWORD.search(code)
    if m:
        word = m.group(1).upper()
        raise UsageError(f"refused: the query uses {word}, which {_FORBIDDEN[word]}")
