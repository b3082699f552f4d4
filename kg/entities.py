"""Entity sheets: who and what the claims are about, with names in every language the sources use.

An entity sheet (``data/entities/*.yaml``) is a list of records::

    - id: chip/h100                # key: kind/slug, stable, becomes the IRI
      type: Chip                   # an aigeo class
      label: {en: NVIDIA H100}     # one preferred label per language (skos:prefLabel)
      alt: {en: [H100]}            # alternative labels (skos:altLabel)
      notation: [...]              # identifiers such as a Federal Register citation
      links: {tierOf: rule/...}    # identity-level links: true by definition of the entity

An **alias record** adds names to an entity defined elsewhere (a country from ISO 3166, or an
entity of another sheet), so that each article's sheet can list the forms it uses::

    - aliases: country/IL
      alt: {he: [מדינת ישראל]}

Facts about an entity are claims, in the fact sheets; an entity sheet only says what it is.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from kg.assembly import Assembly
from kg.iris import entity_iri, graph_iri
from kg.namespaces import AIGEO, SKOS
from kg.problems import Problem
from kg.sheets import check_fields, check_key, read_sheets
from kg.vocabulary import Vocabulary
from kg.yamlfile import Located

ENTITIES_GRAPH = NamedNode(graph_iri("entities"))
_LANGS = {"en", "he", "ar", "zh"}


def load_entities(
    folder: Path, root: Path, vocab: Vocabulary, assembly: Assembly, problems: list[Problem]
) -> int:
    """Read every entity sheet in ``folder`` into ``assembly``; return the number of entities."""
    count = 0
    aliases: list[tuple[Located, str]] = []
    for display, records in read_sheets(folder, root, problems, as_list="an entity sheet"):
        for record in records:
            if isinstance(record, Located) and "aliases" in record:
                aliases.append((record, display))
            elif _load_one(record, display, vocab, assembly, problems):
                count += 1
    for record, display in aliases:
        _load_alias(record, display, assembly, problems)
    return count


def _load_alias(record: Located, display: str, assembly: Assembly, problems: list[Problem]) -> None:
    if not check_fields(
        record, {"aliases"}, {"alt", "note", "wikidata"}, "alias record", problems, display, record.line
    ):
        return
    key = record["aliases"]
    if not check_key(key, problems, display, record.line_of("aliases"), "aliases"):
        return
    iri = entity_iri(key)
    if iri not in assembly.entities:
        problems.append(
            Problem(display, record.line_of("aliases"), f"alias record for unknown entity {key!r}")
        )
        return
    if "alt" in record:
        _labels(record, "alt", SKOS.altLabel, iri, display, assembly, problems, single=False)
    _wikidata(record, iri, display, assembly, problems)


def _wikidata(record: Located, iri: str, display: str, assembly: Assembly, problems: list[Problem]) -> None:
    """A verified Wikidata item id (Q followed by digits) becomes aigeo:wikidata."""
    if "wikidata" not in record:
        return
    qid = record["wikidata"]
    if not isinstance(qid, str) or not re.fullmatch(r"Q[1-9][0-9]*", qid):
        problems.append(
            Problem(display, record.line_of("wikidata"), f"wikidata {qid!r} is not an item id such as Q148")
        )
        return
    assembly.add(iri, AIGEO.wikidata, f"http://www.wikidata.org/entity/{qid}", ENTITIES_GRAPH)


def _load_one(record, display, vocab: Vocabulary, assembly: Assembly, problems) -> bool:
    line = getattr(record, "line", 0)
    if not check_fields(
        record,
        {"id", "type", "label"},
        {"alt", "notation", "links", "note", "wikidata"},
        "entity",
        problems,
        display,
        line,
    ):
        return False
    key = record["id"]
    if not check_key(key, problems, display, record.line_of("id"), "entity id"):
        return False
    if key.startswith("claim/") and key.count("/") > 1:
        # fact sheets mint claim/<document>/<claim>; SHACL reuse and labels rely on nothing else there
        problems.append(
            Problem(
                display,
                record.line_of("id"),
                f"entity id {key!r}: claim/<document>/... is where fact sheets mint their claims",
            )
        )
        return False
    iri = str(entity_iri(key))
    if iri in assembly.entities:
        file, first = assembly.where(iri) or ("?", 0)
        problems.append(
            Problem(
                display,
                record.line_of("id"),
                f"duplicate entity id {key!r} (first defined at {file}:{first})",
            )
        )
        return False
    cls = vocab.classes.get(str(record["type"]))
    if cls is None:
        # known all the same, so that records referring to it do not each add "unknown entity"
        assembly.entities.add(iri)
        assembly.define(iri, display, record.line)
        problems.append(
            Problem(
                display,
                record.line_of("type"),
                f"unknown class {record['type']!r}; {_suggest(str(record['type']), vocab.classes)}",
            )
        )
        return False
    g = ENTITIES_GRAPH
    assembly.entities.add(iri)
    assembly.define(iri, display, record.line)
    assembly.add_type(iri, cls, g)
    _labels(record, "label", SKOS.prefLabel, iri, display, assembly, problems, single=True)
    if "alt" in record:
        _labels(record, "alt", SKOS.altLabel, iri, display, assembly, problems, single=False)
    notations = record.get("notation") or []
    if not isinstance(notations, list) or not all(isinstance(n, str | int) for n in notations):
        problems.append(Problem(display, record.line_of("notation"), "notation takes a list of identifiers"))
        notations = []
    for notation in notations:
        assembly.add(iri, SKOS.notation, Literal(str(notation)), g)
    _wikidata(record, iri, display, assembly, problems)
    if "note" in record:
        assembly.add(iri, SKOS.scopeNote, Literal(" ".join(str(record["note"]).split()), language="en"), g)
    links = record.get("links")
    if links is None:
        return True
    if not isinstance(links, Located):
        problems.append(
            Problem(display, record.line_of("links"), "links must be a mapping of property to entity id")
        )
        return True
    for prop_name, target in links.items():
        prop = vocab.properties.get(prop_name)
        where = links.line_of(prop_name)
        if prop is None or not prop.is_object:
            problems.append(Problem(display, where, f"unknown object property {prop_name!r} in links"))
            continue
        if check_key(target, problems, display, where, "link target"):
            assembly.add(iri, prop.iri, entity_iri(target), g)
            assembly.refer(entity_iri(target), display, where)
    return True


def _labels(record: Located, field: str, prop, iri, display, assembly, problems, single: bool) -> None:
    labels = record[field]
    where = record.line_of(field)
    if not isinstance(labels, Located) or not labels:
        problems.append(Problem(display, where, f"{field} must map a language code to text"))
        return
    if single and "en" not in labels:
        problems.append(Problem(display, where, f"{field} needs an English form (en)"))
    for lang, text in labels.items():
        if lang not in _LANGS:
            problems.append(
                Problem(
                    display,
                    labels.line_of(lang),
                    f"unknown language {lang!r} (known: {', '.join(sorted(_LANGS))})",
                )
            )
            continue
        texts = [text] if single or isinstance(text, str) else text
        if single and not isinstance(text, str):
            problems.append(Problem(display, labels.line_of(lang), f"{field} takes one text per language"))
            continue
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            problems.append(Problem(display, labels.line_of(lang), f"{field} takes text or a list of texts"))
            continue
        for t in texts:
            assembly.add(iri, prop, Literal(t, language=lang), ENTITIES_GRAPH)


def _suggest(name: str, known) -> str:
    near = difflib.get_close_matches(name, sorted(known), n=3)
    return (
        f"did you mean {', '.join(near)}?" if near else f"the ontology declares: {', '.join(sorted(known))}"
    )
