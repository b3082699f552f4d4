"""Loading every fact sheet: from the sheet cache when unchanged, else read, on several processes
when there are many.

Reading a sheet (YAML, then a dozen quads per claim) is Python work: 2.6 s per 10,000 claims on
one core. Sheets do not depend on each other, so the sheets that missed the cache are read by a
pool of forked processes, each writing its sheet's N-Quads into the cache's scratch folder; this
process loads those files into the store (Oxigraph's parser, outside the GIL) as they arrive and
then makes the one cross-sheet check, two sheets for one document. Hits skip both the reading and,
later, the provenance check (see :mod:`kg.sheetcache`).
"""

from __future__ import annotations

import hashlib
import multiprocessing
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
) -> SheetsLoaded:
    """Load every ``*.yaml`` sheet in ``folder`` into ``store``; record sites in ``assembly``."""
    fingerprints = {s.id: document_fingerprint(s) for s in sources.values() if s.held and not s.broken}
    outputs: list[SheetOutput | Entry] = []
    misses: list[tuple[str, str, str]] = []
    where: list[int] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        display = project_path(path, root)
        try:
            text = read_input(path, display)
        except DataError as exc:
            outputs.append(SheetOutput(display, problems=exc.problems))
            continue
        key = cache.key(display, text)
        entry = cache.lookup(key, fingerprints)
        if entry is None:
            where.append(len(outputs))
            misses.append((display, text, key))
        else:
            store.load(entry.data, format=RdfFormat.N_QUADS)  # checked against its SHA-256
            entry.data = None
        outputs.append(entry or SheetOutput(display, key))
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
