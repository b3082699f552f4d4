"""Each SHACL shape against its fixture: exactly the expected results, by focus, component and path."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from kg.assembly import Assembly
from kg.checks.shacl import validate_shacl
from kg.namespaces import SH

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "data" / "shapes"


def _graph(paths) -> rdflib.Graph:
    g = rdflib.Graph()
    for p in paths:
        g.parse(p, format="turtle")
    return g


SHAPES = _graph(sorted((ROOT / "shapes").glob("*.ttl")))
ONTOLOGY = _graph(sorted((ROOT / "ontology").glob("*.ttl")))


def test_every_shape_has_a_fixture():
    shapes = {str(s).rsplit("#", 1)[1] for s in SHAPES.subjects(rdflib.RDF.type, SH.NodeShape)}
    fixtures = {p.stem for p in FIXTURES.glob("*.ttl")}
    # EvidenceShape and QuoteSelectorShape are reached only through ClaimShape (sh:node).
    assert shapes - fixtures == {"EvidenceShape", "QuoteSelectorShape"}


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.ttl")), ids=lambda p: p.stem)
def test_shape_fixture(fixture):
    text = fixture.read_text(encoding="utf-8")
    expected = {tuple(line.split()[2:5]) for line in text.splitlines() if line.startswith("# expect:")}
    assert expected, "a fixture states its expected results"
    data = _graph([fixture]) + ONTOLOGY
    _n, problems = validate_shacl(data, SHAPES, Assembly())
    got = {(p.focus.replace("id:test/", "ex:"), p.message.split(":", 1)[0], p.path or "") for p in problems}
    assert got == expected
    assert all(not p.focus.endswith("good") for p in problems)
