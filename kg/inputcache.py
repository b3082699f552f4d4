"""What a build read besides the fact sheets, kept in its folder for a rebuild on disk.

Reading the source records, texts and entity sheets is Python work: 3.5 s at 100,000 claims
(2.1 s sources, 1.5 s entities). When none of those inputs changed (the inputs' fingerprint,
:func:`kg.previous.inputs_fingerprint`, equals the previous build's), a rebuild on the previous
build's on-disk store (:mod:`kg.ondisk`) needs only what the changed sheets are read against
and checked with: the sources (texts for the quotes), the vocabulary, where each curated node
is defined, which entities exist, and the quads the sources put in each document's graph (a
changed sheet's graph is made again from those and the sheet's own). The rest is in the store.

The file is a pickle, written by the build into its own folder and read only by the next build
of the same output: it is as trusted as the build's other files. A file of another format,
another fingerprint or that does not load is ignored (the rebuild then reads everything).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import Quad, RdfFormat, serialize

from kg.assembly import Assembly
from kg.iris import graph_iri
from kg.sources import Source
from kg.vocabulary import Vocabulary

INPUTS_FILE = "inputs.pickle"
_FORMAT = 1
_DOCUMENT_GRAPHS = graph_iri("doc/")


@dataclass
class Inputs:
    """The non-sheet inputs of one build, as :func:`kg.build` read them."""

    fingerprint: str
    sources: dict[str, Source]
    vocab: Vocabulary
    #: :attr:`kg.assembly.Assembly.sites`, ``entities`` and ``references`` before any sheet
    sites: dict[str, tuple[str, int]]
    entities: set[str]
    references: list[tuple[str, str, int]]
    #: document graph IRI -> the N-Quads the sources put in it
    document_quads: dict[str, bytes] = field(default_factory=dict)

    def assembly(self) -> Assembly:
        """A fresh assembly with these sites, entities and references, and no quads."""
        return Assembly(sites=dict(self.sites), references=list(self.references), entities=set(self.entities))


def capture(fingerprint: str, sources: dict[str, Source], vocab: Vocabulary, assembly: Assembly) -> Inputs:
    """The inputs as they stand once every loader but the fact sheets' has run."""
    return Inputs(
        fingerprint,
        sources,
        vocab,
        dict(assembly.sites),
        set(assembly.entities),
        list(assembly.references),
        _by_document(assembly.quads),
    )


def _by_document(quads: list[Quad]) -> dict[str, bytes]:
    grouped: dict[str, list[Quad]] = {}
    for q in quads:
        graph = q.graph_name
        if getattr(graph, "value", "").startswith(_DOCUMENT_GRAPHS):
            grouped.setdefault(graph.value, []).append(q)
    return {g: serialize(qs, format=RdfFormat.N_QUADS) for g, qs in grouped.items()}


def write_inputs(folder: Path, inputs: Inputs) -> None:
    """Write ``inputs`` into the build ``folder`` (under a temporary name, then renamed)."""
    partial = folder / f".{INPUTS_FILE}-{os.getpid()}"
    with partial.open("wb") as f:
        f.write(_header(inputs.fingerprint))
        pickle.dump(inputs, f, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(folder / INPUTS_FILE)


def keep_inputs(previous: Path, folder: Path) -> None:
    """Give the build in ``folder`` the inputs file of the ``previous`` build, whose inputs it
    read (a hard link; a copy where links are refused). A missing file is left missing."""
    source, target = previous / INPUTS_FILE, folder / INPUTS_FILE
    try:
        os.link(source, target)
    except FileNotFoundError:
        return
    except OSError:
        with contextlib.suppress(OSError):  # a cache: the next rebuild then runs in memory
            shutil.copyfile(source, target)


def read_inputs(folder: Path, fingerprint: str) -> Inputs | None:
    """The inputs the build in ``folder`` kept, if they are of ``fingerprint``; else None.

    The fingerprint is checked before anything is unpickled: it covers aigeo's code, so the
    classes pickled are the ones loading them.
    """
    header = _header(fingerprint)
    try:
        with (folder / INPUTS_FILE).open("rb") as f:
            if f.read(len(header)) != header:
                return None
            inputs = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    return inputs if isinstance(inputs, Inputs) else None


def _header(fingerprint: str) -> bytes:
    return f"aigeo-inputs {_FORMAT} {fingerprint}\n".encode()
