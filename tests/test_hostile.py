"""Queries cannot reach out, RDF/XML entities are never expanded or fetched, and ``kg serve``
listens on 127.0.0.1 only and refuses updates unless ``--writable``.

A listener on 127.0.0.1 records every connection; each test asserts it saw none. A positive
control shows that pyoxigraph itself would have connected, so the refusal is what protects.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph
import pytest

import kg
from kg.cli import main
from kg.problems import UsageError
from kg.server import free_port
from kg.store import embedded_runner, open_build

CODE_ROOT = Path(kg.__file__).resolve().parent.parent


class Listener:
    """A TCP server on 127.0.0.1 that records what each connection sends, then closes it."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.contacts: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            conn.settimeout(2)
            try:
                self.contacts.append(conn.recv(1000))
            except OSError:
                self.contacts.append(b"")
            conn.close()

    def url(self, path: str = "x") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.socket.close()


# BASE/ stands for the listener's URL
HOSTILE = [
    pytest.param("SELECT * WHERE { SERVICE <BASE/sparql> { ?s ?p ?o } }", "SERVICE", id="service"),
    pytest.param(
        "SELECT * WHERE { SERVICE SILENT <BASE/sparql> { ?s ?p ?o } }", "SERVICE", id="service-silent"
    ),
    pytest.param(
        "SELECT * WHERE { ?s ?p ?o FILTER(?o<3)SERVICE<BASE/sparql>{?s ?p ?o} }",
        "SERVICE",
        id="service-after-less-than",
    ),
    pytest.param(
        "PREFIX e: <BASE/>\nSELECT * WHERE { ?s e:a\\#b ?o . SERVICE e:sparql { ?s ?p ?o } }",
        "SERVICE",
        id="service-after-escaped-hash",
    ),
    pytest.param("select * where { service <BASE/sparql> { ?s ?p ?o } }", "SERVICE", id="lower-case"),
    pytest.param("LOAD <BASE/data.ttl>", "LOAD", id="load"),
    pytest.param("LOAD SILENT <BASE/data.ttl> INTO GRAPH <urn:g>", "LOAD", id="load-into-graph"),
    pytest.param("SELECT * FROM <BASE/graph> WHERE { ?s ?p ?o }", "FROM", id="from"),
    pytest.param("SELECT * FROM NAMED <BASE/graph> WHERE { GRAPH ?g { ?s ?p ?o } }", "FROM", id="from-named"),
]


@pytest.mark.parametrize("template, keyword", HOSTILE)
def test_kg_sparql_refuses_and_nothing_is_contacted(in_built, listener, capsys, tmp_path, template, keyword):
    path = tmp_path / "hostile.rq"
    path.write_text(template.replace("BASE/", listener.url("")), encoding="utf-8")
    assert main(["sparql", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: refused: the query uses {keyword},")
    assert listener.contacts == []


@pytest.mark.parametrize("template, keyword", HOSTILE)
def test_the_python_api_refuses_too(built, listener, template, keyword):
    """``kg.store.embedded_runner`` (behind kg.ask and the helpers) checks every query it runs."""
    run = embedded_runner(open_build(built / "dist"))
    with pytest.raises(UsageError, match=f"refused: the query uses {keyword}"):
        run(template.replace("BASE/", listener.url("")))
    assert listener.contacts == []


def test_control_pyoxigraph_alone_would_connect(listener):
    """Without the check the engine does fetch: the listener sees SERVICE's request."""
    with pytest.raises(OSError):
        list(
            pyoxigraph.Store().query(
                f"SELECT * WHERE {{ SERVICE <{listener.url('sparql')}> {{ ?s ?p ?o }} }}"
            )
        )
    assert listener.contacts and listener.contacts[0].startswith(b"POST /sparql ")


# ---------------------------------------------------------------- RDF/XML


def test_external_entities_are_neither_read_nor_fetched(project, listener, capsys):
    """An RDF/XML file beside the modules naming a local secret and the listener as external
    entities is refused from a scan of its bytes: no XML parser ever sees it."""
    secret = project / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a", encoding="utf-8")
    (project / "ontology" / "zz-xxe.rdf").write_text(
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rdf:RDF [ <!ENTITY s SYSTEM "{secret.as_uri()}">'
        f' <!ENTITY r SYSTEM "{listener.url("xxe")}"> ]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        '<rdf:Description rdf:about="urn:x"><rdfs:label>&s;&r;</rdfs:label></rdf:Description></rdf:RDF>\n',
        encoding="utf-8",
    )
    assert main(["build", "-q"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "ERROR ontology/zz-xxe.rdf:2 refused: XML with a DOCTYPE or entity declarations (entity expansion, "
        "external entities); only Turtle (.ttl) is read",
        "1 error in stage 'parse'; nothing was written",
    ]
    assert listener.contacts == []
    assert not (project / "dist").exists()


def test_billion_laughs_in_utf16_is_refused_too(project, capsys):
    """The scan also reads UTF-16, which an XML parser would accept."""
    (project / "shapes" / "zz-lol.owl").write_bytes(
        '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE r [ <!ENTITY a "lol"> ]>\n<r>&a;</r>\n'.encode(
            "utf-16"
        )
    )
    assert main(["validate"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("ERROR shapes/zz-lol.owl:2 refused: XML with a DOCTYPE")


# ---------------------------------------------------------------- kg serve


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                if len(address) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    words = bytes.fromhex(address)
                    raw = b"".join(words[i : i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, raw))
    return found


def _other_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.fixture(params=[False, True], ids=["read-only", "writable"])
def kg_serve(request, built):
    port = free_port()
    argv = [sys.executable, "-m", "kg", "serve", "--port", str(port)] + (
        ["--writable"] if request.param else []
    )
    env = dict(os.environ, PYTHONPATH=str(CODE_ROOT))
    proc = subprocess.Popen(
        argv, cwd=built, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("SPARQL endpoint"), (
            line,
            proc.stderr.read() if proc.poll() is not None else "",
        )
        yield port, request.param, line.split()[-1]
    finally:
        proc.send_signal(signal.SIGINT)  # kg serve stops its Oxigraph server on Ctrl-C
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_kg_serve_listens_on_loopback_only_and_is_read_only_unless_writable(kg_serve):
    port, writable, url = kg_serve
    assert url == f"http://127.0.0.1:{port}/query"
    assert _listening_addresses(port) == {"127.0.0.1"}
    other = _other_address()
    if other is not None:
        with pytest.raises(OSError), socket.create_connection((other, port), timeout=3):
            pass
    update = urllib.request.Request(
        f"http://127.0.0.1:{port}/update",
        data=b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        headers={"Content-Type": "application/sparql-update"},
    )
    if writable:
        with urllib.request.urlopen(update, timeout=10) as response:
            assert 200 <= response.status < 300
    else:
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(update, timeout=10)
        assert 400 <= exc.value.code < 500
    ask = url + "?" + urllib.parse.urlencode({"query": "ASK { <urn:a> <urn:b> <urn:c> }"})
    with urllib.request.urlopen(urllib.request.Request(ask, headers={"Accept": "application/json"})) as r:
        assert (b"true" in r.read()) == writable
