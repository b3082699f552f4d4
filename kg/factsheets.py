"""Loading every fact sheet: from the sheet cache when unchanged, else read, on several processes
when there are many.

Reading a sheet (YAML, then a dozen quads per claim) is Python work: 2.6 s per 10,000 claims on
one core. Sheets do not depend on each other, so the sheets that missed the cache are read by a
pool of forked processes, each writing its sheet's N-Triples into the cache's scratch folder; this
process loads those files into the store (Oxigraph's parser, outside the GIL) as they arrive and
then makes the one cross-sheet check, two sheets for one document. Hits skip both the reading and,
later, the provenance check (see :mod:`kg.sheetcache`).

Whether a cache entry may be used depends on its document's text, so on the source records,
which the build reads first. Loading the entries' N-Triples does not: :class:`PendingSheets` reads
the sheets, finds their entries and loads them into the store on a thread while the build reads
the sources and entities. An entry whose document turns out to have changed is taken out again.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import RdfFormat, Store, serialize

from kg.assembly import Assembly
from kg.claims import SheetOutput, read_fact_sheet
from kg.concurrency import query_threads
from kg.inputfile import read_input
from kg.problems import DataError, Problem
from kg.sheetcache import Entry, SheetCache, document_fingerprint
from kg.sheets import project_path
from kg.sources import Source, document_graph
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
    """The ``*.yaml`` sheets in ``folder`` being read and looked up in the cache on one thread,
    and each entry found loaded into ``store`` on another.

    Oxigraph loads outside the GIL, so this overlaps the reading of source records and entities
    (at 100,000 claims, 6.8 s of loading). Reading the entries and checking their SHA-256 (1.4 s
    there) overlaps the loading in turn. Nothing else may use ``store`` until :meth:`result`
    returns; :meth:`close` stops both threads early (a build failing meanwhile), and is a no-op
    once they have finished.
    """

    def __init__(self, folder: Path, root: Path, store: Store, cache: SheetCache):
        self._sheets: list[_Sheet] = []
        self._error: BaseException | None = None
        self._stop = threading.Event()
        # bounded: the reader stays at most this many entries (about 200 KiB each) ahead
        self._found: queue.Queue[_Sheet | None] = queue.Queue(maxsize=64)
        self._threads = [
            threading.Thread(target=self._read, args=(folder, root, cache), name="sheet-read", daemon=True),
            threading.Thread(target=self._load, args=(store,), name="sheet-load", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read(self, folder: Path, root: Path, cache: SheetCache) -> None:
        try:
            for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
                if self._stop.is_set():
                    return
                self._put(_look_up(path, root, cache))
        except BaseException as exc:  # raised again by result(), in the build's thread
            self._error = exc
        finally:
            self._put(None)

    def _put(self, sheet: _Sheet | None) -> None:
        while not self._stop.is_set():
            try:
                self._found.put(sheet, timeout=0.1)
                return
            except queue.Full:
                continue

    def _load(self, store: Store) -> None:
        try:
            while (sheet := self._found.get()) is not None:
                if self._stop.is_set():
                    return
                entry = sheet.entry
                if entry is not None:
                    graph = document_graph(entry.document)
                    store.load(entry.data, format=RdfFormat.N_TRIPLES, to_graph=graph)
                    entry.data = None
                self._sheets.append(sheet)
        except BaseException as exc:
            self._error = exc
            self._stop.set()  # the reader waits on a full queue no longer

    def result(self) -> list[_Sheet]:
        """Every sheet, in file-name order, once all are read and their entries loaded."""
        for thread in self._threads:
            thread.join()
        if self._error is not None:
            raise self._error
        return self._sheets

    def close(self) -> None:
        """Stop reading and wait for the sheet being loaded."""
        self._stop.set()
        with contextlib.suppress(queue.Empty):
            while True:  # make room for the reader's last put; wake the loader
                self._found.get_nowait()
        with contextlib.suppress(queue.Full):
            self._found.put_nowait(None)
        for thread in self._threads:
            thread.join()


def _look_up(path: Path, root: Path, cache: SheetCache) -> _Sheet:
    """The sheet's text and key, and its cache entry with the entry's N-Triples read and checked."""
    display = project_path(path, root)
    try:
        text = read_input(path, display)
    except DataError as exc:
        return _Sheet(display, problems=exc.problems)
    key = cache.key(display, text)
    return _Sheet(display, text, key, cache.read(key))


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
            store.remove_graph(document_graph(entry.document))
            entry = None
        if entry is None:
            where.append(len(outputs))
            misses.append((sheet.display, sheet.text, sheet.key))
        outputs.append(entry or SheetOutput(sheet.display, sheet.key))
    for index, out in zip(where, _read_all(misses, sources, vocab, cache.scratch), strict=True):
        outputs[index] = out
        if out.ntriples is not None:
            # while the readers go on; a sheet that fails a check below fails the build anyway
            store.load(path=out.ntriples, format=RdfFormat.N_TRIPLES, to_graph=document_graph(out.document))

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
        if out.ntriples is None:
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
        graph = document_graph(out.document)
        if any(q.graph_name != graph for q in quads):
            raise AssertionError(f"{display}: a claim's quad outside {graph}")  # kg.claims puts none there
        data = serialize([q.triple for q in quads], format=RdfFormat.N_TRIPLES)
        out.ntriples, out.ntriples_sha256 = scratch / f"{key}.nt", hashlib.sha256(data).hexdigest()
        out.ntriples.write_bytes(data)
    return out
