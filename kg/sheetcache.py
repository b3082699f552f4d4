"""What each fact sheet became, kept between builds and keyed by content, so that a rebuild
re-reads only the sheets (and documents) that changed.

An entry is two files named by one key: ``<key>.nt``, the triples the sheet's claims became
(N-Triples: they are all in the document's graph, and Oxigraph loads N-Triples into one named
graph 13% faster than the same quads as N-Quads), and ``<key>.json``, where each claim is
defined and which entities it refers to. The key hashes the sheet's path and text together with
the *context*: aigeo's own code and the ontology, which decide how a record becomes triples. The
JSON also names the document the sheet quotes and a fingerprint of that document (its language
and the SHA-256 of its text), checked on every hit: a sheet whose document changed is read
again.

Entries are made in a scratch folder while a build runs and move into the cache only when the
build has passed every check, so a hit is a sheet whose quotes were verified against that very
text (the provenance stage skips it). After a successful write, entries no build used are pruned.
The cache lives next to the builds (``.dist-builds/sheet-cache/``); deleting it only costs time.
See docs/decisions/20261123-fast-paths.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kg import __version__
from kg.concurrency import folder_owner_alive

_PACKAGE = Path(__file__).resolve().parent
CACHE_FOLDER = "sheet-cache"
#: what the last passing build's SHACL stage validated (written and read by kg.checks.shacl_reuse)
VALIDATION_RECORD = "shacl-validated.json"


def context_key(ontology: Path) -> str:
    """Hash of what turns a sheet into triples besides the sheet itself: the code and the ontology."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(_PACKAGE.rglob("*.py")) + sorted(ontology.glob("*.ttl")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def document_fingerprint(source) -> str:
    """What of a document a sheet's triples depend on: its id, IRI, language and text."""
    return f"{source.id}|{source.iri}|{source.language}|{source.sha256_actual()}"


@dataclass
class Entry:
    """A sheet's cached output: where its quads are and what the build needs to know of them."""

    key: str
    display: str
    ntriples: Path
    document: str
    document_line: int
    fingerprint: str
    claims: int
    sites: list[tuple[str, str, int]]
    references: list[tuple[str, str, int]]
    #: SHA-256 of the N-Triples file, checked before a hit is used
    sha256: str
    #: the N-Triples, once read and checked by :meth:`SheetCache.read`
    data: bytes | None = None

    @classmethod
    def of(cls, out, fingerprint: str) -> Entry:
        """The entry for a :class:`kg.claims.SheetOutput` just read without problems."""
        return cls(
            out.key,
            out.display,
            out.ntriples,
            out.document,
            out.document_line,
            fingerprint,
            out.claims,
            out.sites,
            out.references,
            out.ntriples_sha256,
        )


@dataclass
class SheetCache:
    """Entries under ``folder`` for one context; with ``keep=False`` (``kg validate``) the
    entries are read but none is added or pruned."""

    folder: Path
    context: str
    keep: bool = True
    scratch: Path = field(init=False)
    used: set[str] = field(default_factory=set)
    staged: set[str] = field(default_factory=set)
    #: what the build's SHACL stage validated, written with the entries (see kg.checks.shacl_reuse)
    validation: dict | None = None

    def __post_init__(self):
        if self.keep:
            with contextlib.suppress(OSError):
                self.folder.mkdir(parents=True, exist_ok=True)
        parent = self.folder if self.keep and self.folder.is_dir() else None
        self.scratch = Path(tempfile.mkdtemp(prefix=f".scratch-{os.getpid()}-", dir=parent))

    def key(self, display: str, text: str) -> str:
        """The key of a sheet with this path and text."""
        blob = f"{self.context}\0{display}\0{text}".encode()
        return hashlib.sha256(blob).hexdigest()

    def read(self, key: str) -> Entry | None:
        """The entry for ``key``, its N-Triples read into ``data``, if there is one and its N-Triples
        have the recorded SHA-256. Whether it may be used depends on its document: see
        :meth:`usable`."""
        entry = _read_entry(self.folder, key)
        if entry is None:
            return None
        try:
            data = entry.ntriples.read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            return None
        entry.data = data
        return entry

    def usable(self, entry: Entry, fingerprints: dict[str, str]) -> bool:
        """Whether ``entry``'s document has the fingerprint it had when the entry was made (else
        the sheet is read again); a usable entry is kept when the cache is pruned."""
        if fingerprints.get(entry.document) != entry.fingerprint:
            return False
        self.used.add(entry.key)
        return True

    def last_validation(self) -> dict | None:
        """The validation record the last passing build left, if any and readable."""
        try:
            record = json.loads((self.folder / VALIDATION_RECORD).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    def stage(self, entry: Entry) -> None:
        """Write ``entry``'s JSON next to its N-Triples in the scratch folder (they are there)."""
        record = {
            "display": entry.display,
            "document": entry.document,
            "document_line": entry.document_line,
            "fingerprint": entry.fingerprint,
            "claims": entry.claims,
            "sites": entry.sites,
            "references": entry.references,
            "sha256": entry.sha256,
        }
        (self.scratch / f"{entry.key}.json").write_text(json.dumps(record, ensure_ascii=False), "utf-8")
        self.staged.add(entry.key)

    def commit(self) -> None:
        """Move the staged entries into the cache, prune the entries this build did not use."""
        if not self.keep or not self.folder.is_dir():
            self.discard()
            return
        for key in self.staged:
            # N-Triples first: an entry is only found through its JSON
            os.replace(self.scratch / f"{key}.nt", self.folder / f"{key}.nt")
            os.replace(self.scratch / f"{key}.json", self.folder / f"{key}.json")
        if self.validation is not None:
            partial = self.scratch / VALIDATION_RECORD
            partial.write_text(json.dumps(self.validation), "utf-8")
            os.replace(partial, self.folder / VALIDATION_RECORD)
        keep = self.used | self.staged
        for path in self.folder.iterdir():
            if (
                path.is_file()
                and path.suffix in (".nt", ".nq", ".json")  # .nq: entries of aigeo before 2026-11-24
                and path.stem not in keep
                and path.name != VALIDATION_RECORD
            ):
                with contextlib.suppress(OSError):
                    path.unlink()
            elif path.is_dir() and path.name.startswith(".scratch-") and not folder_owner_alive(path.name):
                shutil.rmtree(path, ignore_errors=True)  # left by a killed build
        self.discard()

    def discard(self) -> None:
        """Remove the scratch folder (a failed build keeps no entry)."""
        shutil.rmtree(self.scratch, ignore_errors=True)


def _read_entry(folder: Path, key: str) -> Entry | None:
    try:
        record = json.loads((folder / f"{key}.json").read_text("utf-8"))
        return Entry(
            key,
            record["display"],
            folder / f"{key}.nt",
            record["document"],
            int(record["document_line"]),
            record["fingerprint"],
            int(record["claims"]),
            [tuple(s) for s in record["sites"]],
            [tuple(r) for r in record["references"]],
            record["sha256"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or damaged: the sheet is read again
