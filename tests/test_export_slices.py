"""Slice options (--kinds, --as-of, --around/--depth): the same selection for every format, checked
against the full export and the build's documents."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
from typing import ClassVar

import networkx as nx
import pytest
from pyoxigraph import Literal, NamedNode

from kg.export.records import XSD, Claim, Document
from kg.export.selection import _dated

ID = "https://w3id.org/aigeo/id/"


@pytest.fixture(scope="module")
def export_gexf(kg_export, tmp_path_factory):
    folder = tmp_path_factory.mktemp("slices")

    def run(name: str, *options: str) -> nx.MultiDiGraph:
        path = folder / f"{name}.gexf"
        code, _out, err = kg_export("gexf", "-o", str(path), *options)
        assert code == 0, err
        return nx.read_gexf(path)

    return run


@pytest.fixture(scope="module")
def full(export_gexf):
    return export_gexf("full")


def test_around_is_the_ego_network_of_the_full_graph(export_gexf, full):
    ego = export_gexf("around", "--around", "DeepSeek", "--depth", "2")
    assert "org/deepseek" in ego
    expected = nx.ego_graph(full.to_undirected(as_view=True), "org/deepseek", radius=2)
    assert set(ego.nodes) == set(expected.nodes)
    assert set(ego.edges(keys=True)) == {
        (u, v, k) for u, v, k in full.edges(keys=True) if u in ego and v in ego
    }
    assert ego.number_of_nodes() < full.number_of_nodes()


def test_depth_zero_is_the_entity_alone(export_gexf):
    alone = export_gexf("alone", "--around", "org/deepseek", "--depth", "0")
    assert list(alone.nodes) == ["org/deepseek"]


def test_kinds_restricts_kinds(export_gexf, full):
    some = export_gexf("kinds", "--kinds", "chip,organisation")
    assert {d["kind"] for _, d in some.nodes(data=True)} == {"chip", "organisation"}
    assert set(some.nodes) == {n for n, d in full.nodes(data=True) if d["kind"] in ("chip", "organisation")}
    tanks = export_gexf("class", "--kinds", "ThinkTank")
    assert tanks.number_of_nodes() > 0
    assert {d["type"] for _, d in tanks.nodes(data=True)} == {"think tank"}


def test_kinds_all_adds_currencies(export_gexf, full):
    everything = export_gexf("all", "--kinds", "all")
    kinds = {d["kind"] for _, d in everything.nodes(data=True)}
    assert "currency" in kinds and "currency" not in {d["kind"] for _, d in full.nodes(data=True)}


def test_as_of_keeps_claims_of_documents_published_by_then(kg_export, built_store, tmp_path):
    dates = {
        r["d"].value[len(ID) :]: _last_day(r["date"].value)
        for r in built_store.query(
            "SELECT ?d ?date WHERE { ?d <http://purl.org/dc/terms/date> ?date }",
            use_default_graph_as_union=True,
        )
    }
    doc = "doc/inss-2025-02-deepseek-israel"
    day = dates[doc]
    before, on = tmp_path / "before", tmp_path / "on"
    assert kg_export("csv", "-o", str(before), "--as-of", (day - dt.timedelta(days=1)).isoformat())[0] == 0
    assert kg_export("csv", "-o", str(on), "--as-of", day.isoformat())[0] == 0
    docs_before = {r["document"] for r in _rows(before / "claims.csv")}
    docs_on = {r["document"] for r in _rows(on / "claims.csv")}
    assert doc not in docs_before and doc in docs_on
    for d in docs_on:
        assert d in dates and dates[d] <= day


def _last_day(stated: str) -> dt.date:
    """The last day of a date stated as a day, a month or a year."""
    parts = [int(p) for p in stated.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    month = parts[1] if len(parts) == 2 else 12
    return dt.date(parts[0], month, calendar.monthrange(parts[0], month)[1])


class _JANUARY_2023:
    documents: ClassVar = {
        "doc": Document("doc", "t", Literal("2023-01", datatype=NamedNode(XSD + "gYearMonth")))
    }


def _claim(**dates) -> Claim:
    return Claim(
        iri=ID + "claim/x/y",
        subject=ID + "org/a",
        property="p",
        value=NamedNode(ID + "org/b"),
        document="doc",
        claimant=None,
        status=None,
        rank=None,
        confidence=None,
        quote="q",
        language="en",
        start=0,
        end=1,
        **{k: Literal(v, datatype=NamedNode(XSD + t)) for k, (v, t) in dates.items()},
    )


@pytest.mark.parametrize(
    "dates, day, kept",
    [
        pytest.param({"valid_from": ("2024-03-01", "date")}, "2024-02-29", False, id="before-valid-from"),
        pytest.param({"valid_from": ("2024-03-01", "date")}, "2024-03-01", True, id="on-valid-from"),
        pytest.param({"valid_to": ("2024-03-01", "date")}, "2024-03-02", False, id="after-valid-to"),
        pytest.param({"point_in_time": ("2024", "gYear")}, "2023-12-31", False, id="before-point-in-time"),
        pytest.param({"point_in_time": ("2024", "gYear")}, "2024-06-01", True, id="in-point-in-time"),
        pytest.param({}, "2023-01-31", True, id="undated-claim-dated-document"),
    ],
)
def test_as_of_reads_the_claims_own_dates(dates, day, kept):
    claims, undated = _dated(_JANUARY_2023, [_claim(**dates)], dt.date.fromisoformat(day))
    assert (len(claims) == 1) is kept and undated == 0


def test_as_of_leaves_out_a_document_stated_to_a_month_not_yet_over():
    assert _dated(_JANUARY_2023, [_claim()], dt.date(2023, 1, 30)) == ([], 0)


@pytest.mark.parametrize(
    "options, message",
    [
        pytest.param(["--kinds", "orgs"], "unknown kind 'orgs'; kinds: country,", id="unknown-kind"),
        pytest.param(["--around", "Deepseak AI Labs"], "--around: unknown entity", id="unknown-entity"),
        pytest.param(["--as-of", "31/01/2025"], "expected a date such as", id="bad-date"),
        pytest.param(["--around", "DeepSeek", "--depth", "-1"], "--depth -1", id="negative-depth"),
        pytest.param(
            ["--around", "DeepSeek", "--kinds", "chip"], "is not of the kinds", id="centre-not-kept"
        ),
    ],
)
def test_bad_slice_options_are_one_line_and_exit_2(kg_export, tmp_path, options, message):
    target = tmp_path / "x.gexf"
    code, out, err = kg_export("gexf", "-o", str(target), *options)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err
    assert not target.exists()


def test_every_format_takes_the_same_slice(kg_export, tmp_path):
    options = ["--around", "DeepSeek", "--kinds", "organisation,model,person"]
    assert kg_export("csv", "-o", str(tmp_path / "t"), *options)[0] == 0
    assert kg_export("gexf", "-o", str(tmp_path / "g.gexf"), *options)[0] == 0
    assert kg_export("rdf", "-f", "nquads", "-o", str(tmp_path / "r.nq"), *options)[0] == 0
    graph = nx.read_gexf(tmp_path / "g.gexf")
    table_ids = set()
    for kind in ("organisation", "model", "person"):
        if (tmp_path / "t" / f"{kind}.csv").exists():
            table_ids |= {r["id"] for r in _rows(tmp_path / "t" / f"{kind}.csv")}
    assert table_ids == set(graph.nodes)
    claims = {r["claim"] for r in _rows(tmp_path / "t" / "claims.csv")}
    assert {r["subject"] for r in _rows(tmp_path / "t" / "claims.csv")} <= set(graph.nodes)
    rdf = (tmp_path / "r.nq").read_text(encoding="utf-8")
    for claim in claims:
        assert f"<{ID}claim/{claim}> <https://w3id.org/aigeo/ontology#subject>" in rdf


def _rows(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_every_class_of_the_build_has_a_kind_of_the_table(built):
    """Guards the kinds table: a new class of entities should get a kind and a colour there."""
    from kg.export.kinds import KINDS, kind_of
    from kg.export.records import read_build

    build = read_build(built / "dist")
    for cls in {e.cls for e in build.entities.values()}:
        assert kind_of(build.ancestors(cls), cls) in KINDS, cls


def test_readme_export_examples_run(kg_export, tmp_path):
    """Every command of the README's Exports block runs and prints the line the README shows."""
    import re
    import shlex
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Exports\n\n```sh\n(.*?)```", readme, re.DOTALL).group(1)
    commands = [
        shlex.split(line.split("#")[0]) for line in block.splitlines() if line.startswith("kg export")
    ]
    assert len(commands) == 4
    for argv in commands:
        i = argv.index("-o")
        argv[i + 1] = str(tmp_path / argv[i + 1])
        code, out, err = kg_export(*argv[2:])
        assert code == 0, err
        assert out.startswith(f"wrote {argv[i + 1]}: ")
    assert "wrote aigeo.gexf: 580 nodes, 229 edges" in readme
    assert kg_export("gexf", "-o", str(tmp_path / "aigeo.gexf"))[1].startswith(
        f"wrote {tmp_path / 'aigeo.gexf'}: 580 nodes, 229 edges"
    )
