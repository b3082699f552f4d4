"""Asking a competency question from Python: the runtime behind the generated :mod:`kg.helpers`.

>>> from kg.ask import python_value
>>> from pyoxigraph import Literal, NamedNode
>>> python_value(Literal("1500", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer")))
1500
>>> python_value(Literal("2025-01-13", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#date")))
datetime.date(2025, 1, 13)
>>> python_value(NamedNode("https://w3id.org/aigeo/id/country/IL"))
'https://w3id.org/aigeo/id/country/IL'
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode

from kg.iris import XSD_NS
from kg.problems import UsageError


@cache
def _store(out: str):
    from kg.store import open_build

    return open_build(Path(out))


def connect(out: str | Path | None = None):
    """The embedded store of the build in ``out`` (default: the project's ``dist/``), loaded once."""
    from kg.layout import Layout

    folder = Path(out) if out else Layout.find().out
    return _store(str(folder.resolve()))


def ask(name: str, params: dict[str, object], store=None, endpoint: str | None = None) -> list[tuple]:
    """Answer the competency question ``name`` with ``params``; return rows of Python values.

    Parameters are given as Python values (``int``, ``datetime.date``, ``str`` names) and typed by
    the question's header, as on the command line. ``None`` leaves an optional parameter unset.

    Raises:
        UsageError: an unknown question or parameter, or a value that does not fit.
    """
    from kg.layout import Layout
    from kg.queries import convert_value, find_queries
    from kg.results import ResultTable
    from kg.store import EntityResolver, embedded_runner

    query = find_queries(Layout.find().queries / "cq").get(name)
    if query is None:
        raise UsageError(f"unknown question {name!r}")
    if endpoint:
        from kg.remote import Endpoint

        run = Endpoint(endpoint).query
    else:
        run = embedded_runner(store if store is not None else connect())
    resolver = EntityResolver(run)
    values = {}
    for key in params:
        if key not in query.params:
            raise UsageError(f"question {name} has no parameter {key!r}")
    for key, param in query.params.items():
        given = params.get(key)
        if given is None:
            text = param.default
        else:
            text = given.isoformat() if isinstance(given, dt.date) else str(given)
        if text is None:
            if not param.optional:
                raise UsageError(f"question {name} needs the parameter {key}")
            continue
        values[key] = convert_value(param, text, resolver.resolve)
    table = ResultTable.read(run(query.bind(values)))
    return [tuple(python_value(t) for t in row) for row in table.rows]


def python_value(term):
    """The Python value of an RDF term: IRIs as strings, typed literals as int, Decimal, date, bool."""
    if term is None:
        return None
    if isinstance(term, NamedNode):
        return term.value
    if isinstance(term, BlankNode):
        return "_:" + term.value
    if isinstance(term, Literal):
        dt_iri = term.datatype.value if not term.language else None
        try:
            if dt_iri in (XSD_NS + "integer", XSD_NS + "int", XSD_NS + "long", XSD_NS + "gYear"):
                return int(term.value)
            if dt_iri in (XSD_NS + "decimal", XSD_NS + "double", XSD_NS + "float"):
                return Decimal(term.value)
            if dt_iri == XSD_NS + "date":
                return dt.date.fromisoformat(term.value)
            if dt_iri == XSD_NS + "boolean":
                return term.value in ("true", "1")
        except ValueError:
            return term.value
        return term.value
    return str(term)


def to_dataframe(rows: list[tuple]):
    """A pandas DataFrame of helper rows (named tuples); needs pandas, which aigeo does not require."""
    try:
        import pandas
    except ImportError:
        raise ImportError("to_dataframe needs pandas: pip install pandas") from None
    if not rows:
        return pandas.DataFrame()
    return pandas.DataFrame.from_records(rows, columns=list(rows[0]._fields))
