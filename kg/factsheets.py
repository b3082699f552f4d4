"""Loading every fact sheet: from the sheet cache when unchanged, else read, on several processes
when there are many.

Reading a sheet (YAML, then a dozen quads per claim) is Python work: 2.6 s per 10,000 claims on
one core. Sheets do not depend on each other, so the sheets that missed the cache are read by a
pool of forked processes, each writing its sheet's N-Quads into the cache's scratch folder; this
process loads those files into the store (Oxigraph's parser, outside the GIL) as they arrive and
then makes the one cross-sheet check, two sheets for one document. Hits skip both the reading and,
later, the provenance check (see :mod:`kg.sheetcache`).

Whether a cache entry may be used depends on its document's text, so on the source records,
which the build reads first. Loading the entries' N-Quads does not: :class:`PendingSheets` reads
the sheets, finds their entries and loads them into the store on a thread while the build reads
the sources and entities. An entry whose document turns out to have changed is taken out again.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, Store, serialize

from kg.assembly import Assembly
from kg.claims import SheetOutput, read_fact_sheet
from kg.concurrency import query_threads
from kg.inputfile import read_input
from kg.iris import graph_iri
from kg.problems import DataError, Problem
from kg.sheetcache import Entry, SheetCache, document_fingerprint
from kg.sheets import project_path
from kg.sources import Source
from kg.vocabulary import Vocabulary

#: Below this many sheets to read, starting processes costs more than it saves.
PROCESSES_FROM_SHEETS = 32


@dataclass
class SheetsLoaded:
    """What :func:`load_fact_sheets` loaded."""

    claims: int = 0
    #: documents whose sheets came from the cache
    reused: set[str] = field(default_factory=set)
    #: documents whose claims' quotes are verified: by the reading processes, or by the build
    #: that made the cache entry
    verified: set[str] = field(default_factory=set)
    #: quotes the reading processes checked
    quotes_checked: int = 0
    #: document id -> cache key of its sheet, for every sheet loaded
    keys: dict[str, str] = field(default_factory=dict)


@dataclass
class _Sheet:
    """A fact sheet as found before the sources are read: its text and cache key, or why it cannot
    be read; and its cache entry, if it has one, whose quads are in the store already."""

    display: str
    text: str | None = None
    key: str | None = None
    entry: Entry | None = None
    problems: list[Problem] | None = None


class PendingSheets:
    """The ``*.yaml`` sheets in ``folder`` being read and looked up in the cache on a thread, each
    entry found loaded into ``store``.

    Oxigraph loads outside the GIL, so this overlaps the reading of source records and entities
    (at 100,000 claims, 6.8 s of loading). Nothing else may use ``store`` until :meth:`result`
    returns; :meth:`close` stops the thread early (a build failing meanwhile), and is a no-op once
    it has finished.
    """

    def __init__(self, folder: Path, root: Path, store: Store, cache: SheetCache):
        self._sheets: list[_Sheet] = []
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(folder, root, store, cache), name="aigeo-sheet-cache", daemon=True
        )
        self._thread.start()

    def _run(self, folder: Path, root: Path, store: Store, cache: SheetCache) -> None:
        try:
            for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
                if self._stop.is_set():
                    return
                self._sheets.append(_look_up(path, root, store, cache))
        except BaseException as exc:  # raised again by result(), in the build's thread
            self._error = exc

    def result(self) -> list[_Sheet]:
        """Every sheet, in file-name order, once all are read and their entries loaded."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._sheets

    def close(self) -> None:
        """Stop reading and wait for the sheet being loaded."""
        self._stop.set()
        self._thread.join()


def _look_up(path: Path, root: Path, store: Store, cache: SheetCache) -> _Sheet:
    display = project_path(path, root)
    try:
        text = read_input(path, display)
    except DataError as exc:
        return _Sheet(display, problems=exc.problems)
    key = cache.key(display, text)
    entry = cache.read(key)  # its N-Quads checked against their SHA-256
    if entry is not None:
        store.load(entry.data, format=RdfFormat.N_QUADS)
        entry.data = None
    return _Sheet(display, text, key, entry)


# What the forked readers need; set before the pool forks, so it is shared, not pickled.
_shared: tuple[dict[str, Source], Vocabulary, Path] | None = None


def load_fact_sheets(
    folder: Path,
    root: Path,
    sources: dict[str, Source],
    vocab: Vocabulary,
    assembly: Assembly,
    problems: list[Problem],
    store: Store,
    cache: SheetCache,
    pending: PendingSheets | None = None,
) -> SheetsLoaded:
    """Load every ``*.yaml`` sheet in ``folder`` into ``store``; record sites in ``assembly``.

    ``pending``: the same sheets started with :class:`PendingSheets` on ``store`` and ``cache``.
    """
    sheets = (pending or PendingSheets(folder, root, store, cache)).result()
    fingerprints = {s.id: document_fingerprint(s) for s in sources.values() if s.held and not s.broken}
    outputs: list[SheetOutput | Entry] = []
    misses: list[tuple[str, str, str]] = []
    where: list[int] = []
    for sheet in sheets:
        if sheet.problems:
            outputs.append(SheetOutput(sheet.display, problems=sheet.problems))
            continue
        entry = sheet.entry
        if entry is not None and not cache.usable(entry, fingerprints):
            # Its document changed, so its quads go, and the sheet is read again. Before the
            # sources' own quads are added, a document's graph holds only what sheets for that
            # document put there; and two sheets for one document fail the build (below).
            store.remove_graph(NamedNode(graph_iri(f"doc/{entry.document}")))
            entry = None
        if entry is None:
            where.append(len(outputs))
            misses.append((sheet.display, sheet.text, sheet.key))
        outputs.append(entry or SheetOutput(sheet.display, sheet.key))
    for index, out in zip(where, _read_all(misses, sources, vocab, cache.scratch), strict=True):
        outputs[index] = out
        if out.nquads is not None:
            # while the readers go on; a sheet that fails a check below fails the build anyway
            store.load(path=out.nquads, format=RdfFormat.N_QUADS)

    loaded = SheetsLoaded()
    sheet_of: dict[str, str] = {}
    for out in outputs:
        if out.document is not None:
            if out.document in sheet_of:
                # two sheets would mint the same claim IRIs and merge claims silently
                problems.append(
                    Problem(
                        out.display,
                        out.document_line,
                        f"document {out.document!r} already has a fact sheet: {sheet_of[out.document]}",
                    )
                )
                continue
            sheet_of[out.document] = out.display
        if isinstance(out, SheetOutput) and out.problems:
            problems.extend(out.problems)
            continue
        if out.nquads is None:
            continue
        for iri, file, line in out.sites:
            assembly.define(iri, file, line)
        assembly.references.extend(out.references)
        loaded.claims += out.claims
        loaded.verified.add(out.document)
        loaded.keys[out.document] = out.key
        if isinstance(out, Entry):
            loaded.reused.add(out.document)
        else:
            loaded.quotes_checked += out.quotes_checked
            cache.stage(Entry.of(out, fingerprints[out.document]))
    return loaded


def _read_all(
    jobs: list[tuple[str, str, str]], sources: dict[str, Source], vocab: Vocabulary, scratch: Path
) -> Iterator[SheetOutput]:
    """Read the sheets ``(display, text, key)``; yield each output, in order, as it is ready.

    On processes when there are many sheets.
    """
    global _shared
    _shared = (sources, vocab, scratch)
    try:
        processes = query_threads()
        if processes == 1 or len(jobs) < PROCESSES_FROM_SHEETS:
            yield from map(_read_one, jobs)
            return
        # fork: the readers share sources and vocabulary with this process instead of pickling them
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            yield from pool.map(_read_one, jobs, chunksize=max(1, len(jobs) // (processes * 8)))
    finally:
        _shared = None


def _check_quotes(out: SheetOutput, quads: list, source: Source) -> tuple[int, list[Problem]]:
    """The provenance check (:mod:`kg.checks.provenance`) on this sheet's claims alone, here on
    the reading process rather than over the whole store later: the sheet's graph then counts
    as verified, as a cache hit does."""
    from kg.checks.provenance import check_provenance

    own = Store()
    own.extend(quads)
    sites = Assembly()
    for iri, file, line in out.sites:
        sites.define(iri, file, line)
    checked, problems = check_provenance(own, {source.id: source}, sites)
    return checked, [p for p in problems if p.focus != f"doc/{source.id}"]  # the hash is checked later


def _read_one(job: tuple[str, str, str]) -> SheetOutput:
    display, text, key = job
    sources, vocab, scratch = _shared
    out, quads = read_fact_sheet(display, text, sources, vocab)
    out.key = key
    if not out.problems and out.document is not None:
        out.quotes_checked, problems = _check_quotes(out, quads, sources[out.document])
        out.problems.extend(problems)
    if not out.problems and out.document is not None:  # else the sheet is not loaded
        data = serialize(quads, format=RdfFormat.N_QUADS)
        out.nquads, out.nquads_sha256 = scratch / f"{key}.nq", hashlib.sha256(data).hexdigest()
        out.nquads.write_bytes(data)
    return out
