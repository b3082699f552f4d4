"""The build pipeline: parse → provenance → derive → SHACL → OWL RL → quality checks → write.

Each stage is timed; the first stage that finds a problem stops the build with every problem it
found, and nothing is written. Outputs (see :mod:`kg.output`):

- ``graph.nq``: the asserted graph, one named graph per source document plus the ontology,
  the ISO 3166 reference data, the entities and the derived triples;
- ``inferred.nq``: the OWL RL closure, in its own named graph, apart from the asserted facts;
- ``build-report.json``: counts, checks run and time per stage.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, Store, parse, serialize

from kg import __version__
from kg.assembly import Assembly
from kg.concurrency import map_in_threads
from kg.derive import DERIVED_GRAPH, PreviousDerived, run_constructs
from kg.faultpoints import pause_point
from kg.iris import CLAIMS, ID, graph_iri
from kg.layout import Layout
from kg.namespaces import AIGEO
from kg.output import current_build
from kg.previous import (
    DEFAULT_GRAPH_KEY,
    RECORD_FILE,
    Change,
    GraphSpan,
    PreviousBuild,
    compare,
    copy_range,
    inputs_fingerprint,
    read_previous,
    write_record,
)
from kg.problems import DataError, Problem
from kg.sheets import project_path

if TYPE_CHECKING:
    from kg.factsheets import SheetsLoaded
    from kg.inputcache import Inputs
    from kg.ondisk import OnDisk
    from kg.sheetcache import SheetCache

ONTOLOGY_GRAPH = NamedNode(graph_iri("ontology"))
INFERRED_GRAPH = NamedNode(graph_iri("inferred"))
ASSERTED_FILE = "graph.nq"
INFERRED_FILE = "inferred.nq"
REPORT_FILE = "build-report.json"


@dataclass
class BuildState:
    """What the stages hand to each other."""

    layout: Layout
    assembly: Assembly = field(default_factory=Assembly)
    store: Store = field(default_factory=Store)
    report: dict = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    #: fact sheets kept from earlier builds (None: not used, as when nothing is written)
    cache: SheetCache | None = None
    #: the fact sheets loaded: which came from the cache, whose quotes are verified already
    sheets: SheetsLoaded | None = None
    #: how the store differs from the previous build's, when that build's record vouches for
    #: the rest (kg.previous); None: reason over the whole store
    change: Change | None = None
    #: the inferred graph's N-Quads lines, sorted, when the reason stage has them already
    inferred_lines: list[bytes] | None = None
    #: with ``inferred_lines``: the lines the previous build's inferred graph lacked, and those
    #: it had that are gone
    inferred_change: tuple[list[bytes], list[bytes]] | None = None
    #: how the asserted store differs from the previous build's, when the record of that build
    #: vouches for the graphs not compared (worked out by the derive stage); None: not known.
    #: OWL RL works from it only while it is small (INCREMENTAL_BELOW_QUADS)
    difference: Change | None = None
    #: ``difference``'s added and removed lines, parsed
    difference_quads: tuple[list[Quad], list[Quad]] | None = None
    #: the derived lines the derivations without a '#+ rerun-for:' line added (for the record)
    derived_whole: list[bytes] = field(default_factory=list)
    #: SHACL's reuse context as a sum (kg.checks.shacl_reuse.context_sum), for the record
    shacl_context_sum: int | None = None
    #: SHACL's context, when it found nothing at all (for the record)
    shacl_clean: str | None = None
    #: the nodes whose own triples, asserted or inferred, differ from the previous build's,
    #: when the change leaves the vocabulary alone; None: check the whole store
    changed_subjects: set[NamedNode] | None = None
    #: what the build read besides the fact sheets, kept for the next rebuild (kg.inputcache)
    inputs: Inputs | None = None
    #: the stores of a rebuild on the previous build's on-disk store (kg.ondisk); None in memory
    on_disk: OnDisk | None = None
    _fingerprint: str | None = None

    @property
    def fingerprint(self) -> str:
        """:func:`kg.previous.inputs_fingerprint` of this build's inputs, worked out once."""
        if self._fingerprint is None:
            self._fingerprint = inputs_fingerprint(self.layout)
        return self._fingerprint


#: Below this many asserted triples, ``engine="auto"`` runs the reference libraries (pyshacl,
#: owlrl); above it, the fast paths. See docs/decisions/20261123-fast-paths.md for the figures.
REFERENCE_BELOW_TRIPLES = 2_000
ENGINES = ("auto", "fast", "reference")


def build(
    layout: Layout,
    write: bool = True,
    progress: Callable[[str, float | None], None] | None = None,
    engine: str = "auto",
) -> BuildState:
    """Run the pipeline; write the outputs when ``write`` and every stage passed.

    ``progress(stage, None)`` is called when a stage starts and ``progress(stage, seconds)``
    when it ends. ``engine`` picks how SHACL and OWL RL run: ``reference`` (pyshacl and owlrl on an rdflib
    copy), ``fast`` (SHACL compiled to SPARQL and targeted rules, on pyoxigraph), or ``auto``
    (reference for graphs under :data:`REFERENCE_BELOW_TRIPLES` triples, else fast).

    Raises:
        DataError: a stage found problems (exit code 1).
        UsageError: the output cannot be written (exit code 2).
    """
    if write:
        from kg.output import check_output_link

        check_output_link(layout.out)  # before the stages, not after 16 s of them
    state = BuildState(layout)
    state.report = {
        "aigeo_version": __version__,
        "data": str(layout.data),
        "stages": [],
        "checks": {},
    }
    from kg.output import builds_dir
    from kg.sheetcache import CACHE_FOLDER, SheetCache, context_key

    # Only a build that writes keeps what it read: `kg validate` reads the cache, adds nothing.
    state.cache = SheetCache(builds_dir(layout.out) / CACHE_FOLDER, context_key(layout.ontology), keep=write)
    try:
        _stages(state, write, progress, engine)
    finally:
        state.cache.discard()  # a no-op after a successful write moved the entries
    return state


def _stages(state: BuildState, write: bool, progress, engine: str) -> None:
    if write and engine != "reference" and _on_disk(state, progress):
        return
    timer = _Timer(state.report["stages"], progress)
    with timer("parse"):
        sources = _parse(state)
    with timer("provenance"):
        _provenance(state, sources)
    if engine == "auto":
        seen = sum(1 for _ in itertools.islice(state.store, REFERENCE_BELOW_TRIPLES))  # len() counts all
        engine = "reference" if seen < REFERENCE_BELOW_TRIPLES else "fast"
    state.report["engine"] = engine
    if not _check(state, engine, write, timer):
        state.report.setdefault("fallbacks", []).append(
            "derive, shacl, reason, qc: a graph the previous build's record called unchanged has "
            "changed; checked again from scratch"
        )
        state.store.remove_graph(DERIVED_GRAPH)
        state.store.remove_graph(INFERRED_GRAPH)
        state.difference, state.difference_quads, state.change = None, None, None
        state.inferred_lines, state.inferred_change, state.shacl_context_sum = None, None, None
        state.shacl_clean = None
        _check(state, engine, False, timer)
    if write:
        _write(state, progress)


def _provenance(state: BuildState, sources: dict) -> None:
    """The provenance stage: the quotes, offsets and hashes the sheets' readers did not check."""
    from kg.checks.provenance import check_provenance

    checked, problems = check_provenance(state.store, sources, state.assembly, state.sheets.verified)
    _fail(problems, "provenance")
    state.report["checks"]["provenance"] = {
        # the sheets' quotes are checked as they are read, so this stage sees only the rest
        "quotes_checked": checked + state.sheets.quotes_checked,
        "documents_reused": len(state.sheets.reused),
        "documents_hashed": len(sources),
    }


def _inputs_report(state: BuildState, source_documents: int) -> dict:
    """The report's ``inputs``: how many files of each kind the build read or reused."""
    layout = state.layout
    return {
        "ontology_modules": len(list(layout.ontology.glob("*.ttl"))),
        "shape_files": len(list(layout.shapes.glob("*.ttl"))),
        "source_documents": source_documents,
        "fact_sheets": len(list((layout.data / "facts").glob("*.yaml"))),
        "fact_sheets_reused": len(state.sheets.reused),
        "entity_sheets": len(list((layout.data / "entities").glob("*.yaml"))),
    }


def _on_disk(state: BuildState, progress) -> bool:
    """Rebuild on a copy of the previous build's on-disk store (:mod:`kg.ondisk`), if it allows;
    return whether the build is done. When that path gives up, ``state`` is as it was and the
    report's ``fallbacks`` says why."""
    from kg import ondisk

    start = ondisk.base(state)
    if start is None:
        return False
    report = json.loads(json.dumps(state.report))
    try:
        # said before the stages run, so that the report the write stage writes has it
        state.report["rebuilt_on_disk"] = True
        try:
            ondisk.run(state, start, _Timer(state.report["stages"], progress))
        # RocksDB reports a damaged store as a RuntimeError
        except (ondisk.NotOnDisk, OSError, RuntimeError) as exc:
            why = str(exc)
        except DataError as exc:
            why = f"the {exc.stage} stage found problems"
        else:
            _write(state, progress)
            return True
    finally:
        if state.on_disk is not None:
            state.on_disk.discard()
    fresh = BuildState(state.layout, cache=state.cache, report=report, _fingerprint=state._fingerprint)
    state.__dict__.update(fresh.__dict__)
    state.report.setdefault("fallbacks", []).append(f"rebuild on disk: {why}; built in memory")
    return False


def _check(state: BuildState, engine: str, incremental: bool, timer) -> bool:
    """Derive, then SHACL, OWL RL and the quality checks; fail with every problem they found.

    ``incremental``: work from the previous build where its record allows. Return False when
    that record proved wrong (a graph it called unchanged holds another number of triples):
    the caller checks again from scratch.
    """
    layout = state.layout
    with timer("derive"):
        state.difference, state.difference_quads = None, None
        if incremental and engine == "fast":
            with contextlib.suppress(OSError):  # a previous build pruned meanwhile: derive it all
                state.difference = _change(state)
        asserted = prior_derived = previous = None
        if state.difference is not None:
            asserted = _parsed(state.difference)
            prior_derived = state.difference.prior.lines(ASSERTED_FILE, DERIVED_GRAPH.value)
            previous = _previous_derived(state.difference, prior_derived, asserted)
        derivation = run_constructs(state.store, layout.queries / "construct", layout.root, previous)
        state.derived_whole = derivation.whole
        state.report["checks"]["derive"] = derivation.report()
        if state.difference is not None:
            # kept even when the derived graph makes the difference large: the record check
            # below must still vouch for the previous build's lines the stages took
            came, went = _with_derived(state.store, state.difference, prior_derived, derivation.lines)
            state.difference_quads = (asserted[0] + came, asserted[1] + went)
    # SHACL, OWL RL and the quality checks each see the whole graph; a user fixing data wants
    # every problem they find at once, so the three run before the build fails.
    found: dict[str, list[Problem]] = {"shacl": [], "reason": [], "qc": []}
    # The report's counts of the asserted graphs, which no later stage changes, are taken
    # beside them: 1-1.7 s at 100,000 claims, which a rebuild's QC (0.1 s) no longer hides.
    # (Running the rules beside SHACL was measured slower: each SHACL result row needs the GIL
    # back from the rules' Python loop.)
    with ThreadPoolExecutor(1) as counter:
        counting = counter.submit(_asserted_counts, state.store)
        with timer("shacl"):
            data_graph = _shacl(state, engine, found["shacl"])
        _reason_and_qc(state, engine, data_graph, timer, found)
        state.report["counts"] = _with_inferred(counting.result(), state.store)
    triples = state.report["counts"]["triples_per_graph"]
    if state.difference is not None and _record_was_wrong(state.difference, triples):
        return False
    _fail([p for stage in found.values() for p in stage], "+".join(name for name, ps in found.items() if ps))
    return True


def _reason_and_qc(state: BuildState, engine: str, data_graph, timer, found) -> None:
    """OWL RL, then the quality checks, each stage's problems into ``found``."""
    with timer("reason"):
        found["reason"] = []
        _add_inferred(state, _infer(state, engine, data_graph), found["reason"])
    with timer("qc"):
        from kg.checks.qc import run_quality_checks

        layout = state.layout
        changed = state.changed_subjects
        counts, found["qc"] = run_quality_checks(
            state.store, layout.queries / "qc", layout.root, state.assembly, changed
        )
        state.report["checks"]["qc"] = counts
        # checks with a '#+ rerun-for:' line ran only for these nodes (kg.checks.qc)
        state.report["checks"]["qc_changed_nodes"] = None if changed is None else len(changed)


def _parse(state: BuildState):
    from kg.countries import add_countries
    from kg.currencies import add_currencies
    from kg.entities import load_entities
    from kg.factsheets import PendingSheets, load_fact_sheets
    from kg.sources import load_cited_documents, load_sources
    from kg.turtle import read_turtle, refuse_other_rdf
    from kg.vocabulary import Vocabulary

    layout, assembly = state.layout, state.assembly
    problems: list[Problem] = []
    for folder in (layout.ontology, layout.shapes):
        problems.extend(refuse_other_rdf(folder, layout.root))
    for path in sorted(layout.ontology.glob("*.ttl")):
        try:
            read_turtle(path, project_path(path, layout.root), ONTOLOGY_GRAPH, assembly)
        except DataError as exc:
            problems.extend(exc.problems)
    _fail(problems, "parse")
    facts = layout.data / "facts"
    # the cached sheets load into the store while the sources and entities are read
    pending = PendingSheets(facts, layout.root, state.store, state.cache)
    try:
        vocab = Vocabulary.from_quads(assembly.quads)
        add_countries(assembly)
        add_currencies(assembly, NamedNode(graph_iri("reference/iso4217")))
        document_classes = {local for local, iri in vocab.classes.items() if vocab.is_a(iri, "Document")}
        sources = load_sources(layout.data / "sources", layout.root, assembly, problems, document_classes)
        load_cited_documents(
            layout.data / "documents", layout.root, assembly, problems, document_classes, sources
        )
        load_entities(layout.data / "entities", layout.root, vocab, assembly, problems)
        if not problems:
            from kg.inputcache import capture

            state.inputs = capture(state.fingerprint, sources, vocab, assembly)
        state.sheets = load_fact_sheets(
            facts, layout.root, sources, vocab, assembly, problems, state.store, state.cache, pending
        )
    finally:
        pending.close()
    problems.extend(_unknown_references(assembly))
    _fail(problems, "parse")
    state.store.extend(assembly.quads)
    state.report["inputs"] = _inputs_report(state, len(sources))
    return sources


def _unknown_references(assembly: Assembly) -> list[Problem]:
    import difflib

    known = assembly.entities
    keys = [k[len(str(ID)) :] for k in known]
    problems = []
    for iri, file, line in assembly.references:
        if iri not in known:
            key = iri[len(str(ID)) :]
            near = difflib.get_close_matches(key, keys, n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            problems.append(Problem(file, line, f"unknown entity {key!r}{hint}"))
    return problems


def _shacl(state: BuildState, engine: str, found: list[Problem]):
    """Validate; return the rdflib copy of the data when the reference engine made one."""
    from kg.turtle import read_turtle

    layout = state.layout
    shapes_assembly = Assembly()
    problems: list[Problem] = []
    shape_files = sorted(layout.shapes.glob("*.ttl"))
    for path in shape_files:
        try:
            read_turtle(path, project_path(path, layout.root), ONTOLOGY_GRAPH, shapes_assembly)
        except DataError as exc:
            problems.extend(exc.problems)
    _fail(problems, "shacl")
    data = None
    reused, only = 0, None
    state.shacl_clean = None
    if engine == "fast":
        from kg.checks import shacl_reuse
        from kg.checks.shacl_sparql import Unsupported, validate_shacl_sparql

        shapes_store = Store()
        shapes_store.extend(shapes_assembly.quads)
        shapes_text = b"".join(path.read_bytes() + b"\0" for path in shape_files)
        sheets = state.sheets
        total = change = clean = None
        if state.difference is not None and state.difference.prior.shacl_context_sum is not None:
            change, clean = state.difference_quads, state.difference.prior.shacl_clean
            total = shacl_reuse.context_sum_after(
                state.store, state.difference.prior.shacl_context_sum, *change
            )
        reuse = shacl_reuse.prepare(
            state.store,
            shapes_store,
            shapes_text,
            state.cache.last_validation(),
            sheets.keys,
            sheets.reused,
            total,
            change,
            clean,
        )
        state.shacl_context_sum = reuse.total
        try:
            n_shapes, problems = validate_shacl_sparql(state.store, shapes_store, state.assembly, reuse.scope)
            used = "sparql"
            scope = reuse.scope
            reused = len(scope.skip) if scope else 0
            only = None if scope is None or scope.only is None else len(scope.only)
            state.cache.validation = reuse.record(sheets.keys, problems)
            # the next build may validate only what changes, if this one found nothing at all
            state.shacl_clean = reuse.context if not problems else None
        except Unsupported as exc:
            state.report.setdefault("fallbacks", []).append(f"shacl: {exc}")
            engine = "reference"
    if engine == "reference":
        from kg.checks.shacl import validate_shacl
        from kg.terms import graph_to_rdflib

        data = graph_to_rdflib(state.store)
        n_shapes, problems = validate_shacl(data, graph_to_rdflib(shapes_assembly.quads), state.assembly)
        used = "pyshacl"
    errors = [p for p in problems if p.severity == "ERROR"]
    state.warnings.extend(p for p in problems if p.severity != "ERROR")
    found.extend(errors)
    state.report["checks"]["shacl"] = {
        "engine": used,
        "node_shapes": n_shapes,
        "violations": len(errors),
        "warnings": len(problems) - len(errors),
        # documents whose claims an earlier build validated, unchanged since: not validated again
        "documents_reused": reused,
        # when set, the previous build found nothing and only these nodes' verdicts could
        # change, so only they were validated (kg.checks.shacl_reuse.changed_nodes)
        "changed_nodes": only,
    }
    return data


@dataclass
class _Inference:
    quads: list[Quad]
    problems: list[Problem]
    engine: str
    seconds: float
    fallback: str | None = None
    #: lines of the previous build's inferred graph that still hold (the incremental path)
    kept: list[bytes] | None = None
    #: the previous build's other inferred lines, and the asserted quads that changed (the same path)
    dropped: list[bytes] | None = None
    changed: list[Quad] | None = None


def _infer(state: BuildState, engine: str, data_graph) -> _Inference:
    """The OWL RL entailments and inconsistencies; reads the store, changes nothing."""
    from kg.rules import NotIncremental, Unsupported, as_quads, owl_rl_rules, owl_rl_rules_after

    started = time.perf_counter()
    fallback = None
    if engine == "fast":
        try:
            change = state.difference
            if change is not None and _small(change):
                try:
                    added, removed = state.difference_quads
                    previous = _previous_inferred(change)
                    kept, dropped, triples, problems = owl_rl_rules_after(
                        state.store, state.assembly, added, removed, previous
                    )
                    state.change = change
                    quads = as_quads(triples, INFERRED_GRAPH)
                    seconds = time.perf_counter() - started
                    changed = added + removed
                    return _Inference(
                        quads, problems, "rules", seconds, kept=kept, dropped=dropped, changed=changed
                    )
                except (NotIncremental, OSError):
                    pass
            triples, problems = owl_rl_rules(state.store, state.assembly)
            quads = as_quads(triples, INFERRED_GRAPH)
            return _Inference(quads, problems, "rules", time.perf_counter() - started)
        except Unsupported as exc:
            fallback = f"reason: {exc}"
    from kg.reasoning import owl_rl_closure
    from kg.terms import graph_to_rdflib, triples_to_quads

    inferred, problems = owl_rl_closure(
        data_graph if data_graph is not None else graph_to_rdflib(state.store), state.assembly
    )
    quads = triples_to_quads(inferred, INFERRED_GRAPH)
    return _Inference(quads, problems, "owlrl", time.perf_counter() - started, fallback)


#: Above this many changed quads, reasoning over the whole store is no slower than the change.
INCREMENTAL_BELOW_QUADS = 200_000


def _change(state: BuildState) -> Change | None:
    """How the store differs from the previous build's, if its record vouches for the rest;
    the derived graph left out (the derive stage adds it: :func:`_with_derived`)."""
    prior = read_previous(current_build(state.layout.out), ASSERTED_FILE)
    if prior is None:
        return None
    named = {g.value: g for g in state.store.named_graphs() if g not in (INFERRED_GRAPH, DERIVED_GRAPH)}
    reusable = prior.reusable(state.fingerprint, "fast", state.sheets.keys) & set(named)
    if not reusable:
        return None
    to_dump = [DefaultGraph(), *(g for key, g in named.items() if key not in reusable)]
    dumps = dict(
        zip(map(_key, to_dump), map_in_threads(lambda g: _dump_sorted(state.store, g), to_dump), strict=True)
    )
    change = compare(prior, reusable, dumps, ASSERTED_FILE, skip={DERIVED_GRAPH.value})
    return change if _small(change) else None


def _small(change: Change) -> bool:
    return len(change.added) + len(change.removed) < INCREMENTAL_BELOW_QUADS


def _previous_derived(
    change: Change, prior_lines: list[bytes], parsed: tuple[list[Quad], list[Quad]]
) -> PreviousDerived | None:
    """What the derive stage needs from the previous build to derive only about ``change``
    (whose lines are ``parsed``; the previous derived graph's are ``prior_lines``)."""
    if change.prior.derived_whole is None:
        return None
    return PreviousDerived(prior_lines, set(change.prior.derived_whole), *parsed)


def _with_derived(
    store: Store, change: Change, prior_lines: list[bytes], lines: list[bytes] | None
) -> tuple[list[Quad], list[Quad]]:
    """Add the derived graph's comparison with ``prior_lines`` to ``change``; return the quads
    it added and removed.

    ``lines``: the derived graph's sorted lines, when the derive stage has them already.
    """
    key = DERIVED_GRAPH.value
    dump = b"".join(lines) if lines is not None else _dump_sorted(store, DERIVED_GRAPH)
    old = set(prior_lines)
    new = set(lines if lines is not None else dump.splitlines(keepends=True))
    came, went = sorted(new - old), sorted(old - new)
    change.added.extend(came)
    change.removed.extend(went)
    change.dumps[key] = dump
    return _parsed_lines(came), _parsed_lines(went)


def _parsed(change: Change) -> tuple[list[Quad], list[Quad]]:
    return _parsed_lines(change.added), _parsed_lines(change.removed)


def _parsed_lines(lines: list[bytes]) -> list[Quad]:
    return list(parse(b"".join(lines), format=RdfFormat.N_QUADS)) if lines else []


def _previous_inferred(change: Change) -> list[bytes]:
    """The previous build's inferred lines, which it wrote sorted and without repeats."""
    from kg.rules import NotIncremental

    lines = (change.prior.folder / INFERRED_FILE).read_bytes().splitlines(keepends=True)
    if not all(a < b for a, b in itertools.pairwise(lines)):  # (30 ms at 100,000 claims)
        raise NotIncremental(f"{INFERRED_FILE} of the previous build is not in a build's order")
    return lines


def _add_inferred(state: BuildState, inference: _Inference, found: list[Problem], load: bool = True) -> None:
    """Take the inference into ``state``; add its graph to the store when ``load`` (a rebuild on
    disk does not: its store is of the asserted graphs alone, kg.ondisk)."""
    from kg.rerun import rerun_nodes

    if inference.fallback:
        state.report.setdefault("fallbacks", []).append(inference.fallback)
    found.extend(inference.problems)
    state.changed_subjects = None
    if inference.kept is None:
        state.store.extend(inference.quads)
        inferred = len(inference.quads)
    else:
        new = serialize(inference.quads, format=RdfFormat.N_QUADS) if inference.quads else b""
        new_lines = set(new.splitlines(keepends=True))
        lines, came, went = _merged(inference.kept, inference.dropped, new_lines)
        if load:
            state.store.load(b"".join(lines), format=RdfFormat.N_QUADS)
        state.inferred_lines = lines
        inferred = len(lines)
        state.inferred_change = (came, went)
        state.changed_subjects = rerun_nodes([*inference.changed, *_parsed_lines(came + went)])
    state.report["checks"]["owl_rl"] = {
        "engine": inference.engine,
        "inferred_triples": inferred,
        "seconds": round(inference.seconds, 4),
        # reasoned again only about the nodes the change mentions (kg.rules.owl_rl_rules_after)
        "incremental": inference.kept is not None,
    }


def _merged(kept: list[bytes], dropped: list[bytes], new: set[bytes]) -> tuple[list, list, list]:
    """The inferred graph's sorted lines, from the previous build's ``kept`` and ``dropped``
    lines (in the file's order) and the ``new`` ones; and the lines it has that the previous
    one lacked, and those it lacks that the previous one had.

    ``new`` is small next to ``kept``: the new lines are looked up, and one sort merges them
    in (the kept lines are a sorted run), instead of sets of every line (1.1 s at 100,000
    claims, with the whole property closure new each time; 0.1 s so).
    """
    lines = [line for line in new if not _in_sorted(kept, line)]
    gone = set(dropped)
    came = sorted(line for line in lines if line not in gone)
    lines += kept
    lines.sort()
    went = sorted(line for line in dropped if line not in new)
    return lines, came, went


def _in_sorted(lines: list[bytes], line: bytes) -> bool:
    i = bisect.bisect_left(lines, line)
    return i < len(lines) and lines[i] == line


_INFERRED_IRI = "<" + INFERRED_GRAPH.value + ">"
_CLAIM_PREFIX = "PREFIX aigeo: <" + str(AIGEO) + ">\n"


def _asserted_counts(store: Store) -> dict:
    """The report's counts but those of the inferred graph (:func:`_with_inferred`). Every
    query leaves the inferred graph out, so they may run while it is being added."""
    not_inferred = f"FILTER(?g != {_INFERRED_IRI})"
    queries = [
        f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {not_inferred} }} GROUP BY ?g",
        _CLAIM_PREFIX + f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?c a aigeo:Claim }} {not_inferred} }}",
        _CLAIM_PREFIX
        + "SELECT ?cls (COUNT(DISTINCT ?e) AS ?n) WHERE { GRAPH ?g { ?e a ?cls } "
        + f'FILTER(STRSTARTS(STR(?e), "{ID}") && !STRSTARTS(STR(?e), "{CLAIMS}") '
        + "&& STRSTARTS(STR(?cls), STR(aigeo:))) "
        + not_inferred
        + " } GROUP BY ?cls ORDER BY ?cls",
    ]
    # side by side: each scans the store (1.0 s and 0.65 s at 100,000 claims)
    per_graph, claim_rows, class_rows = map_in_threads(lambda q: list(store.query(q)), queries)
    graphs = {row["g"].value: int(row["n"].value) for row in per_graph}
    return {
        "triples_asserted": sum(graphs.values()),
        "claims": int(claim_rows[0]["n"].value),
        "entities_per_class": {
            row["cls"].value.rsplit("#", 1)[-1]: int(row["n"].value) for row in class_rows
        },
        "triples_per_graph": dict(sorted(graphs.items())),
    }


def _with_inferred(counts: dict, store: Store) -> dict:
    """``counts`` (:func:`_asserted_counts`) with the inferred graph's triples and claims."""
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH " + _INFERRED_IRI
    triples = store.query(count + " { ?s ?p ?o } }")
    claims = store.query(_CLAIM_PREFIX + count + " { ?c a aigeo:Claim } }")
    return {
        "triples_asserted": counts["triples_asserted"],
        "triples_inferred": int(next(triples)["n"].value),
        "claims": counts["claims"] + int(next(claims)["n"].value),
        "entities_per_class": counts["entities_per_class"],
        "triples_per_graph": counts["triples_per_graph"],
    }


def _record_was_wrong(change: Change, triples: dict[str, int]) -> bool:
    """Whether a graph the reason stage took as unchanged holds another number of triples now."""
    return any(triples.get(key, 0) != n for key, n in change.unchanged.items())


def _write(state: BuildState, progress) -> None:
    """The write stage; it times itself so that the report it writes includes its own time."""
    from kg.inputcache import keep_inputs, write_inputs
    from kg.output import new_build_folder
    from kg.store import carry_asserted, carry_index

    pause_point("write")
    if progress:
        progress("write", None)
    started = time.perf_counter()
    fingerprint = state.fingerprint
    with new_build_folder(state.layout.out) as folder:
        # read under the builds' lock, which new_build_folder holds: no other build can prune it
        prior = read_previous(current_build(state.layout.out), ASSERTED_FILE)
        spans, copied, all_compared = _write_asserted(state, folder / ASSERTED_FILE, prior, fingerprint)
        inferred = state.inferred_lines
        if inferred is None:
            (folder / INFERRED_FILE).write_bytes(_dump_sorted(state.store, INFERRED_GRAPH))
        else:
            _write_lines(folder / INFERRED_FILE, inferred)
        write_record(
            folder,
            ASSERTED_FILE,
            fingerprint,
            state.report["engine"],
            state.sheets.keys,
            spans,
            state.derived_whole,
            state.shacl_context_sum,
            state.shacl_clean,
        )
        change, inferred_change = state.change, state.inferred_change
        # The files differ from the previous build's by exactly the compared lines only when every
        # graph not copied was compared, against the build that is still the current one.
        exact = (
            change is not None
            and inferred_change is not None
            and all_compared
            and prior is not None
            and prior.folder == change.prior.folder
        )
        if state.on_disk is not None:
            # the stores the stages worked on are the new build's (kg.ondisk)
            carried = carried_asserted = state.on_disk.place(state, folder, exact)
        else:
            carried = exact and carry_index(
                prior.folder,
                folder,
                [*change.removed, *inferred_change[1]],
                [*change.added, *inferred_change[0]],
            )
            carried_asserted = exact and carry_asserted(prior.folder, folder, change.removed, change.added)
        if state.on_disk is not None:
            keep_inputs(state.on_disk.start, folder)  # the same inputs: a link, not 20 MB again
        elif state.inputs is not None:
            write_inputs(folder, state.inputs)
        state.report["outputs"] = {
            "folder": str(state.layout.out),
            "files": [ASSERTED_FILE, INFERRED_FILE, REPORT_FILE, RECORD_FILE],
            # graphs whose lines came from the previous build's graph.nq (kg.previous)
            "graphs_copied": copied,
            "graphs_written": len(spans) - copied,
            # the previous build's query index, changed by the difference (kg.store.carry_index)
            "index_carried": carried,
            # the previous build's asserted store, the same way (a rebuild's start: kg.ondisk)
            "asserted_store_carried": carried_asserted,
        }
        state.report["stages"].append({"stage": "write", "seconds": round(time.perf_counter() - started, 4)})
        state.report["total_seconds"] = round(sum(s["seconds"] for s in state.report["stages"]), 4)
        (folder / REPORT_FILE).write_text(
            json.dumps(state.report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        state.cache.commit()  # under the builds' lock, with the build that verified the entries
    if progress:
        progress("write", time.perf_counter() - started)


def _write_asserted(
    state: BuildState, path: Path, prior: PreviousBuild | None, fingerprint: str
) -> tuple[dict[str, GraphSpan], int, bool]:
    """Write ``graph.nq``: graph by graph in IRI order, each graph's lines sorted as bytes, so that
    the same input gives a byte-identical file. Return where each graph went, how many graphs
    were copied from ``prior`` rather than dumped, and whether every graph dumped is one that
    :attr:`BuildState.change` compared with the previous build.

    The text comes from the store, not from what the loaders wrote: Oxigraph keeps some literals
    in canonical form ("2.0"^^xsd:decimal becomes "2"), and the files must say what queries see.
    Graphs are dumped on two threads (Oxigraph serialises outside the GIL) and sorted one at a
    time: at 100,000 claims, 5.9 s to lines and file against 11.4 s for one dump sorted whole
    (4.4 s of which went to joining and splitting half a gigabyte).
    """
    store = state.store
    named = sorted((g for g in store.named_graphs() if g != INFERRED_GRAPH), key=str)
    triples = state.report["counts"]["triples_per_graph"]
    reusable = prior.reusable(fingerprint, state.report["engine"], state.sheets.keys) if prior else set()
    # a graph whose triple count moved is dumped whatever the record says
    copy = {
        g.value
        for g in named
        if g.value in reusable and prior.graphs[g.value].triples == triples.get(g.value)
    }
    graphs = [DefaultGraph(), *named]
    known = state.difference.dumps if state.difference is not None else {}
    to_dump = [g for g in graphs if _key(g) not in copy]
    missing = [g for g in to_dump if _key(g) not in known]
    fresh = iter(map_in_threads(lambda g: _dump_sorted(store, g), missing))
    dumped = iter([known[_key(g)] if _key(g) in known else next(fresh) for g in to_dump])
    spans: dict[str, GraphSpan] = {}
    with path.open("wb", buffering=0) as out, _opened(prior, copy) as source:
        target, offset = out.fileno(), 0
        pending: list[int] | None = None  # a run of graphs contiguous in the previous file

        def flush() -> None:
            nonlocal pending
            if pending:
                copy_range(source, target, *pending)
            pending = None

        for graph in graphs:
            key = _key(graph)
            if key in copy:
                span = prior.graphs[key]
                if pending and pending[0] + pending[1] == span.offset:
                    pending[1] += span.length
                else:
                    flush()
                    pending = [span.offset, span.length]
                length = span.length
            else:
                flush()
                data = next(dumped)
                length = len(data)
                view = memoryview(data)
                while view:
                    view = view[out.write(view) :]
            spans[key] = GraphSpan(offset, length, triples.get(key, 0))
            offset += length
        flush()
    return spans, len(copy), not missing


@contextmanager
def _opened(prior: PreviousBuild | None, copy: set[str]):
    """A read descriptor on the previous build's graph.nq when graphs are copied from it."""
    if not copy:
        yield -1
        return
    fd = os.open(prior.folder / ASSERTED_FILE, os.O_RDONLY)
    try:
        yield fd
    finally:
        os.close(fd)


def _key(graph) -> str:
    return DEFAULT_GRAPH_KEY if isinstance(graph, DefaultGraph) else graph.value


def _dump_sorted(store: Store, graph) -> bytes:
    """One graph as N-Quads, its lines sorted as bytes.

    Oxigraph dumps a single graph as triples; a raw newline cannot occur inside an N-Quads term,
    so each " .\\n" ends a line and gets the graph's name. UTF-8 sorts as code points do, and a
    line's newline sorts before any character that could extend it.
    """
    nquads = store.dump(format=RdfFormat.N_QUADS, from_graph=graph) or b""
    if not isinstance(graph, DefaultGraph):
        nquads = nquads.replace(b" .\n", f" <{graph.value}> .\n".encode())
    lines = nquads.splitlines(keepends=True)
    lines.sort()
    return b"".join(lines)


def _write_lines(path: Path, lines: list[bytes]) -> None:
    with path.open("wb") as f:
        f.writelines(lines)


def _fail(problems: list[Problem], stage: str) -> None:
    if problems:
        raise DataError(problems, stage)


class _Timer:
    def __init__(self, stages: list, progress):
        self.stages, self.progress = stages, progress

    @contextmanager
    def __call__(self, name: str):
        pause_point(name)
        if self.progress:
            self.progress(name, None)
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        self.stages.append({"stage": name, "seconds": round(seconds, 4)})
        if self.progress:
            self.progress(name, seconds)
