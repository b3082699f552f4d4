"""Refusing queries that would reach beyond the local data (network, files) or change it.

The embedded engine answers read-only queries over the build, but pyoxigraph would follow a
``SERVICE`` or ``LOAD`` to any URL, so this check is what keeps a query on this machine's data.
``FROM``/``FROM NAMED`` name graphs an engine may fetch; updates would change the store. All are
refused before the query runs.

The check scans the text the way the SPARQL grammar tokenises it, so that a keyword is found
wherever the parser would see one: strings and IRIs are skipped only when they are well formed
(an IRI cannot hold ``<``, a space or ``{``, so ``?o<3)SERVICE<http://...>`` is not one IRI),
and a backslash escape in a prefixed name (``ex:a\\#b``, ``ex:a\\'b``) starts no comment or
string. A keyword inside a string, an IRI, a comment or a variable name is allowed; the same
word as part of a prefixed name (``ex:SERVICE``) is refused, which errs on the safe side.

>>> check_query("SELECT * WHERE { ?s ?p ?o }")
>>> check_query('SELECT ?from WHERE { ?s ?p ?from FILTER(?from != "LOAD") }')
>>> check_query("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
Traceback (most recent call last):
...
kg.problems.UsageError: refused: the query uses SERVICE, which would reach another endpoint
>>> check_query("SELECT * WHERE { ?s ?p ?o FILTER(?o<3)SERVICE<http://127.0.0.1:9/>{?s ?p ?o} }")
Traceback (most recent call last):
...
kg.problems.UsageError: refused: the query uses SERVICE, which would reach another endpoint
"""

from __future__ import annotations

import re

from kg.problems import UsageError

_ECHAR = r"""\\[tbnrf\\"']"""
# What the SPARQL 1.1 grammar reads as one token that cannot hold a keyword (section 19.8).
_NOT_CODE = re.compile(
    "|".join(
        [
            rf"'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}))*'''",  # STRING_LITERAL_LONG1
            rf'"""(?:(?:"|"")?(?:[^"\\]|{_ECHAR}))*"""',  # STRING_LITERAL_LONG2
            rf"'(?:[^'\\\n\r]|{_ECHAR})*'",  # STRING_LITERAL1
            rf'"(?:[^"\\\n\r]|{_ECHAR})*"',  # STRING_LITERAL2
            r"<[^<>\"{}|^`\\\x00-\x20]*>",  # IRIREF
            # A comment ends at the first character any parser could take for a line end.
            r"#[^\r\n\x0b\x0c\x85\u2028\u2029]*",
            r"[?$][\w\u00b7\u0300-\u036f\u203f\u2040]+",  # VAR1, VAR2
            r"\\.",  # PN_LOCAL_ESC: an escaped character inside a prefixed name
        ]
    ),
    re.DOTALL,
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
_KEYWORD = re.compile(r"(?<!\w)(" + "|".join(_FORBIDDEN) + r")(?!\w)", re.IGNORECASE)


def check_query(text: str) -> None:
    """Raise :class:`UsageError` if the query uses a keyword the embedded engine refuses."""
    code = _NOT_CODE.sub(" ", text)
    m = _KEYWORD.search(code)
    if m:
        word = m.group(1).upper()
        raise UsageError(f"refused: the query uses {word}, which {_FORBIDDEN[word]}")
