"""Property-based tests (Hypothesis): curated records and mutations of valid ones are either
accepted or rejected with located one-line problems, never with a traceback; and no query that
passes the safety check makes the embedded engine open a connection.

Every test is derandomised (the same examples each run, so that a failure reproduces) and the
examples add up to 1,600 per run.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import pyoxigraph
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import Store

from kg.assembly import Assembly
from kg.build import ONTOLOGY_GRAPH
from kg.entities import load_entities
from kg.factsheets import load_fact_sheets
from kg.problems import DataError, Problem, UsageError
from kg.safety import check_query
from kg.sheetcache import SheetCache
from kg.sources import Source, document_iri, load_sources
from kg.turtle import read_turtle
from kg.vocabulary import Vocabulary
from kg.yamlfile import load_text

ROOT = Path(__file__).resolve().parent.parent
RUN = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _vocabulary() -> Vocabulary:
    assembly = Assembly()
    for path in sorted((ROOT / "ontology").glob("*.ttl")):
        read_turtle(path, path.name, ONTOLOGY_GRAPH, assembly)
    return Vocabulary.from_quads(assembly.quads)


VOCAB = _vocabulary()
DOCUMENT_CLASSES = {k for k, iri in VOCAB.classes.items() if VOCAB.is_a(iri, "Document")}
TEXT = (
    "DeepSeek trained V3 on 2,048 H800 chips for about $5.576 million.\n"
    "The national supercomputer, planned in Israel, will hold about 1500 H100 chips.\n"
    "כ-1500 מעבדיH100 \u00a0במחשב הישראלי. Chips, chips and more chips.\n"
)
WORK = Path(tempfile.mkdtemp(prefix="aigeo-hypothesis-"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)  # hypothesis runs outside pytest's tmp_path

# ---------------------------------------------------------------- strategies

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "2025-02-30",
            "2025-13",
            "2025-00-10",
            "0000-01-01",
            "2025-1-1",
            "9999-12-31",
            "Q0",
            "country/IL",
            "chip/h100",
            "org/nvidia",
            "currency/USD",
            "unit/tflops",
            "Chip",
            "locatedIn",
            "about",
            "\t",
            "",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)


def _mutate(draw, record: dict) -> dict:
    """Drop keys, set keys to any value, add unknown keys: a valid record made slightly wrong."""
    record = dict(record)
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["drop", "set", "add"]))
        keys = sorted(record)
        if action == "drop" and keys:
            record.pop(draw(st.sampled_from(keys)))
        elif action == "set" and keys:
            record[draw(st.sampled_from(keys))] = draw(values)
        else:
            record[draw(st.text(min_size=1, max_size=10))] = draw(values)
    return record


@st.composite
def yaml_documents(draw, base) -> str:
    """A record (or sheet) serialised as YAML, then perhaps damaged as text."""
    doc = draw(base)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    damage = draw(st.sampled_from(["none", "none", "truncate", "insert", "tab"]))
    if damage != "none" and text:
        at = draw(st.integers(0, len(text)))
        if damage == "truncate":
            text = text[:at]
        elif damage == "insert":
            text = text[:at] + draw(st.text(min_size=1, max_size=3)) + text[at:]
        else:
            text = text[:at] + "\t" + text[at:]
    return text


@st.composite
def entity_sheets(draw):
    valid = {
        "id": "chip/zz",
        "type": "Chip",
        "label": {"en": "ZZ chip", "he": "שבב"},
        "alt": {"en": ["ZZ"]},
        "notation": ["ZZ-1"],
        "links": {"vendor": "org/nvidia"},
        "note": "contrived",
        "wikidata": "Q123",
    }
    alias = {"aliases": "chip/zz", "alt": {"ar": ["رقاقة"]}}
    return [_mutate(draw, valid), _mutate(draw, alias)]


@st.composite
def fact_sheets(draw):
    quote = draw(st.sampled_from(["2,048 H800 chips", "about 1500 H100", "chips", "no such words", ""]))
    claim = {
        "id": "chip-count",
        "subject": "cluster/zz",
        "property": draw(st.sampled_from(["chipCount", "usesChip", "cost", "locatedIn", "pointInTime"])),
        "value": draw(st.sampled_from([2048, "chip/h800", 5576000, "2025-02-30", "many", -1])),
        "qualifier": "about",
        "unit": "currency/USD",
        "quote": quote,
        "occurrence": draw(st.sampled_from([1, 2, 3, 0, -1, "two", None])),
        "translation": "2,048 H800 chips",
        "status": "reported",
        "confidence": "medium",
        "point_in_time": draw(st.sampled_from(["2025-01", "2025-02-30", "2025", "soon", 2025])),
        "qualifiers": {"sharePercent": 36},
    }
    sheet = {
        "document": "t",
        "claimant": "org/deepseek",
        "confidence": "high",
        "claims": [_mutate(draw, claim)],
    }
    return _mutate(draw, sheet) if draw(st.booleans()) else sheet


@st.composite
def source_records(draw):
    record = {
        "id": "t",
        "text": "t.txt",
        "sha256": hashlib.sha256(TEXT.encode("utf-8")).hexdigest(),
        "scope": "full-text",
        "type": draw(st.sampled_from([*sorted(DOCUMENT_CLASSES), "Blog", ""])),
        "language": "en",
        "title": {"value": "A title", "basis": "stated"},
        "publisher": {"value": "org/deepseek", "basis": "inferred", "reason": "the header"},
        "authors": {"basis": "unknown"},
        "date": {
            "value": draw(st.sampled_from(["2025-01-13", "2025-02-30", "2025-13", "2025", 2025])),
            "basis": "stated",
        },
        "url": {"value": "https://example.org/t", "basis": "cited"},
    }
    return _mutate(draw, record)


# ---------------------------------------------------------------- the contract


def _check_problems(problems: list[Problem], folder: str) -> None:
    for p in problems:
        assert isinstance(p, Problem)
        assert p.file.startswith(folder), p
        assert isinstance(p.line, int) and p.line >= 0, p
        assert p.message.strip(), p
        assert "\n" not in p.format() and "Traceback" not in p.format(), p


def _write(folder: str, name: str, text: str) -> Path:
    path = WORK / folder
    path.mkdir(parents=True, exist_ok=True)
    for old in path.iterdir():
        old.unlink()
    (path / name).write_text(text, encoding="utf-8")
    return path


@settings(RUN, max_examples=400)
@given(text=yaml_documents(entity_sheets()))
def test_entity_sheets_are_accepted_or_rejected_with_located_problems(text):
    folder = _write("entities", "sheet.yaml", text)
    problems: list[Problem] = []
    load_entities(folder, WORK, VOCAB, Assembly(), problems)
    _check_problems(problems, "entities/")


@settings(RUN, max_examples=400)
@given(text=yaml_documents(fact_sheets()))
def test_fact_sheets_are_accepted_or_rejected_with_located_problems(text):
    folder = _write("facts", "t.yaml", text)
    text_file = WORK / "t.txt"
    text_file.write_text(TEXT, encoding="utf-8")
    sha = hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    source = Source("t", document_iri("t"), TEXT, text_file, "sources/t.txt", "en", sha, "sources/t.yaml", 3)
    problems: list[Problem] = []
    cache = SheetCache(WORK / "no-cache", "test", keep=False)  # read every sheet, keep nothing
    try:
        load_fact_sheets(folder, WORK, {"t": source}, VOCAB, Assembly(), problems, Store(), cache)
    finally:
        cache.discard()
    _check_problems(problems, "facts/")


@settings(RUN, max_examples=300)
@given(text=yaml_documents(source_records()), raw=st.one_of(st.none(), st.binary(max_size=40)))
def test_source_records_are_accepted_or_rejected_with_located_problems(text, raw):
    folder = _write("sources", "t.yaml", text)
    (folder / "t.txt").write_bytes(TEXT.encode("utf-8") if raw is None else raw)
    problems: list[Problem] = []
    load_sources(folder, WORK, Assembly(), problems, DOCUMENT_CLASSES)
    _check_problems(problems, "sources/")


@settings(RUN, max_examples=200)
@given(text=st.text(max_size=200))
def test_any_text_parses_as_yaml_or_fails_with_one_located_problem(text):
    try:
        load_text(text, "any.yaml")
    except DataError as exc:
        assert len(exc.problems) == 1
        _check_problems(exc.problems, "any.yaml")


# ---------------------------------------------------------------- queries cannot reach out


@pytest.fixture(scope="module")
def listener():
    """A TCP listener on 127.0.0.1 that records every connection and closes it at once."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    contacts: list[bytes] = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            contacts.append(conn.recv(200))
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], contacts
    server.close()
    assert contacts == [], "a query that passed the check reached the listener"


def _fragments(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}/sparql"
    return [
        "SERVICE", "service", "SeRvIcE", "SILENT", "LOAD", "FROM", "NAMED", f"<{url}>", url, "<", ">",
        "{", "}", "(", ")", "?s ?p ?o", "?o", "3", " ", "\n", "\r", "\t", "#", "'", '"', "'''", '"""',
        "\\", "\\#", "\\'", "ex:", "ex:a", "FILTER(", "?o<3)", "<3)", "GRAPH ?g", ".", ";", ",",
        f"PREFIX ex: <{url}>\n", "INTO GRAPH", "\u2028", "\x85",
    ]  # fmt: skip


@settings(RUN, max_examples=300)
@given(data=st.data())
def test_no_query_that_passes_the_check_opens_a_connection(listener, data):
    port, contacts = listener
    body = "".join(data.draw(st.lists(st.sampled_from(_fragments(port)), min_size=1, max_size=12)))
    query = (
        data.draw(st.sampled_from(["SELECT * WHERE { ?s ?p ?o . ", "ASK { ", "", "SELECT * "])) + body + " }"
    )
    try:
        check_query(query)
    except UsageError:
        return
    store = pyoxigraph.Store()
    try:
        result = store.query(query)
        if not isinstance(result, pyoxigraph.QueryBoolean):
            list(result)
    except SyntaxError:
        pass
    except OSError as exc:  # a connection attempt surfaces as an OSError
        pytest.fail(f"the engine tried to fetch for {query!r}: {exc}")
    assert contacts == [], query
    try:
        store.update(query)
    except (SyntaxError, ValueError):
        pass
    except OSError as exc:
        pytest.fail(f"the engine tried to fetch for update {query!r}: {exc}")
    assert contacts == [], query
