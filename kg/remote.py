"""Asking any SPARQL 1.1 endpoint the project's questions, through SPARQLWrapper.

Portability (shared reference notes, sparql-servers.md): the default graph differs between engines,
so the dataset is fixed in the query with one ``FROM`` per graph of the project that the endpoint
holds, which gives the union of the project's graphs as the embedded store does. Results come back
as W3C SPARQL JSON and are read with pyoxigraph, so that they print exactly like embedded ones.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import warnings

from pyoxigraph import QueryResultsFormat, parse_query_results

from kg.iris import GRAPH
from kg.problems import UsageError

_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
#: the largest answer read from an endpoint
MAX_ANSWER_BYTES = 256 << 20


class Endpoint:
    """A remote SPARQL endpoint with a timeout."""

    def __init__(self, url: str, timeout: float = 30.0):
        self.url = url
        self.timeout = timeout
        self._graphs: list[str] | None = None

    def _raw(self, text: str) -> bytes:
        from SPARQLWrapper import JSON, POST, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        client = SPARQLWrapper(self.url)
        client.setMethod(POST)
        client.setTimeout(self.timeout)
        client.setReturnFormat(JSON)
        client.setQuery(text)
        # The socket timeout bounds each read; the deadline bounds the whole answer, so that a
        # server sending a byte now and then cannot hold the command for ever.
        deadline = time.monotonic() + self.timeout
        try:
            with warnings.catch_warnings():
                # SPARQLWrapper guesses the query form from the text and warns when it guesses wrong
                warnings.simplefilter("ignore", RuntimeWarning)
                response = client.query().response
            chunks, size = [], 0
            # read1 returns what has arrived; read(n) would wait for n bytes past the deadline
            read = getattr(response, "read1", response.read)
            while chunk := read(1 << 16):
                chunks.append(chunk)
                size += len(chunk)
                if time.monotonic() > deadline:
                    raise TimeoutError
                if size > MAX_ANSWER_BYTES:
                    raise UsageError(f"{self.url}: the answer is larger than {MAX_ANSWER_BYTES >> 20} MiB")
            return b"".join(chunks)
        except SPARQLWrapperException as exc:
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            detail = " ".join(lines[1:3])[:300] if len(lines) > 1 else ""
            raise UsageError(
                f"{self.url}: the endpoint refused the query: {lines[0] if lines else exc} {detail}".rstrip()
            ) from None
        except urllib.error.HTTPError as exc:
            raise UsageError(f"{self.url}: HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise UsageError(f"{self.url}: cannot connect: {exc.reason}") from None
        except TimeoutError:
            raise UsageError(f"{self.url}: no answer within {self.timeout:g} s") from None
        except (ConnectionError, OSError) as exc:
            raise UsageError(f"{self.url}: {exc}") from None
        except http.client.HTTPException as exc:
            # a status line that is not HTTP, a body cut short
            detail = " ".join(str(exc).split())[:100]
            raise UsageError(f"{self.url}: not an HTTP answer ({type(exc).__name__}: {detail})") from None

    def graphs(self) -> list[str]:
        """The project's named graphs that the endpoint holds."""
        if self._graphs is None:
            rows = self._select_json(
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                f'FILTER(STRSTARTS(STR(?g), "{GRAPH}")) }}'
            )
            self._graphs = sorted(b["g"]["value"] for b in rows)
            if not self._graphs:
                raise UsageError(f"{self.url}: the endpoint holds none of the project's graphs")
        return self._graphs

    def _select_json(self, text: str) -> list[dict]:
        data = self._raw(text)
        try:
            rows = json.loads(data)["results"]["bindings"]
            return [row for row in rows if isinstance(row["g"]["value"], str)]
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"{self.url}: the answer is not SPARQL JSON results") from None

    def query(self, text: str):
        """Run a SELECT or ASK over the union of the project's graphs; return pyoxigraph results."""
        m = _WHERE.search(_blank_comments(text))
        if m is not None:
            froms = " ".join(f"FROM <{g}>" for g in self.graphs())
            text = text[: m.start()] + froms + " " + text[m.start() :]
        data = self._raw(text)
        try:
            return parse_query_results(_normalise(data), format=QueryResultsFormat.JSON)
        except (SyntaxError, ValueError, TypeError, AttributeError):
            raise UsageError(f"{self.url}: the answer is not SPARQL JSON results") from None


def _normalise(data: bytes) -> bytes:
    """Accept SPARQL 1.0-style ``typed-literal`` bindings (Virtuoso) as SPARQL 1.1 literals.

    Raises:
        ValueError: the answer is not JSON shaped like SPARQL results.
    """
    doc = json.loads(data)
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    results = doc.get("results", {})
    rows = results.get("bindings", []) if isinstance(results, dict) else None
    if not isinstance(rows, list):
        raise ValueError("no bindings list")
    for row in rows:
        if not isinstance(row, dict):
            raise ValueError("a binding is not an object")
        for cell in row.values():
            if isinstance(cell, dict) and cell.get("type") == "typed-literal":
                cell["type"] = "literal"
    return json.dumps(doc).encode("utf-8")


def _blank_comments(text: str) -> str:
    return "\n".join(" " * len(line) if line.lstrip().startswith("#") else line for line in text.split("\n"))
