"""A rebuild gives its build the previous build's query index, changed by the lines in which the
two builds' files differ (kg.store.carry_index): the first query after it opens that index
instead of indexing the whole build again (half a minute at 100,000 claims)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, RdfFormat, Store, parse

from kg import store as store_module
from kg.cli import main
from kg.iris import graph_iri
from kg.previous import RECORD_FILE
from kg.store import INDEX_DIR, carry_index, open_build

SHEET = "data/facts/inss-2025-02-deepseek-israel.yaml"
INFERRED = "https://w3id.org/aigeo/graph/inferred"


@pytest.fixture
def indexed(project_built, monkeypatch) -> Path:
    """The built project, its build indexed for queries as a large build's first query does."""
    monkeypatch.setattr(store_module, "INDEX_ABOVE_BYTES", 0)
    open_build(project_built / "dist")
    assert (project_built / "dist" / INDEX_DIR).is_dir()
    return project_built


def _build(capsys) -> dict:
    assert main(["build", "--quiet"]) == 0, capsys.readouterr().err
    return json.loads(Path("dist/build-report.json").read_text(encoding="utf-8"))


def _key(terms) -> tuple:
    """A quad or a row as text, blank nodes only by kind: each reading of a file names them anew."""
    return tuple("_:" if isinstance(t, BlankNode) else str(t) for t in terms)


def _files(out: Path) -> Counter:
    names = ("graph.nq", "inferred.nq")
    return Counter(_key(q) for name in names for q in parse(path=out / name, format=RdfFormat.N_QUADS))


def _index(out: Path) -> Counter:
    return Counter(map(_key, Store.read_only(str(out / INDEX_DIR))))


def _split(quads: Counter) -> tuple[Counter, Counter]:
    inferred = Counter({q: n for q, n in quads.items() if q[3] == f"<{INFERRED}>"})
    return quads - inferred, inferred


def _edit(relative: str, old: str, new: str) -> None:
    path = Path(relative)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _remove_sheet() -> None:
    Path(SHEET).unlink()


def _change_a_value() -> None:
    # another chip: the derived usesChip edge and the involvesChip edge inferred from it move
    _edit(SHEET, "value: chip/h100", "value: chip/ascend-910")


def _change_the_confidence() -> None:
    _edit(SHEET, "confidence: medium", "confidence: low")


@pytest.mark.parametrize(
    "change", [_change_the_confidence, _change_a_value, _remove_sheet], ids=lambda f: f.__name__[1:]
)
def test_a_rebuild_carries_the_index_with_exactly_the_new_files_quads(indexed, capsys, change):
    out = indexed / "dist"
    before = _index(out)
    assert before == _files(out)
    change()
    report = _build(capsys)
    assert report["outputs"]["index_carried"] is True
    after = _index(out)
    assert after == _files(out)
    asserted_before, inferred_before = _split(before)
    asserted_after, inferred_after = _split(after)
    assert asserted_before != asserted_after
    if change is not _change_the_confidence:  # the others also change what is inferred
        assert inferred_before != inferred_after
    calls: list = []
    assert len(open_build(out, calls.append)) == after.total()
    assert calls == []  # opened, not made: no "indexing" notice


def test_the_carried_index_answers_as_an_index_made_from_the_files(indexed, capsys, tmp_path):
    _change_a_value()
    _build(capsys)
    out = indexed / "dist"
    carried = Store.read_only(str(out / INDEX_DIR))
    made = Store(str(tmp_path / "made"))
    for name in ("graph.nq", "inferred.nq"):
        made.bulk_load(path=str(out / name), format=RdfFormat.N_QUADS)
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"

    def rows(store: Store) -> list:
        return sorted(_key(row) for row in store.query(query, use_default_graph_as_union=True))

    assert rows(carried) == rows(made)


def test_no_index_is_carried_when_the_previous_build_has_none(project_built, capsys):
    assert not (project_built / "dist" / INDEX_DIR).exists()
    _change_the_confidence()
    report = _build(capsys)
    assert report["checks"]["owl_rl"]["incremental"] is True  # the difference was there to apply
    assert report["outputs"]["index_carried"] is False
    assert not (project_built / "dist" / INDEX_DIR).exists()


def test_a_rebuild_from_scratch_carries_no_index(indexed, capsys):
    """A change to an entity sheet changes the inputs' fingerprint: no line-by-line comparison,
    so no difference to apply. The first query makes the index, as after any full build."""
    _edit("data/entities/places.yaml", "\n", "\n# an edited comment\n")
    report = _build(capsys)
    assert report["outputs"]["index_carried"] is False
    out = indexed / "dist"
    assert not (out / INDEX_DIR).exists()
    calls: list = []
    open_build(out, calls.append)
    assert calls and calls[0] is None


def test_a_record_found_wrong_carries_no_index(indexed, capsys):
    """A graph the record called unchanged has another count: OWL RL runs again over the whole
    store (kg.build), so there is no exact difference to apply."""
    record_path = indexed / "dist" / RECORD_FILE
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["graphs"][graph_iri("doc/inss-2025-02-deepseek-israel")][2] += 1
    record_path.write_text(json.dumps(record), encoding="utf-8")
    report = _build(capsys)
    assert report["fallbacks"] and report["checks"]["owl_rl"]["incremental"] is False
    assert report["outputs"]["index_carried"] is False
    assert not (indexed / "dist" / INDEX_DIR).exists()


class _StoreFailingToExtend:
    """pyoxigraph's Store, except that adding quads fails as a full disk would."""

    read_only = staticmethod(Store.read_only)

    def __init__(self, path: str):
        self._store = Store(path)

    def remove(self, quad) -> None:
        self._store.remove(quad)

    def extend(self, quads) -> None:
        raise OSError(28, "No space left on device")

    def flush(self) -> None:
        self._store.flush()


def test_a_failure_while_changing_the_copy_leaves_no_half_made_index(indexed, capsys, monkeypatch):
    monkeypatch.setattr(store_module, "Store", _StoreFailingToExtend)
    _change_the_confidence()
    report = _build(capsys)
    assert report["checks"]["owl_rl"]["incremental"] is True
    assert report["outputs"]["index_carried"] is False
    out = indexed / "dist"
    assert not (out / INDEX_DIR).exists()
    assert not list(out.resolve().glob(f".{INDEX_DIR}-*"))


def test_a_broken_previous_index_is_left_behind_and_the_build_passes(indexed, capsys):
    index = indexed / "dist" / INDEX_DIR
    for path in index.iterdir():
        if path.name.startswith("MANIFEST") or path.name == "CURRENT":
            path.write_bytes(b"not a manifest")
    _change_the_confidence()
    report = _build(capsys)
    assert report["outputs"]["index_carried"] is False
    out = indexed / "dist"
    assert not (out / INDEX_DIR).exists()
    assert not list(out.resolve().glob(f".{INDEX_DIR}-*"))  # no half-made index left


def test_a_difference_with_a_blank_node_is_not_applied(indexed):
    """A blank node read from a file is a new node: removing it from the index would remove
    nothing. Such a difference is refused, and no index is made."""
    previous, folder = (indexed / "dist").resolve(), indexed / "next-build"
    folder.mkdir()
    line = b'_:b1 <https://w3id.org/aigeo/ontology#note> "x" <https://w3id.org/aigeo/graph/derived> .\n'
    assert carry_index(previous, folder, [line], []) is False
    assert carry_index(previous, folder, [], [line]) is False
    assert list(folder.iterdir()) == []
    assert carry_index(previous, folder, [], []) is True  # nothing to apply: a copy
    assert _index(folder) == _index(previous)
