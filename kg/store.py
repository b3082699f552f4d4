"""The embedded default store: the build's output in a pyoxigraph store, queried in-process.

pyoxigraph answers SPARQL in-process with no server. A small build (the curated one) is loaded
into memory in milliseconds (docs/decisions/20261123-embedded-store.md). A large one would take
seconds on every query, so the first query indexes it once into an on-disk store inside the
build folder, and later queries open that read-only (docs/decisions/20261123-fast-paths.md).
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Store, parse

from kg.iris import AIGEO_NS, ID, PREFIXES
from kg.output import current_build
from kg.problems import UsageError
from kg.queries import Param
from kg.safety import check_query

BUILD_FILES = ("graph.nq", "inferred.nq")
INDEX_DIR = "index"
#: the asserted graphs alone, made with the index; a rebuild starts from a copy (kg.ondisk)
ASSERTED_DIR = "asserted"
#: the size and modification time of the ``graph.nq`` the asserted store holds
ASSERTED_MARKER = "asserted.json"
#: Builds whose N-Quads are larger than this are queried through an on-disk index. Loading into
#: memory costs about 2 s per 100 MB; opening the index, a few milliseconds, but each lookup is
#: slower. At 10,000 claims (58 MiB) every question was faster from the index (0.3-1.8 s against
#: 1.6-2.1 s); at 1,000 (10 MiB) loading takes 0.15 s. See docs/decisions/20261123-fast-paths.md.
INDEX_ABOVE_BYTES = 16 * 2**20


def open_build(out: Path, indexing: Callable[[float | None], None] | None = None) -> Store:
    """The current build in ``out`` as a store: in memory if small, else its read-only index.

    The index is made on first use, in a temporary folder renamed into place, so that two
    processes opening a new build at once do not see half an index. Where the build folder
    cannot be written, the build is loaded into memory instead. ``indexing(None)`` is called
    when making the index starts and ``indexing(seconds)`` when it is done (half a minute at
    100,000 claims: a user at a terminal should know why the first query waits).

    Raises:
        UsageError: there is no complete build in ``out``.
    """
    folder = current_build(out)
    if folder is None:
        raise UsageError(f"no build in {out}; run 'kg build' first")
    size = sum((folder / name).stat().st_size for name in BUILD_FILES)
    if size > INDEX_ABOVE_BYTES:
        index = folder / INDEX_DIR
        try:
            if not index.is_dir():
                started = time.perf_counter()
                if indexing:
                    indexing(None)
                _make_index(folder, index)
                if indexing:
                    indexing(time.perf_counter() - started)
            return Store.read_only(str(index))
        except OSError:
            pass
    store = Store()
    for name in BUILD_FILES:
        store.bulk_load(path=str(folder / name), format=RdfFormat.N_QUADS)
    return store


def _make_index(folder: Path, index: Path) -> None:
    """Make the build's stores: :data:`ASSERTED_DIR` from ``graph.nq``, then ``index`` from a
    copy of it with ``inferred.nq`` added. Each is made under a temporary name and renamed.

    The asserted store is what a later rebuild starts from (:mod:`kg.ondisk`). Making both
    costs about what the index alone did (25 s against 21-28 s at 100,000 claims), because the
    copy is a RocksDB checkpoint of hard links and only the inferred graph is loaded again.
    """
    asserted = folder / ASSERTED_DIR
    if asserted_store(folder) is None:  # none, or one of a graph.nq changed since
        shutil.rmtree(asserted, ignore_errors=True)
        graph = str(folder / BUILD_FILES[0])
        _made(asserted, lambda disk: disk.bulk_load(path=graph, format=RdfFormat.N_QUADS))
        mark_asserted(folder)

    def add_inferred(partial: Path) -> None:
        Store.read_only(str(asserted)).backup(str(partial))

    def fill(disk: Store) -> None:
        disk.bulk_load(path=str(folder / BUILD_FILES[1]), format=RdfFormat.N_QUADS)
        disk.optimize()

    _made(index, fill, add_inferred)


def _made(target: Path, fill: Callable[[Store], None], start: Callable[[Path], None] | None = None) -> None:
    """Make the store ``target`` under a temporary name: ``start(partial)`` (or nothing) makes
    the folder, ``fill`` adds to it; then rename, unless another process made it first."""
    partial = target.parent / f".{target.name}-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        if start is not None:
            start(partial)
        disk = Store(str(partial))
        fill(disk)
        del disk  # closes the database before it is renamed
        try:
            partial.rename(target)
        except OSError:
            if not target.is_dir():  # else another process finished first: use theirs
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def mark_asserted(folder: Path) -> None:
    """Note which ``graph.nq`` the asserted store holds: its size and modification time."""
    stat = (folder / BUILD_FILES[0]).stat()
    marker = folder / ASSERTED_MARKER
    partial = marker.with_name(f".{marker.name}-{os.getpid()}")
    partial.write_text(json.dumps([stat.st_size, stat.st_mtime_ns]) + "\n", encoding="utf-8")
    partial.replace(marker)


def asserted_store(folder: Path) -> Path | None:
    """The build's asserted store, if it has one and it holds the build's ``graph.nq``."""
    try:
        stat = (folder / BUILD_FILES[0]).stat()
        marker = json.loads((folder / ASSERTED_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if marker != [stat.st_size, stat.st_mtime_ns] or not (folder / ASSERTED_DIR).is_dir():
        return None
    return folder / ASSERTED_DIR


def carry_index(previous: Path, folder: Path, removed: list[bytes], added: list[bytes]) -> bool:
    """Give the build being written in ``folder`` an index, from the index of the ``previous``
    build; return whether it did.

    ``removed`` and ``added`` are the N-Quads lines in which the new build's files differ from
    the previous build's. The previous index is copied (a RocksDB checkpoint: hard links, a few
    milliseconds), then changed by those lines. Making an index from the files takes half a
    minute at 100,000 claims; this, well under a second, so the first query after a rebuild
    does not wait. Nothing is carried, and False returned, when the previous build has no
    index (no query opened it) or when copying or changing it fails: the first query then
    makes one, as after any build.
    """
    return copy_changed(previous / INDEX_DIR, folder / INDEX_DIR, removed, added)


def carry_asserted(previous: Path, folder: Path, removed: list[bytes], added: list[bytes]) -> bool:
    """As :func:`carry_index`, for the asserted store (:data:`ASSERTED_DIR`), changed by the
    lines in which the two builds' ``graph.nq`` differ. ``folder``'s ``graph.nq`` must be
    written: the store is marked as holding it."""
    source = asserted_store(previous)
    if source is None or not copy_changed(source, folder / ASSERTED_DIR, removed, added):
        return False
    mark_asserted(folder)
    return True


def copy_changed(source: Path, target: Path, removed: list[bytes], added: list[bytes]) -> bool:
    """Copy the store ``source`` to ``target``, less the N-Quads lines ``removed`` and with
    ``added``; return whether it did. False, with nothing left at ``target``, when ``source``
    is missing, a line has a blank node, or copying or changing fails."""
    if not source.is_dir():
        return False
    partial = target.parent / f".{target.name}-{os.getpid()}"
    try:
        gone, new = _quads(removed), _quads(added)
        if gone is None or new is None:
            return False
        Store.read_only(str(source)).backup(str(partial))
        disk = Store(str(partial))
        try:
            for quad in gone:
                disk.remove(quad)
            disk.extend(new)
            disk.flush()
        finally:
            del disk  # closes the database: before the rename, and before a failed copy is removed
        partial.rename(target)
        return True
    # RocksDB reports a damaged database as a RuntimeError; SyntaxError: lines that do not parse
    except (OSError, RuntimeError, SyntaxError):
        shutil.rmtree(partial, ignore_errors=True)
        return False


def _quads(lines: list[bytes]) -> list[Quad] | None:
    """The quads of N-Quads ``lines``; None if one has a blank node, which names a different
    node each time a file is read, so it cannot be found in the index to be removed."""
    quads = list(parse(b"".join(lines), format=RdfFormat.N_QUADS)) if lines else []
    for q in quads:
        if any(isinstance(t, BlankNode) for t in (q.subject, q.object, q.graph_name)):
            return None
    return quads


def embedded_runner(store: Store):
    """A function that runs a query on ``store`` over the union of its graphs.

    Every query is checked first (:func:`kg.safety.check_query`), whoever calls: pyoxigraph would
    otherwise follow a ``SERVICE`` or ``LOAD`` to the network.

    Raises:
        UsageError: (from the function) the query uses SERVICE, LOAD, FROM or an update.
    """

    def run(text: str):
        check_query(text)
        return store.query(text, use_default_graph_as_union=True)

    return run


class EntityResolver:
    """Finds the entity a user means by an IRI, a CURIE, a key, an ISO code or any label.

    ``run`` takes query text and returns solutions (the embedded store, or a remote endpoint).
    """

    def __init__(self, run):
        self.run = run
        self._index: dict[str, dict[str, set[str]]] = {}

    def _property_names(self) -> dict[str, set[str]]:
        if "#property" not in self._index:
            q = f"""
                PREFIX owl: <http://www.w3.org/2002/07/owl#>
                PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
                PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
                SELECT DISTINCT ?e ?name WHERE {{
                  VALUES ?kind {{ owl:ObjectProperty owl:DatatypeProperty rdf:Property }}
                  ?e a ?kind .
                  FILTER(STRSTARTS(STR(?e), "{AIGEO_NS}"))
                  {{ ?e rdfs:label ?name }} UNION {{ BIND(STRAFTER(STR(?e), "#") AS ?name) }}
                }}"""
            names: dict[str, set[str]] = {}
            for row in self.run(q):
                if row["name"] is not None:
                    names.setdefault(row["name"].value.casefold(), set()).add(row["e"].value)
            self._index["#property"] = names
        return self._index["#property"]

    def _names(self, cls: str | None, narrow: str = "") -> dict[str, set[str]]:
        """Every name of every entity of ``cls`` (casefolded), with the entities it names.

        ``narrow``: a SPARQL filter that keeps a superset of the rows wanted (not cached).
        """
        key = cls or ""
        if narrow or key not in self._index:
            class_iri = AIGEO_NS + cls if cls else None
            pattern = f"?e a <{class_iri}> ." if class_iri else f'FILTER(STRSTARTS(STR(?e), "{ID}"))'
            # documents answer to their id and title as well as to labels
            q = f"""
                PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
                PREFIX dcterms: <http://purl.org/dc/terms/>
                PREFIX aigeo: <{AIGEO_NS}>
                SELECT DISTINCT ?e ?name WHERE {{
                  {{ ?e skos:prefLabel|skos:altLabel|skos:notation|aigeo:iso2|aigeo:iso3 ?name }}
                  UNION {{ ?e dcterms:title ?name }}
                  UNION
                  {{ ?e a aigeo:Document . BIND(STRAFTER(STR(?e), "{ID}doc/") AS ?name) }}
                  {pattern}
                  {narrow}
                }}"""
            names: dict[str, set[str]] = {}
            for row in self.run(q):
                names.setdefault(row["name"].value.casefold(), set()).add(row["e"].value)
            if narrow:
                return names
            self._index[key] = names
        return self._index[key]

    def _named(self, text: str, cls: str | None) -> set[str]:
        """The entities of ``cls`` with a name equal to ``text`` but for case (casefolded).

        Asks only for the names that can match rather than for all of them (0.4 s at 100,000
        claims): an ASCII name matches when its lower case equals the text's casefold, which
        SPARQL's LCASE can test; other names (Hebrew, Arabic, ß, ligatures) are all fetched and
        casefolded here, so the answer is exactly that of the whole index.
        """
        folded = text.casefold()
        narrow = f'FILTER(LCASE(STR(?name)) = {Literal(folded)} || REGEX(STR(?name), "[^ -~]"))'
        return self._names(cls, "" if (cls or "") in self._index else narrow).get(folded, set())

    def _is_member(self, iri: str, cls: str | None) -> bool:
        """Whether ``iri`` is an entity of ``cls`` with a name (as in the whole index)."""
        if (cls or "") in self._index:
            return any(iri in found for found in self._index[cls or ""].values())
        try:
            narrow = f"FILTER(?e = {NamedNode(iri)})"
        except ValueError:
            return False
        return bool(self._names(cls, narrow))

    def resolve(self, text: str, param: Param) -> NamedNode:
        """The entity of the parameter's class that ``text`` names.

        Raises:
            UsageError: no entity or more than one matches; the message lists close names.
        """
        text = text.strip()
        iri = self._as_iri(text)
        if param.type != "property":
            if iri is not None and self._is_member(iri, param.cls):
                return NamedNode(iri)
            hits = self._named(text, param.cls) if iri is None else set()
            if len(hits) == 1:
                return NamedNode(next(iter(hits)))
        names = self._property_names() if param.type == "property" else self._names(param.cls)
        members = set().union(*names.values()) if names else set()
        if iri is not None:
            if iri in members:
                return NamedNode(iri)
            raise UsageError(f"parameter {param.name}: {text!r} is not a known {param.cls or 'entity'}")
        hits = names.get(text.casefold(), set())
        if len(hits) == 1:
            return NamedNode(next(iter(hits)))
        what = "property" if param.type == "property" else (param.cls or "entity")
        if len(hits) > 1:
            listed = ", ".join(sorted(h[len(str(ID)) :] for h in hits))
            raise UsageError(f"parameter {param.name}: {text!r} names more than one {what}: {listed}")
        near = difflib.get_close_matches(text.casefold(), list(names), n=5, cutoff=0.5)
        hint = f"; closest: {', '.join(near)}" if near else ""
        raise UsageError(f"parameter {param.name}: unknown {what} {text!r}{hint}")

    @staticmethod
    def _as_iri(text: str) -> str | None:
        if text.startswith(("http://", "https://")):
            return text
        prefix, sep, local = text.partition(":")
        if sep and prefix in PREFIXES and not local.startswith("//"):
            return PREFIXES[prefix] + local
        if "/" in text and " " not in text:
            return str(ID) + text
        return None
