"""SHACL validation with pyshacl, reported one line per result with the focus node's file:line."""

from __future__ import annotations

import pyshacl
import rdflib

from kg.assembly import Assembly
from kg.iris import compact
from kg.namespaces import SH
from kg.problems import Problem


def validate_shacl(data: rdflib.Graph, shapes: rdflib.Graph, assembly: Assembly) -> tuple[int, list[Problem]]:
    """Validate ``data`` (ontology mixed in) against ``shapes``; return the shape count and problems.

    Violations are errors; ``sh:Warning`` and ``sh:Info`` results are returned with that severity
    and do not fail the build.
    """
    conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        abort_on_first=False,
        allow_warnings=True,
        advanced=True,
        meta_shacl=False,
    )
    n_shapes = len(set(shapes.subjects(rdflib.RDF.type, SH.NodeShape)))
    problems: list[Problem] = []
    if conforms:
        return n_shapes, problems
    owner = {prop: node for node, prop in shapes.subject_objects(SH.property)}
    details = set(report.objects(None, SH.detail))
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        if result in details:
            continue  # told on its parent's line: one line per problem
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        shape = report.value(result, SH.sourceShape)
        if isinstance(shape, rdflib.BNode):
            shape = owner.get(shape, shape)
        severity = report.value(result, SH.resultSeverity)
        file, line = assembly.where(str(focus)) or ("(unknown source)", 0)
        text = _describe(report, result)
        for detail in _details(report, result):
            where = compact(str(report.value(detail, SH.focusNode)))
            detail_path = report.value(detail, SH.resultPath)
            if isinstance(detail_path, rdflib.URIRef):
                where += " " + compact(str(detail_path))
            text += f"; because {where}: {_describe(report, detail)}"
        problems.append(
            Problem(
                file,
                line,
                text,
                focus=compact(str(focus)),
                path=compact(str(path)) if isinstance(path, rdflib.URIRef) else None,
                shape=compact(str(shape)) if isinstance(shape, rdflib.URIRef) else None,
                severity={SH.Warning: "WARNING", SH.Info: "INFO"}.get(severity, "ERROR"),
            )
        )
    return n_shapes, problems


def _describe(report: rdflib.Graph, result) -> str:
    """``Component: message (value: ...)`` for one validation result."""
    component = report.value(result, SH.sourceConstraintComponent)
    message = report.value(result, SH.resultMessage)
    value = report.value(result, SH.value)
    text = str(message) if message else compact(str(component))
    if component is not None:
        text = f"{compact(str(component)).replace('sh:', '')}: {text}"
    if value is not None and str(value) not in text:
        text += f" (value: {compact(str(value))})"
    return text


def _details(report: rdflib.Graph, result) -> list:
    """The nested results (``sh:detail``) under ``result``, depth first, in a stable order."""
    out = []
    for detail in sorted(report.objects(result, SH.detail), key=lambda d: _describe(report, d)):
        out.append(detail)
        out.extend(_details(report, detail))
    return out
