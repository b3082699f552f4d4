"""What a build may take from the build before it, and the record that makes that safe.

A rebuild after one fact sheet changed produces the same ``graph.nq`` as the last build for
every named graph but that sheet's document graph and the graphs computed from the whole store
(the derived and inferred graphs). Dumping and sorting the unchanged graphs again costs about
5 s at 100,000 claims; copying their bytes from the last build's file costs a tenth of a second.

That is sound only when the unchanged graphs are certain to be byte-identical, so every build
writes a record (:data:`RECORD_FILE`) next to its outputs:

- the *fingerprint* of everything a build reads except the fact sheets: aigeo's code and
  version, pyoxigraph's and pycountry's versions (they decide literal forms and the ISO data),
  the ontology, the shapes, the derivation and quality-check queries, and every data file that
  is not a fact sheet (sources and their texts, cited documents, entities);
- the cache key of each document's fact sheet (its path and text with the same context);
- where each graph starts in ``graph.nq``, its length in bytes and its triples, and the file's
  size and modification time.

A graph is copied only when the fingerprint matches, its document's sheet key matches (or it is
no document's graph), the file is as recorded, and the new store holds the same number of
triples in it. Anything else is dumped from the store as a first build would.
tests/test_rebuild.py compares rebuilds with builds from scratch, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from kg.iris import graph_iri
from kg.layout import Layout

RECORD_FILE = "build-inputs.json"
_FORMAT = 1
#: graphs computed from the whole store: never copied
_COMPUTED = frozenset({graph_iri("derived"), graph_iri("inferred")})
#: the key of the default graph in the record (no named graph has an empty IRI)
DEFAULT_GRAPH_KEY = ""


def inputs_fingerprint(layout: Layout) -> str:
    """SHA-256 of every input but the fact sheets, and of the code that reads them."""
    from kg.sheetcache import context_key

    digest = hashlib.sha256(context_key(layout.ontology).encode())
    for package in ("pyoxigraph", "pycountry"):
        digest.update(f"\0{package}={_version(package)}".encode())
    facts = layout.data / "facts"
    folders = [
        (layout.shapes, "shapes"),
        (layout.queries / "construct", "queries/construct"),
        (layout.queries / "qc", "queries/qc"),
        (layout.data, "data"),
    ]
    for folder, name in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if path.parent == facts and path.suffix == ".yaml":
                continue
            digest.update(f"\0{name}/{path.relative_to(folder).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


@dataclass(frozen=True)
class GraphSpan:
    """Where one graph's lines are in ``graph.nq``."""

    offset: int
    length: int
    triples: int


@dataclass
class PreviousBuild:
    """The record of the build a new one follows, read by :func:`read_previous`."""

    folder: Path
    fingerprint: str
    engine: str
    sheets: dict[str, str]
    graphs: dict[str, GraphSpan]
    #: the derived lines that the derivations without a '#+ rerun-for:' line added (kg.derive);
    #: None in a record that does not have them
    derived_whole: list[bytes] | None = None
    #: SHACL's reuse context as a sum (kg.checks.shacl_reuse.context_sum); None if not recorded
    shacl_context_sum: int | None = None
    #: SHACL's context (kg.checks.shacl_reuse.context_fingerprint) if SHACL found nothing at
    #: all in that build; else None
    shacl_clean: str | None = None

    def lines(self, asserted_file: str, key: str) -> list[bytes]:
        """The lines of one graph in the build's ``asserted_file``, in the file's order."""
        span = self.graphs.get(key)
        if span is None:
            return []
        with (self.folder / asserted_file).open("rb") as f:
            f.seek(span.offset)
            return f.read(span.length).splitlines(keepends=True)

    def reusable(self, fingerprint: str, engine: str, sheets: dict[str, str]) -> set[str]:
        """The graphs whose lines can be copied, for a build with these inputs.

        Empty unless the fingerprint and engine match. A document's graph is left out when its
        sheet's key changed, or the sheet is new or gone.
        """
        if fingerprint != self.fingerprint or engine != self.engine:
            return set()
        changed = {
            graph_iri(f"doc/{doc}")
            for doc in set(sheets) | set(self.sheets)
            if sheets.get(doc) != self.sheets.get(doc)
        }
        return set(self.graphs) - changed - _COMPUTED


def read_previous(folder: Path | None, asserted_file: str) -> PreviousBuild | None:
    """The record in a finished build ``folder``; None if there is none, it is of another format,
    or ``asserted_file`` is not the size and age the record says (it was changed since)."""
    if folder is None:
        return None
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
        if record.get("format") != _FORMAT:
            return None
        stat = (folder / asserted_file).stat()
        if [stat.st_size, stat.st_mtime_ns] != record["file"]:
            return None
        return PreviousBuild(
            folder=folder,
            fingerprint=record["fingerprint"],
            engine=record["engine"],
            sheets=dict(record["sheets"]),
            graphs={iri: GraphSpan(*span) for iri, span in record["graphs"].items()},
            derived_whole=(
                [line.encode() for line in record["derived_whole"]] if "derived_whole" in record else None
            ),
            shacl_context_sum=(
                int(record["shacl_context_sum"], 16) if record.get("shacl_context_sum") is not None else None
            ),
            shacl_clean=record.get("shacl_clean"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_record(
    folder: Path,
    asserted_file: str,
    fingerprint: str,
    engine: str,
    sheets: dict[str, str],
    graphs: dict[str, GraphSpan],
    derived_whole: list[bytes],
    shacl_context_sum: int | None,
    shacl_clean: str | None = None,
) -> None:
    """Write the record of the build in ``folder``, after ``asserted_file`` is complete.

    ``derived_whole``, ``shacl_context_sum``, ``shacl_clean``: see :class:`PreviousBuild`.
    """
    stat = (folder / asserted_file).stat()
    record = {
        "format": _FORMAT,
        "fingerprint": fingerprint,
        "engine": engine,
        "file": [stat.st_size, stat.st_mtime_ns],
        "sheets": dict(sorted(sheets.items())),
        "graphs": {iri: [s.offset, s.length, s.triples] for iri, s in graphs.items()},
        "derived_whole": [line.decode() for line in derived_whole],
        "shacl_context_sum": None if shacl_context_sum is None else f"{shacl_context_sum:064x}",
        "shacl_clean": shacl_clean,
    }
    (folder / RECORD_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def copy_range(source: int, target: int, offset: int, length: int) -> None:
    """Append ``length`` bytes of file descriptor ``source`` from ``offset`` to ``target``.

    ``os.copy_file_range`` copies inside the kernel (465 MB in 0.13 s here); where it is missing
    or refuses (another file system, an old kernel), the bytes go through this process.
    """
    copy = getattr(os, "copy_file_range", None)
    while length > 0:
        try:
            if copy is None:
                raise OSError
            done = copy(source, target, length, offset)
        except OSError:
            done = os.write(target, os.pread(source, min(length, 1 << 24), offset))
        if done <= 0:
            raise OSError(f"could not copy {length} bytes from the previous build")
        offset += done
        length -= done


@dataclass
class Change:
    """How the asserted store differs from the previous build's, graph by graph.

    Graphs the record vouches for (:meth:`PreviousBuild.reusable`) are taken as unchanged; every
    other graph, of either build, is dumped and compared line by line with its lines in the
    previous ``graph.nq``.
    """

    prior: PreviousBuild
    #: N-Quads lines only the new store has, and lines only the previous build had
    added: list[bytes]
    removed: list[bytes]
    #: the sorted N-Quads of each graph compared, by graph key (the write stage reuses them)
    dumps: dict[str, bytes]
    #: the graphs taken as unchanged, with their triple counts in the previous build
    unchanged: dict[str, int]


def compare(
    prior: PreviousBuild,
    reusable: set[str],
    dumps: dict[str, bytes],
    asserted_file: str,
    skip: frozenset[str] | set[str] = frozenset(),
) -> Change:
    """The :class:`Change` between ``prior`` and a store whose non-reusable graphs dumped to
    ``dumps``; the graphs in ``skip`` are left out (compared later, or not at all)."""
    added: list[bytes] = []
    removed: list[bytes] = []
    with (prior.folder / asserted_file).open("rb") as f:
        for key in sorted((set(dumps) | (set(prior.graphs) - reusable)) - skip):
            span = prior.graphs.get(key)
            old = set()
            if span is not None:
                f.seek(span.offset)
                old = set(f.read(span.length).splitlines(keepends=True))
            new = set(dumps.get(key, b"").splitlines(keepends=True))
            added.extend(sorted(new - old))
            removed.extend(sorted(old - new))
    unchanged = {key: prior.graphs[key].triples for key in reusable if key not in dumps}
    return Change(prior, added, removed, dumps, unchanged)
