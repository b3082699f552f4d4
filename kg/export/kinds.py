"""Kinds of entity: the coarse groups an analyst filters and colours by, each with one colour.

A kind is named after an ontology class and holds that class and every class below it, so that
``organisation`` covers companies, think tanks and media outlets. The table runs from specific to
general: an entity gets the first kind whose class is among its class's ancestors. A class under
none of them becomes a kind of its own (its name in kebab case, drawn grey), so that a new class
never breaks an export; a test says when the table should learn it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.problems import UsageError


@dataclass(frozen=True)
class Kind:
    """A group of entity classes with a name, a root class and a colour (hex RGB)."""

    name: str
    root: str
    colour: str


KINDS: tuple[Kind, ...] = (
    Kind("country", "Country", "#1f77b4"),
    Kind("place", "Place", "#6baed6"),
    Kind("person", "Person", "#ff7f0e"),
    Kind("organisation", "Organisation", "#2ca02c"),
    Kind("agent", "Agent", "#98df8a"),
    Kind("model", "AIModel", "#d62728"),
    Kind("chip", "Chip", "#9467bd"),
    Kind("chip-architecture", "ChipArchitecture", "#c5b0d5"),
    Kind("compute", "ChipAccess", "#8c564b"),
    Kind("training-run", "TrainingRun", "#e377c2"),
    Kind("investment", "Investment", "#bcbd22"),
    Kind("export-rule", "ExportControlRule", "#17becf"),
    Kind("tier", "Tier", "#0b6e79"),
    Kind("country-group", "CountryGroup", "#393b79"),
    Kind("compute-cap", "ComputeCap", "#637939"),
    Kind("control-criterion", "ControlCriterion", "#8c6d31"),
    Kind("threshold", "Threshold", "#e7969c"),
    Kind("export-classification", "ExportClassification", "#7b4173"),
    Kind("licence-exception", "LicenceException", "#a55194"),
    Kind("licence", "Licence", "#ce6dbd"),
    Kind("technique", "Technique", "#fd8d3c"),
    Kind("benchmark", "Benchmark", "#fdd0a2"),
    Kind("document", "Document", "#969696"),
    Kind("currency", "Currency", "#d9d9d9"),
    Kind("unit", "Unit", "#bdbdbd"),
)

#: Kinds left out unless asked for: units of figures, which claims use as units and never relate.
DEFAULT_EXCLUDED = frozenset({"currency", "unit"})
_UNKNOWN_COLOUR = "#b0b0b0"


def kind_of(ancestors: set[str], cls: str) -> Kind:
    """The kind of an entity whose class is ``cls`` with the given ancestors (``cls`` included).

    >>> kind_of({"ThinkTank", "Organisation", "Agent"}, "ThinkTank").name
    'organisation'
    >>> kind_of({"Gadget"}, "Gadget")
    Kind(name='gadget', root='Gadget', colour='#b0b0b0')
    """
    for kind in KINDS:
        if kind.root in ancestors:
            return kind
    return Kind(kebab(cls), cls, _UNKNOWN_COLOUR)


def kebab(name: str) -> str:
    """``ChipArchitecture`` → ``chip-architecture``; ``AIModel`` → ``ai-model``.

    >>> kebab("ChipArchitecture"), kebab("AIModel"), kebab("think_tank")
    ('chip-architecture', 'ai-model', 'think-tank')
    """
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", name)
    return name.replace("_", "-").lower()


def parse_kinds(text: str, known: dict[str, set[str]]) -> set[str]:
    """The classes a ``--kinds`` value names.

    Args:
        text: comma-separated kind names (``organisation``) or class names (``ThinkTank``,
            ``think-tank``), or ``all``.
        known: every name that may be given, mapped to the classes it covers.

    Raises:
        UsageError: a name is not a kind or class of the build; the message lists the kinds.
    """
    classes: set[str] = set()
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        name = kebab(raw)
        if name == "all":
            classes |= set().union(*known.values())
            continue
        if name not in known:
            kinds = ", ".join(k.name for k in KINDS if k.name in known)
            raise UsageError(f"--kinds: unknown kind {raw!r}; kinds: {kinds}, all (or a class name)")
        classes |= known[name]
    if not classes:
        raise UsageError("--kinds: give at least one kind")
    return classes
