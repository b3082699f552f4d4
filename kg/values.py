"""Turning curated values (YAML scalars) into typed RDF literals, with a reason when they do not fit.

>>> date_literal("2025-01-13").value, date_literal("2025-05").datatype.value[-10:]
('2025-01-13', 'gYearMonth')
>>> date_literal("2025-02-30")
Traceback (most recent call last):
...
ValueError: invalid date '2025-02-30': day is out of range for month
>>> typed_literal(1500, "http://www.w3.org/2001/XMLSchema#integer").value
'1500'
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from pyoxigraph import Literal, NamedNode

from kg.iris import XSD_NS

#: The ontology's union of xsd:date, xsd:gYearMonth and xsd:gYear: a date at the precision stated.
DATE_STATED = "https://w3id.org/aigeo/ontology#DateStated"

_YEAR = re.compile(r"^\d{4}$")
_YEAR_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date_literal(text: object) -> Literal:
    """A date as stated: ``YYYY-MM-DD`` (xsd:date), ``YYYY-MM`` (gYearMonth) or ``YYYY`` (gYear).

    Raises:
        ValueError: not one of those forms, or an impossible day such as 2025-02-30.
    """
    s = str(text).strip()
    if _DAY.match(s):
        try:
            dt.date.fromisoformat(s)
        except ValueError as exc:
            raise ValueError(f"invalid date '{s}': {exc}") from None
        return Literal(s, datatype=NamedNode(XSD_NS + "date"))
    if _YEAR_MONTH.match(s):
        return Literal(s, datatype=NamedNode(XSD_NS + "gYearMonth"))
    if _YEAR.match(s):
        return Literal(s, datatype=NamedNode(XSD_NS + "gYear"))
    raise ValueError(f"invalid date '{s}': expected YYYY-MM-DD, YYYY-MM or YYYY")


def typed_literal(value: object, datatype: str | None, language: str | None = None) -> Literal:
    """Type ``value`` as ``datatype`` (an xsd IRI); strings get ``language`` when given.

    Raises:
        ValueError: the value does not fit the datatype.
    """
    if datatype in (None, XSD_NS + "string") or datatype.endswith("#langString"):
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {value!r}")
        if language and datatype and datatype.endswith("#langString"):
            return Literal(value, language=language)
        return Literal(value)
    if datatype == DATE_STATED:
        return date_literal(value)
    if datatype in (XSD_NS + "date", XSD_NS + "gYear", XSD_NS + "gYearMonth"):
        lit = date_literal(value)
        if lit.datatype.value != datatype:
            want = datatype.rsplit("#", 1)[1]
            raise ValueError(f"expected a {want}, got '{value}'")
        return lit
    if datatype == XSD_NS + "anyURI":
        if not isinstance(value, str) or not re.match(r"^https?://\S+$", value):
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return Literal(value, datatype=NamedNode(datatype))
    if datatype == XSD_NS + "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return Literal("true" if value else "false", datatype=NamedNode(datatype))
    if datatype in (XSD_NS + "integer", XSD_NS + "nonNegativeInteger"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {value!r}")
        return Literal(str(value), datatype=NamedNode(datatype))
    if datatype in (XSD_NS + "decimal", XSD_NS + "double"):
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"expected a number, got {value!r}") from None
        return Literal(str(number), datatype=NamedNode(datatype))
    raise ValueError(f"the project cannot type values of {datatype}")
