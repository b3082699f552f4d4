"""Write a synthetic data folder in aigeo's curated format, for benchmarks.

    python benchmarks/generate.py --claims 10000 --out /tmp/aigeo-10k [--violations 6]

The folder has the layout of the project's own ``data/`` (see docs/curation.md): source texts
with their metadata records and SHA-256, entity sheets of every kind the claims use, and one
fact sheet per document whose quotes are sentences of that document's text, so that the build
locates every quote exactly as it does for curated data. Documents are written in English,
Hebrew and Arabic in turn. The same seed gives the same folder, byte for byte.

With ``--violations K`` the generator also injects K problems that the loader accepts but a
later check must catch (a shape, an OWL RL axiom or a quality check), cycling through the kinds
in :data:`VIOLATION_KINDS`, and lists them in ``violations.json`` next to ``data/``: kind, file,
line and the focus node the build must name. ``benchmarks/run.py`` fails if one goes unreported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CLAIMS_PER_DOCUMENT = 50
LANGUAGES = ("en", "he", "ar")

#: Each kind: what is broken, and which check must report it.
VIOLATION_KINDS = {
    "negative-chip-count": "a cluster's chip count below zero (shape: sh:minInclusive)",
    "value-outside-range": "a model developed by a chip (quality check: value outside the range)",
    "subject-outside-domain": "a country with a parameter count (quality check: subject outside the domain)",
    "cluster-uses-model": "a cluster said to use a model as its chip (shape: sh:class aigeo:Chip)",
}

# (subject kind, property, value kind, unit, sentence per language). Value kinds name an entity
# kind, or int/decimal/date for literals. Sentences are the project's own wording.
TEMPLATES = [
    (
        "model",
        "developedBy",
        "org",
        None,
        {"en": "{s} was developed by {v}", "he": "{s} פותח על ידי {v}", "ar": "تم تطوير {s} من قبل {v}"},
    ),
    (
        "org",
        "headquarteredIn",
        "country",
        None,
        {"en": "{s} is based in {v}", "he": "מטה {s} נמצא ב{v}", "ar": "يقع مقر {s} في {v}"},
    ),
    (
        "cluster",
        "usesChip",
        "chip",
        None,
        {
            "en": "{s} is built from {v} processors",
            "he": "{s} בנוי ממעבדי {v}",
            "ar": "يتكون {s} من معالجات {v}",
        },
    ),
    (
        "cluster",
        "chipCount",
        "int",
        None,
        {"en": "{s} holds {v} accelerators", "he": "ב{s} יש {v} מאיצים", "ar": "يضم {s} {v} مسرعا"},
    ),
    (
        "model",
        "totalParameters",
        "int",
        "unit/parameter",
        {"en": "{s} has {v} parameters", "he": "ל{s} יש {v} פרמטרים", "ar": "يحتوي {s} على {v} معلمة"},
    ),
    (
        "model",
        "releaseDate",
        "date",
        None,
        {"en": "{s} was released on {v}", "he": "{s} שוחרר ב-{v}", "ar": "أطلق {s} في {v}"},
    ),
    (
        "chip",
        "vendor",
        "org",
        None,
        {"en": "{s} is sold by {v}", "he": "את {s} מוכרת {v}", "ar": "تبيع {v} شريحة {s}"},
    ),
    (
        "org",
        "foundingDate",
        "date",
        None,
        {"en": "{s} was founded on {v}", "he": "{s} נוסדה ב-{v}", "ar": "تأسست {s} في {v}"},
    ),
    (
        "model",
        "comparableTo",
        "model",
        None,
        {"en": "{s} is on a par with {v}", "he": "{s} שקול ל{v}", "ar": "{s} يضاهي {v}"},
    ),
    (
        "person",
        "founderOf",
        "org",
        None,
        {"en": "{s} founded {v}", "he": "{s} ייסד את {v}", "ar": "أسس {s} شركة {v}"},
    ),
    (
        "cluster",
        "cost",
        "decimal",
        "currency/USD",
        {"en": "{s} cost {v} dollars", "he": "{s} עלה {v} דולר", "ar": "كلف {s} {v} دولار"},
    ),
    (
        "chip",
        "memoryGB",
        "decimal",
        None,
        {"en": "{s} carries {v} GB of memory", "he": "ל{s} יש {v} GB זיכרון", "ar": "تحمل {s} ذاكرة {v} GB"},
    ),
    (
        "model",
        "outperforms",
        "model",
        None,
        {"en": "{s} beats {v} on benchmarks", "he": "{s} עוקף את {v} במבחנים", "ar": "يتفوق {s} على {v}"},
    ),
]

# Entity kinds: type in the ontology, key prefix, share of the claim count.
KINDS = {
    "org": ("Company", "org", 1 / 20),
    "person": ("Person", "person", 1 / 50),
    "model": ("AIModel", "model", 1 / 20),
    "chip": ("Chip", "chip", 1 / 100),
    "cluster": ("ComputeCluster", "cluster", 1 / 50),
}
COUNTRIES = ["US", "CN", "IL", "AE", "SA", "FR", "DE", "GB", "JP", "KR", "IN", "SG", "TW", "NL"]
STATUSES = ["asserted", "reported", "estimated", "disputed"]


@dataclass
class Entity:
    key: str
    kind: str
    label: str


def generate(claims: int, out: Path, violations: int = 0, seed: int = 1, with_curated: bool = False) -> dict:
    """Write a data folder with ``claims`` claims under ``out/data``; return a summary.

    With ``with_curated`` the folder starts as a copy of the project's own ``data/`` (its
    documents, rules, tiers and chips), so that every competency question has something to
    find with its default parameters; the synthetic documents come on top.
    """
    rng = random.Random(seed)
    data = out / "data"
    if data.exists():
        shutil.rmtree(data)
    if with_curated:
        shutil.copytree(PROJECT / "data", data)
    for sub in ("sources", "entities", "facts", "documents"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    entities = _entities(claims)
    _write_entities(data / "entities", entities)
    # Units are part of the project's vocabulary, not of any one document: take them as they are.
    shutil.copy(PROJECT / "data" / "entities" / "units.yaml", data / "entities" / "units.yaml")
    manifest: list[dict] = []
    documents = max(1, -(-claims // CLAIMS_PER_DOCUMENT))
    written = 0
    for d in range(documents):
        n = min(CLAIMS_PER_DOCUMENT, claims - written)
        _write_document(data, d, n, written, entities, rng)
        written += n
    if violations:
        manifest = _inject(data, violations, entities)
    (out / "violations.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return {
        "claims": written,
        "documents": documents,
        "entities": sum(map(len, entities.values())),
        "violations": len(manifest),
    }


def _entities(claims: int) -> dict[str, list[Entity]]:
    out = {}
    for kind, (_type, prefix, share) in KINDS.items():
        count = max(4, int(claims * share))
        out[kind] = [
            Entity(f"{prefix}/syn-{kind}-{i:06d}", kind, f"Synthetic {kind} {i}") for i in range(count)
        ]
    out["country"] = [Entity(f"country/{c}", "country", c) for c in COUNTRIES]
    return out


def _write_entities(folder: Path, entities: dict[str, list[Entity]]) -> None:
    for kind, (type_, _prefix, _share) in KINDS.items():
        lines = [f"# Synthetic {kind} entities (benchmarks/generate.py)."]
        for i, e in enumerate(entities[kind]):
            lines.append(f"- id: {e.key}")
            lines.append(f"  type: {type_}")
            if i % 3 == 0:
                lines.append(f"  label: {{en: {e.label}, he: ישות {kind} {i}}}")
            else:
                lines.append(f"  label: {{en: {e.label}}}")
            lines.append("")
        (folder / f"synthetic-{kind}.yaml").write_text("\n".join(lines), encoding="utf-8")


def _value(kind: str, entities, rng: random.Random, subject: Entity) -> tuple[str, str]:
    """A value for the sheet and its wording in the quote."""
    if kind == "int":
        n = rng.randrange(1, 10**9)
        return str(n), str(n)
    if kind == "decimal":
        n = rng.randrange(1, 10**7) / 4
        return str(n), str(n)
    if kind == "date":
        y, m, d = rng.randrange(1990, 2026), rng.randrange(1, 13), rng.randrange(1, 29)
        return f"{y:04d}-{m:02d}-{d:02d}", f"{y:04d}-{m:02d}-{d:02d}"
    pool = entities[kind]
    value = rng.choice(pool)
    while value is subject:
        value = rng.choice(pool)
    return value.key, value.label


def _write_document(data: Path, d: int, n: int, first: int, entities, rng: random.Random) -> None:
    doc = f"syn-doc-{d:06d}"
    lang = LANGUAGES[d % len(LANGUAGES)]
    sentences: list[str] = []
    records: list[str] = []
    for i in range(n):
        subject_kind, prop, value_kind, unit, wording = TEMPLATES[(first + i) % len(TEMPLATES)]
        subject = rng.choice(entities[subject_kind])
        value, said = _value(value_kind, entities, rng, subject)
        quote = f"{wording[lang].format(s=subject.label, v=said)} (§{i + 1})"
        sentences.append(quote + ".")
        rec = [
            f"  - id: c{i + 1:03d}",
            f"    subject: {subject.key}",
            f"    property: {prop}",
            f"    value: {_yaml_scalar(value)}",
        ]
        if unit:
            rec.append(f"    unit: {unit}")
        rec.append(f"    quote: {json.dumps(quote, ensure_ascii=False)}")
        rec.append(f"    translation: {json.dumps(wording['en'].format(s=subject.label, v=said))}")
        rec.append(f"    status: {STATUSES[(first + i) % len(STATUSES)]}")
        if (first + i) % 11 == 0:
            rec.append("    qualifier: about")
        if (first + i) % 13 == 0:
            rec.append(f"    point_in_time: {2020 + (first + i) % 6}")
        records.append("\n".join(rec))
    text = "\n".join(sentences) + "\n"
    (data / "sources" / f"{doc}.txt").write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    (data / "sources" / f"{doc}.yaml").write_text(
        f"# Synthetic document {d} (benchmarks/generate.py).\n"
        f"id: {doc}\ntext: {doc}.txt\nsha256: {digest}\nscope: full-text\ntype: NewsArticle\n"
        f"language: {lang}\ntitle:\n  value: Synthetic report {d}\n  basis: stated\n"
        f"publisher:\n  basis: unknown\nauthors:\n  basis: unknown\n"
        f"date:\n  value: {2020 + d % 6}-{1 + d % 12:02d}-{1 + d % 28:02d}\n  basis: stated\n"
        f"url:\n  basis: unknown\n",
        encoding="utf-8",
    )
    claimant = entities["org"][d % len(entities["org"])].key
    (data / "facts" / f"{doc}.yaml").write_text(
        f"# Claims of synthetic document {d} (benchmarks/generate.py).\n"
        f"document: {doc}\nclaimant: {claimant}\nconfidence: medium\nclaims:\n" + "\n\n".join(records) + "\n",
        encoding="utf-8",
    )


def _yaml_scalar(value: str) -> str:
    return json.dumps(value) if "/" not in value and "-" in value else value


def _inject(data: Path, k: int, entities) -> list[dict]:
    """Append K claims (or entities) that break a later check; return where each one is."""
    manifest = []
    kinds = list(VIOLATION_KINDS)
    sheet = data / "facts" / "syn-doc-000000.yaml"
    source = data / "sources" / "syn-doc-000000.txt"
    for i in range(k):
        kind = kinds[i % len(kinds)]
        if kind == "negative-chip-count":
            subject, prop, value = (
                entities["cluster"][i % len(entities["cluster"])].key,
                "chipCount",
                f"-{i + 5}",
            )
        elif kind == "value-outside-range":
            subject, prop, value = (
                entities["model"][i % len(entities["model"])].key,
                "developedBy",
                entities["chip"][i % len(entities["chip"])].key,
            )
        elif kind == "cluster-uses-model":
            subject, prop, value = (
                entities["cluster"][i % len(entities["cluster"])].key,
                "usesChip",
                entities["model"][i % len(entities["model"])].key,
            )
        else:
            subject, prop, value = "country/FR", "totalParameters", str(1000 + i)
        quote = f"Injected problem {i} of kind {kind} (§x{i})"
        _append(source, quote + ".\n")
        line = _line_count(sheet) + 1
        claim_id = f"injected-{i:04d}"
        _append(
            sheet,
            f"\n  - id: {claim_id}\n    subject: {subject}\n    property: {prop}\n    value: {value}\n"
            f"    quote: {json.dumps(quote)}\n    translation: {json.dumps(quote)}\n",
        )
        # The shape reports the entity the derived fact is about; the other checks the claim.
        focus = f"id:{subject}" if kind == "negative-chip-count" else f"id:claim/syn-doc-000000/{claim_id}"
        manifest.append(
            {
                "kind": kind,
                "file": "data/facts/syn-doc-000000.yaml",
                "line": line + 1,
                "focus": focus,
                "check": VIOLATION_KINDS[kind],
            }
        )
    text = source.read_text(encoding="utf-8")
    record = data / "sources" / "syn-doc-000000.yaml"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    lines = [
        f"sha256: {digest}" if ln.startswith("sha256:") else ln
        for ln in record.read_text(encoding="utf-8").splitlines()
    ]
    record.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def _line_count(path: Path) -> int:
    return path.read_text(encoding="utf-8").count("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, required=True, metavar="N")
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="writes DIR/data and DIR/violations.json"
    )
    parser.add_argument("--violations", type=int, default=0, metavar="K")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--with-curated", action="store_true", help="start from a copy of the project's own data/"
    )
    args = parser.parse_args(argv)
    if args.claims < 1 or args.violations < 0:
        parser.error("--claims must be positive and --violations not negative")
    summary = generate(args.claims, args.out, args.violations, args.seed, args.with_curated)
    print(json.dumps(summary), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
