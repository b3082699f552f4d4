"""A rebuild on a copy of the previous build's on-disk store, when only fact sheets changed.

A rebuild in memory loads every unchanged sheet's quads from the sheet cache: 2.24 million
quads and about 8 s at 100,000 claims, whatever the change. The previous build's asserted
store (:data:`kg.store.ASSERTED_DIR`, made with its query index by the first ``kg query``, and
carried by each rebuild since) already holds them. So when

- the previous build has that store, holding its ``graph.nq`` (:func:`kg.store.asserted_store`),
  a query index, and the inputs it read besides the sheets (:mod:`kg.inputcache`);
- its record's inputs fingerprint equals this build's (no input but fact sheets changed) and
  its engine was ``fast``;

a rebuild copies that store (a RocksDB checkpoint: hard links, milliseconds) and works there:

- **parse** hashes every sheet, reads only those whose key is not in the previous record, and
  makes their documents' graphs again from the sheet's triples and the sources' quads;
- **provenance** reads only the graphs of documents not verified (none, or the changed ones);
- **derive** removes the previous derived triples about the change's subjects and derives
  those again (:func:`kg.derive.run_constructs` with ``held``);
- **SHACL** and **OWL RL** run as in memory, from the difference with the previous build;
- **QC** runs on a copy of the previous query index changed by the asserted and inferred
  difference, which becomes the new build's index; the asserted copy becomes its asserted store;
- the report's counts are the previous build's, changed by the difference.

Anything unusual makes it give up (:class:`NotOnDisk`) and the build runs in memory from the
start, as it would without the store: a problem found (so that the problems a user sees, and
where they point, are those of a build in memory), a sheet naming a document another sheet
has, a change too large to work from, a blank node in it, or a previous build replaced while
this one ran. The report's ``fallbacks`` says why. tests/test_ondisk.py compares rebuilds on
disk with builds from scratch, byte for byte and count for count.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, Store

from kg.build import (
    ASSERTED_FILE,
    REPORT_FILE,
    BuildState,
    _add_inferred,
    _change,
    _fail,
    _infer,
    _inputs_report,
    _parsed,
    _previous_derived,
    _provenance,
    _shacl,
    _with_derived,
)
from kg.concurrency import folder_owner_alive
from kg.derive import DERIVED_GRAPH, run_constructs
from kg.factsheets import SheetsLoaded, _read_all
from kg.inputcache import Inputs, read_inputs
from kg.inputfile import read_input
from kg.iris import CLAIMS, ID
from kg.namespaces import AIGEO
from kg.output import builds_dir, current_build
from kg.previous import DEFAULT_GRAPH_KEY, PreviousBuild, read_previous
from kg.problems import Problem
from kg.sheetcache import Entry, document_fingerprint
from kg.sheets import project_path
from kg.sources import document_graph
from kg.store import ASSERTED_DIR, INDEX_DIR, asserted_store, copy_changed, mark_asserted


class NotOnDisk(Exception):
    """Why a rebuild on disk gave up; the build then runs in memory."""


@dataclass
class Base:
    """The previous build a rebuild on disk starts from."""

    folder: Path
    record: PreviousBuild
    inputs: Inputs
    #: its report's counts
    counts: dict


def base(state: BuildState) -> Base | None:
    """The previous build, if a rebuild on disk can start from it (see the module's docstring)."""
    folder = current_build(state.layout.out)
    record = read_previous(folder, ASSERTED_FILE)
    if record is None or record.engine != "fast" or record.fingerprint != state.fingerprint:
        return None
    if asserted_store(folder) is None or not (folder / INDEX_DIR).is_dir():
        return None
    if record.derived_whole is None or record.shacl_context_sum is None:
        return None
    inputs = read_inputs(folder, state.fingerprint)
    if inputs is None:
        return None
    try:
        counts = json.loads((folder / REPORT_FILE).read_text(encoding="utf-8"))["counts"]
        per_graph = counts["triples_per_graph"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    # The two files come from one build; if they disagree, neither can be taken as it stands
    # (the build in memory then checks the record against the store it loads).
    if any(span.triples != per_graph.get(key, 0) for key, span in record.graphs.items() if key):
        return None
    return Base(folder, record, inputs, counts)


@dataclass
class OnDisk:
    """The stores a rebuild on disk works in, in a scratch folder next to the builds."""

    work: Path
    #: the previous build's folder
    start: Path
    #: the query index, once carried (before QC)
    index: Store | None = None
    stores: list[str] = field(default_factory=list)

    def place(self, state: BuildState, folder: Path, exact: bool) -> bool:
        """Move the stores into the new build ``folder``; return whether they went there
        (not when the files were not written as exactly the difference: ``exact`` False)."""
        state.store.flush()
        state.store = Store()  # closes the asserted store: the last reference to it
        self.index = None
        if not exact:
            return False
        for name in (ASSERTED_DIR, INDEX_DIR):
            (self.work / name).rename(folder / name)
        mark_asserted(folder)
        return True

    def discard(self) -> None:
        """Remove the scratch folder and what is left in it."""
        self.index = None
        shutil.rmtree(self.work, ignore_errors=True)


def run(state: BuildState, start: Base, timer) -> None:
    """Parse, check and reason on a copy of ``start``'s asserted store; leave ``state`` ready for
    the write stage, with ``state.on_disk`` set.

    Raises:
        NotOnDisk: the rebuild cannot go on on disk (see the module's docstring).
        DataError: a stage found problems (the caller builds in memory to report them).
    """
    layout = state.layout
    builds = builds_dir(layout.out)
    for left in builds.glob(".ondisk-*"):  # by killed rebuilds
        if not folder_owner_alive(left.name):
            shutil.rmtree(left, ignore_errors=True)
    work = builds / f".ondisk-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    state.on_disk = OnDisk(work, start.folder)
    with timer("parse"):
        Store.read_only(str(start.folder / ASSERTED_DIR)).backup(str(work / ASSERTED_DIR))
        state.store = Store(str(work / ASSERTED_DIR))
        state.inputs = start.inputs
        state.assembly = start.inputs.assembly()
        state.sheets = _sheets(state, start)
        state.report["inputs"] = _inputs_report(state, len(start.inputs.sources))
    with timer("provenance"):
        _provenance(state, start.inputs.sources)
    state.report["engine"] = "fast"
    with timer("derive"):
        _derive(state, start)
    found: dict[str, list[Problem]] = {"shacl": [], "reason": [], "qc": []}
    with timer("shacl"):
        _shacl(state, "fast", found["shacl"])
    with timer("reason"):
        inference = _infer(state, "fast", None)
        if inference.kept is None:
            raise NotOnDisk("OWL RL could not work from the change")
        _add_inferred(state, inference, found["reason"], load=False)
    with timer("qc"):
        from kg.checks.qc import run_quality_checks

        change, (came, went) = state.difference, state.inferred_change
        if not copy_changed(
            start.folder / INDEX_DIR, work / INDEX_DIR, [*change.removed, *went], [*change.added, *came]
        ):
            raise NotOnDisk("the previous query index could not be copied and changed")
        state.on_disk.index = Store(str(work / INDEX_DIR))
        changed = state.changed_subjects
        counts, found["qc"] = run_quality_checks(
            state.on_disk.index, layout.queries / "qc", layout.root, state.assembly, changed
        )
        state.report["checks"]["qc"] = counts
        state.report["checks"]["qc_changed_nodes"] = None if changed is None else len(changed)
    state.report["counts"] = _counts(state, start)
    _fail([p for stage in found.values() for p in stage], "+".join(n for n, ps in found.items() if ps))


def _sheets(state: BuildState, start: Base) -> SheetsLoaded:
    """Read the sheets whose keys the previous build lacks; make their documents' graphs again."""
    layout, cache, store = state.layout, state.cache, state.store
    sources, vocab = start.inputs.sources, start.inputs.vocab
    known = {key: doc for doc, key in start.record.sheets.items()}
    unchanged: dict[str, str] = {}
    jobs: list[tuple[str, str, str]] = []
    facts = layout.data / "facts"
    for path in sorted(facts.glob("*.yaml")) if facts.is_dir() else []:
        display = project_path(path, layout.root)
        text = read_input(path, display)
        key = cache.key(display, text)
        if key in known:
            unchanged[known[key]] = key
        else:
            jobs.append((display, text, key))
    read = list(_read_all(jobs, sources, vocab, cache.scratch))
    _fail([p for out in read for p in out.problems], "parse")
    new = {}
    for out in read:
        if out.document in unchanged or out.document in new:
            raise NotOnDisk(f"two fact sheets for document {out.document!r}")
        new[out.document] = out
    for doc in sorted((set(start.record.sheets) - set(unchanged)) | set(new)):
        graph = document_graph(doc)
        for quad in list(store.quads_for_pattern(None, None, None, graph)):
            store.remove(quad)
        if doc in new:
            store.load(path=new[doc].ntriples, format=RdfFormat.N_TRIPLES, to_graph=graph)
        own = start.inputs.document_quads.get(graph.value)
        if own:
            store.load(own, format=RdfFormat.N_QUADS)
    from kg.build import _unknown_references

    loaded = SheetsLoaded(reused=set(unchanged), verified=set(unchanged) | set(new), keys=dict(unchanged))
    assembly = state.assembly
    for doc, out in sorted(new.items()):
        for iri, file, line in out.sites:
            assembly.define(iri, file, line)
        assembly.references.extend(out.references)
        loaded.claims += out.claims
        loaded.quotes_checked += out.quotes_checked
        loaded.keys[doc] = out.key
        cache.stage(Entry.of(out, document_fingerprint(sources[doc])))
    cache.used.update(unchanged.values())
    _fail(_unknown_references(assembly), "parse")
    return loaded


def _derive(state: BuildState, start: Base) -> None:
    """The derive stage on disk: the store holds the previous build's derived graph."""
    change = _change(state)
    if change is None or change.prior.folder != start.folder:
        raise NotOnDisk("the change is too large, or the previous build was replaced meanwhile")
    state.difference = change
    asserted = _parsed(change)
    prior_derived = change.prior.lines(ASSERTED_FILE, DERIVED_GRAPH.value)
    previous = _previous_derived(change, prior_derived, asserted)
    if previous is None:
        raise NotOnDisk("the previous build did not record its derivations")
    layout = state.layout
    derivation = run_constructs(state.store, layout.queries / "construct", layout.root, previous, held=True)
    if derivation.lines is None:
        raise NotOnDisk("the derivations could not work from the change")
    state.derived_whole = derivation.whole
    state.report["checks"]["derive"] = derivation.report()
    came, went = _with_derived(state.store, change, prior_derived, derivation.lines)
    state.difference_quads = (asserted[0] + came, asserted[1] + went)


_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_CLAIM = NamedNode(str(AIGEO.Claim))
_CLAIM_LINE = f" <{_TYPE.value}> <{_CLAIM.value}> ".encode()


def _counts(state: BuildState, start: Base) -> dict:
    """The report's counts (as :func:`kg.build._asserted_counts` and ``_with_inferred`` take
    them from the whole store), from the previous build's and the difference."""
    before = start.counts
    change = state.difference
    added, removed = state.difference_quads
    per_graph = dict(before["triples_per_graph"])
    for key, dump in change.dumps.items():
        if key == DEFAULT_GRAPH_KEY:
            continue  # the counts are of named graphs
        n = dump.count(b"\n")
        if n:
            per_graph[key] = n
        else:
            per_graph.pop(key, None)
    inferred = state.inferred_lines
    inferred_claims = _claim_lines(inferred)
    came, went = state.inferred_change
    inferred_claims_before = inferred_claims - _claim_lines(came) + _claim_lines(went)

    def claims(quads: list[Quad]) -> int:
        return sum(
            1
            for q in quads
            if q.predicate == _TYPE and q.object == _CLAIM and not isinstance(q.graph_name, DefaultGraph)
        )

    asserted_claims = before["claims"] - inferred_claims_before + claims(added) - claims(removed)
    return {
        "triples_asserted": sum(per_graph.values()),
        "triples_inferred": len(inferred),
        "claims": asserted_claims + inferred_claims,
        "entities_per_class": _entities_after(state.store, before["entities_per_class"], added, removed),
        "triples_per_graph": dict(sorted(per_graph.items())),
    }


def _claim_lines(lines: list[bytes]) -> int:
    return sum(1 for line in lines if _CLAIM_LINE in line)


def _entities_after(store: Store, before: dict[str, int], added: list[Quad], removed: list[Quad]) -> dict:
    """Entities per class (distinct nodes typed so in some named graph), after the change."""
    aigeo = str(AIGEO)

    def counted(q: Quad) -> bool:
        s, o = q.subject, q.object
        return (
            q.predicate == _TYPE
            and not isinstance(q.graph_name, DefaultGraph)
            and isinstance(s, NamedNode)
            and s.value.startswith(str(ID))
            and not s.value.startswith(CLAIMS)
            and isinstance(o, NamedNode)
            and o.value.startswith(aigeo)
        )

    graphs_added: dict[tuple, set] = {}
    graphs_removed: dict[tuple, set] = {}
    for quads, graphs in ((added, graphs_added), (removed, graphs_removed)):
        for q in quads:
            if counted(q):
                graphs.setdefault((q.subject, q.object), set()).add(q.graph_name)
    counts = dict(before)
    for s, o in graphs_added.keys() | graphs_removed.keys():
        now = {
            q.graph_name
            for q in store.quads_for_pattern(s, _TYPE, o)
            if not isinstance(q.graph_name, DefaultGraph)
        }
        was = (now - graphs_added.get((s, o), set())) | graphs_removed.get((s, o), set())
        name = o.value.rsplit("#", 1)[-1]
        if now and not was:
            counts[name] = counts.get(name, 0) + 1
        elif was and not now:
            counts[name] -= 1
            if not counts[name]:
                del counts[name]
    return dict(sorted(counts.items()))
