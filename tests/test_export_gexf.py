"""kg export gexf: the file passes the official GEXF 1.3 schema, and networkx and graphology-gexf
(the parser of Gephi Lite and sigma.js) read back the nodes, edges, typed attributes and dates
that the build's claims give, counted here independently with SPARQL."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import pytest

HERE = Path(__file__).resolve().parent
SCHEMA = HERE / "data" / "gexf-1.3" / "gexf.xsd"
JS = HERE / "js"
GEXF_NS = "{http://gexf.net/1.3}"
PREFIXES = """
PREFIX aigeo: <https://w3id.org/aigeo/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
# Entities as the export defines them: typed nodes under id/ that are not claims or metadata
# assessments, less the units of figures (currencies and units), which are left out by default.
ENTITY_PATTERN = """
  GRAPH ?g { ?e a ?cls }
  FILTER(?g != <https://w3id.org/aigeo/graph/inferred>)
  FILTER(STRSTARTS(STR(?e), "https://w3id.org/aigeo/id/") && STRSTARTS(STR(?cls), STR(aigeo:)))
  FILTER(?cls NOT IN (aigeo:Claim, aigeo:MetadataAssessment, aigeo:Currency, aigeo:Unit))
"""


def _count(store, text: str) -> int:
    return int(next(iter(store.query(PREFIXES + text, use_default_graph_as_union=True)))["n"].value)


@pytest.fixture(scope="module")
def gexf_file(kg_export, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gexf") / "aigeo.gexf"
    code, out, err = kg_export("gexf", "-o", str(path))
    assert code == 0, err
    assert out.startswith(f"wrote {path}: ")
    return path


@pytest.fixture(scope="module")
def graph(gexf_file) -> nx.MultiDiGraph:
    return nx.read_gexf(gexf_file)


def _schema():
    from lxml import etree

    # no_network: the schema's includes and imports must resolve from tests/data/gexf-1.3/
    parser = etree.XMLParser(no_network=True)
    return etree.XMLSchema(etree.parse(str(SCHEMA), parser))


def test_valid_against_official_gexf_1_3_schema(gexf_file):
    from lxml import etree

    schema = _schema()
    doc = etree.parse(str(gexf_file))
    assert schema.validate(doc), schema.error_log.filter_from_errors()[:3]
    assert doc.getroot().get("version") == "1.3"


def test_schema_rejects_what_it_should(gexf_file):
    """Guards the check above: the schema does reject a file that breaks GEXF 1.3."""
    from lxml import etree

    schema = _schema()
    doc = etree.parse(str(gexf_file))
    attribute = doc.getroot().find(f"{GEXF_NS}graph/{GEXF_NS}attributes/{GEXF_NS}attribute")
    attribute.set("type", "date")  # not an attribute type of GEXF 1.3
    assert not schema.validate(doc)


def test_node_count_is_the_number_of_entities(graph, built_store):
    assert isinstance(graph, nx.MultiDiGraph)
    expected = _count(built_store, f"SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ {ENTITY_PATTERN} }}")
    assert graph.number_of_nodes() == expected
    assert expected > 500


def test_edge_count_and_weights_match_the_claims(graph, built_store):
    rows = built_store.query(
        PREFIXES
        + """
        SELECT ?s ?p ?o (COUNT(DISTINCT ?c) AS ?n) (COUNT(DISTINCT ?doc) AS ?docs) WHERE {
          ?c a aigeo:Claim ; aigeo:subject ?s ; aigeo:property ?p ; aigeo:value ?o ; aigeo:reportedIn ?doc .
          { SELECT DISTINCT ?s WHERE { """
        + ENTITY_PATTERN.replace("?e", "?s").replace("?g", "?g1").replace("?cls", "?c1")
        + """ } }
          { SELECT DISTINCT ?o WHERE { """
        + ENTITY_PATTERN.replace("?e", "?o").replace("?g", "?g2").replace("?cls", "?c2")
        + """ } }
        } GROUP BY ?s ?p ?o""",
        use_default_graph_as_union=True,
    )
    expected = {}
    for r in rows:
        key = (r["s"].value.split("/id/")[1], r["p"].value.split("#")[1], r["o"].value.split("/id/")[1])
        expected[key] = (int(r["n"].value), int(r["docs"].value))
    found = {}
    for u, v, data in graph.edges(data=True):
        found[(u, data["property"].split(":")[1], v)] = (int(data["weight"]), data["sources"])
        assert data["claims"] == data["weight"]
    assert found == expected
    assert len(found) > 200


def test_parallel_relations_of_different_kinds_stay_distinct(graph):
    pairs = [(u, v) for u, v in set(graph.edges()) if graph.number_of_edges(u, v) > 1]
    assert pairs
    for u, v in pairs:
        kinds = [d["label"] for d in graph.get_edge_data(u, v).values()]
        assert len(kinds) == len(set(kinds))


def test_attribute_types(graph):
    chip = graph.nodes["chip/h100"]
    assert chip["kind"] == "chip" and chip["vendor"] == "NVIDIA"
    assert isinstance(chip["memoryGB"], float)
    assert isinstance(chip["claims"], int) and isinstance(chip["degree"], int)
    assert isinstance(chip["betweenness"], float) and isinstance(chip["community"], int)
    edge = next(iter(graph.get_edge_data("chip/h100", "org/nvidia").values()))
    assert edge["disputed"] is False and isinstance(edge["sources"], int)
    country = graph.nodes["country/IL"]
    assert country["iso2"] == "IL" and country["inTier"].startswith("Tier 2")


def test_hebrew_and_arabic_labels_round_trip(graph, built_store):
    rows = built_store.query(
        PREFIXES + "SELECT ?l WHERE { <https://w3id.org/aigeo/id/country/IL> skos:prefLabel ?l }",
        use_default_graph_as_union=True,
    )
    labels = {r["l"].language: r["l"].value for r in rows}
    node = graph.nodes["country/IL"]
    assert (node["label_en"], node["label_he"], node["label_ar"]) == (
        labels["en"],
        labels["he"],
        labels["ar"],
    )


def test_dated_claims_give_dated_edges(graph, gexf_file):
    from lxml import etree

    root = etree.parse(str(gexf_file)).getroot()
    g = root.find(f"{GEXF_NS}graph")
    assert (g.get("mode"), g.get("timeformat")) == ("dynamic", "date")
    hk = next(iter(graph.get_edge_data("country/HK", "country/CN").values()))
    assert hk["start"] == "2020-12-23" and "end" not in hk  # validFrom only: open ended
    held = next(iter(graph.get_edge_data("holding/high-flyer-a100", "chip/a100").values()))
    assert (held["start"], held["end"], held["valid_from"]) == ("2021-01-01", "2021-12-31", "2021")
    undated = next(iter(graph.get_edge_data("chip/h100", "org/nvidia").values()))
    assert "start" not in undated and "end" not in undated


def test_measures_agree_with_the_graph_read_back(graph):
    for node, data in graph.nodes(data=True):
        assert data["degree"] == graph.degree(node)
        assert data["in_degree"] == graph.in_degree(node)
    communities = {d["community"] for _, d in graph.nodes(data=True)}
    assert communities == set(range(len(communities)))


def test_metadata_names_creator_build_date_and_data_version(gexf_file, built):
    from lxml import etree

    from kg.output import built_at

    meta = etree.parse(str(gexf_file)).getroot().find(f"{GEXF_NS}meta")
    folder = (built / "dist").resolve()
    assert meta.get("lastmodifieddate") == built_at(folder).date().isoformat()
    assert meta.find(f"{GEXF_NS}creator").text.startswith("aigeo ")
    version = hashlib.sha256((folder / "graph.nq").read_bytes()).hexdigest()[:12]
    assert f"data version {version}" in meta.find(f"{GEXF_NS}description").text


def test_same_build_gives_the_same_bytes(kg_export, gexf_file, tmp_path):
    again = tmp_path / "again.gexf"
    assert kg_export("gexf", "-o", str(again))[0] == 0
    assert again.read_bytes() == gexf_file.read_bytes()


# --- graphology-gexf ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """graphology and graphology-gexf at the versions of tests/js/package-lock.json, installed once
    with npm ci into a cache folder keyed by the lock file. CI has the npm registry: a missing
    node or npm, or a failed install, fails the tests rather than skipping them."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail(
            "the graphology-gexf tests need node and npm on PATH (Debian: apt-get install nodejs npm)"
        )
    lock = (JS / "package-lock.json").read_bytes()
    cache = Path.home() / ".cache" / "aigeo-node" / hashlib.sha256(lock).hexdigest()[:16]
    if not (cache / "node_modules" / "graphology-gexf").is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        shutil.copy(JS / "package.json", cache)
        shutil.copy(JS / "package-lock.json", cache)
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=cache, capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            pytest.fail(f"npm ci for graphology-gexf failed in {cache}: {' / '.join(tail)}")
    return cache / "node_modules"


@pytest.fixture(scope="module")
def graphology(node_modules, gexf_file) -> dict:
    done = subprocess.run(
        ["node", str(JS / "read_gexf.mjs"), str(node_modules), str(gexf_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_graphology_reads_the_same_graph(graphology, graph):
    assert graphology["type"] == "directed" and graphology["multi"] is True
    assert graphology["order"] == graph.number_of_nodes()
    assert graphology["size"] == graph.number_of_edges()
    assert set(graphology["nodes"]) == set(graph.nodes)


def test_graphology_attribute_types_colours_and_labels(graphology, graph):
    israel = graphology["nodes"]["country/IL"]
    assert israel["label_he"] == graph.nodes["country/IL"]["label_he"]
    assert israel["color"] == "rgb(31,119,180)" and israel["size"] > 5
    chip = graphology["nodes"]["chip/h100"]
    assert isinstance(chip["memoryGB"], int | float) and isinstance(chip["degree"], int)
    assert isinstance(chip["kind"], str)
    edge = graphology["edges"]["country/HK controlledAsPartOf country/CN"]
    assert edge["attributes"]["disputed"] is False
    assert edge["attributes"]["valid_from"] == "2020-12-23"  # graphology drops start/end; see the README
    assert edge["attributes"]["weight"] == 1


def test_graphology_reads_the_metadata(graphology, gexf_file):
    from lxml import etree

    meta = etree.parse(str(gexf_file)).getroot().find(f"{GEXF_NS}meta")
    assert graphology["graph"]["lastModifiedDate"] == meta.get("lastmodifieddate")
    assert graphology["graph"]["creator"] == meta.find(f"{GEXF_NS}creator").text
