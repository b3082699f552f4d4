"""``--endpoint`` at a closed port, a server that hangs, or one that answers garbage: the command
fails within its ``--timeout`` with one line naming the URL and the cause, exit 2.

Elapsed times are printed (``pytest -s``) and checked only against a generous hang guard, never
as a speed requirement.
"""

from __future__ import annotations

import http.server
import json
import socket
import sys
import threading
import time

import pytest

from kg.cli import main
from kg.iris import GRAPH

QUESTION = "tier2-countries-without-chip-access"
TIMEOUT = 1.0
#: a hang guard, not a speed assertion: the command must come back, whatever the server does
GUARD = TIMEOUT * 3 + 5
GRAPHS_ANSWER = json.dumps(
    {"head": {"vars": ["g"]}, "results": {"bindings": [{"g": {"type": "uri", "value": GRAPH + "entities"}}]}}
).encode()


class _Fake(http.server.BaseHTTPRequestHandler):
    """Answers by path: the ways an endpoint can be broken."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        mode = self.path.split("?")[0].strip("/")
        if mode.startswith("graphs-then-"):
            if "DISTINCT+%3Fg" in body or "DISTINCT ?g" in body:
                return self._send(200, "application/sparql-results+json", GRAPHS_ANSWER)
            mode = mode[len("graphs-then-") :]
        if mode == "html":
            self._send(200, "text/html", b"<html><body><h1>Welcome to nginx!</h1></body></html>")
        elif mode == "not-json":
            self._send(200, "application/sparql-results+json", b"{not json")
        elif mode == "json-list":
            self._send(200, "application/sparql-results+json", b"[1, 2, 3]")
        elif mode == "error-500":
            self._send(500, "text/plain", b"internal error: the database is on fire")
        elif mode == "close":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif mode == "not-http":
            self.wfile.write(b"HELLO THERE\r\n\r\n")
            self.close_connection = True
        elif mode == "cut-short":
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"head": {')
            self.close_connection = True
        elif mode == "hang-after-headers":
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.flush()
            time.sleep(30)
        elif mode == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            for _ in range(100):  # a byte every 0.2 s: each read succeeds, the whole never ends
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)

    def _send(self, code: int, ctype: str, body: bytes):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the client hung up on a hanging or dripping answer, as it should


@pytest.fixture(scope="module")
def fake():
    server = _QuietServer(("127.0.0.1", 0), _Fake)
    server.daemon_threads = True
    server.block_on_close = False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _run(url: str, capsys) -> tuple[int, list[str], float]:
    started = time.monotonic()
    code = main(["query", QUESTION, "--endpoint", url, "--timeout", str(TIMEOUT)])
    elapsed = time.monotonic() - started
    captured = capsys.readouterr()
    print(f"\n{url}: exit {code} after {elapsed:.2f} s: {captured.err.strip()}", file=sys.__stdout__)
    assert captured.out == ""
    return code, captured.err.strip().splitlines(), elapsed


@pytest.mark.parametrize(
    "mode, cause",
    [
        pytest.param("html", "the answer is not SPARQL JSON results", id="html-page"),
        pytest.param("not-json", "the answer is not SPARQL JSON results", id="invalid-json"),
        pytest.param("json-list", "the answer is not SPARQL JSON results", id="json-not-results"),
        pytest.param("graphs-then-html", "the answer is not SPARQL JSON results", id="html-for-the-question"),
        pytest.param(
            "graphs-then-json-list", "the answer is not SPARQL JSON results", id="list-for-the-question"
        ),
        pytest.param("error-500", "HTTP status code 500", id="http-500"),
        pytest.param("close", "closed connection without response", id="closed-without-answer"),
        pytest.param("not-http", "not an HTTP answer", id="not-http"),
        pytest.param("cut-short", "the answer is not SPARQL JSON results", id="body-cut-short"),
        pytest.param("hang-after-headers", f"no answer within {TIMEOUT:g} s", id="hang-after-headers"),
        pytest.param("drip", f"no answer within {TIMEOUT:g} s", id="drip-feed"),
    ],
)
def test_broken_endpoint_is_one_line_naming_the_url_and_cause(in_built, fake, capsys, mode, cause):
    url = f"{fake}/{mode}"
    code, err, elapsed = _run(url, capsys)
    assert code == 2
    assert len(err) == 1 and err[0].startswith(f"error: {url}: ") and cause in err[0], err
    assert elapsed < GUARD


def test_closed_port_is_one_line_naming_the_url(in_built, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/query"
    code, err, elapsed = _run(url, capsys)
    assert code == 2
    assert len(err) == 1 and url in err[0] and "cannot connect" in err[0] and "refused" in err[0]
    assert elapsed < GUARD


def test_server_that_accepts_and_never_answers_times_out(in_built, capsys):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/query"
    try:
        code, err, elapsed = _run(url, capsys)
        assert code == 2
        assert len(err) == 1 and url in err[0] and f"within {TIMEOUT:g} s" in err[0]
        assert elapsed < GUARD
    finally:
        listener.close()
