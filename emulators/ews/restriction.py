"""FindItem restrictions (``m:Restriction``) evaluated on calendar items.

Supported: ``And``, ``Or``, ``Not``, ``Exists``, ``IsEqualTo``, ``IsNotEqualTo``,
``IsGreaterThan(OrEqualTo)``, ``IsLessThan(OrEqualTo)`` and ``Contains`` (Substring / Prefixed /
FullString, IgnoreCase), on a ``FieldURI`` or an ``ExtendedFieldURI`` compared with a
constant. Date-time values compare as instants, numbers as numbers, the rest as strings.
"""

from __future__ import annotations

import operator
import xml.etree.ElementTree as ET

from .errors import ResponseMessageError
from .store import Item, extended_key
from .xml import local_name, parse_datetime, t

COMPARISONS = {
    "IsEqualTo": operator.eq,
    "IsNotEqualTo": operator.ne,
    "IsGreaterThan": operator.gt,
    "IsGreaterThanOrEqualTo": operator.ge,
    "IsLessThan": operator.lt,
    "IsLessThanOrEqualTo": operator.le,
}


def matches(item: Item, expression: ET.Element) -> bool:
    kind = local_name(expression)
    if kind == "And":
        return all(matches(item, part) for part in expression)
    if kind == "Or":
        return any(matches(item, part) for part in expression)
    if kind == "Not":
        return not matches(item, expression[0])
    if kind == "Exists":
        return _value(item, expression[0]) is not None
    if kind == "Contains":
        return _contains(item, expression)
    compare = COMPARISONS.get(kind)
    if compare is None:
        raise ResponseMessageError("ErrorUnsupportedQueryFilter", f"{kind} is not supported.")
    value = _value(item, expression[0])
    constant = expression.find(f"{t('FieldURIOrConstant')}/{t('Constant')}")
    if value is None or constant is None:
        return kind == "IsNotEqualTo" and value is None
    return compare(*_comparable(value, constant.get("Value", "")))


def _contains(item: Item, expression: ET.Element) -> bool:
    value = _value(item, expression[0])
    constant = expression.find(t("Constant"))
    if value is None or constant is None:
        return False
    wanted = constant.get("Value", "")
    if "IgnoreCase" in (expression.get("ContainmentComparison") or ""):
        value, wanted = value.lower(), wanted.lower()
    mode = expression.get("ContainmentMode") or "Substring"
    if mode == "FullString":
        return value == wanted
    if mode == "Prefixed":
        return value.startswith(wanted)
    return wanted in value


def _value(item: Item, path: ET.Element) -> str | None:
    """The text of the property a FieldURI / ExtendedFieldURI names (None: not set)."""
    if local_name(path) == "ExtendedFieldURI":
        found = item.extended.get(extended_key(path))
        return None if found is None else found.findtext(t("Value"))
    element = item.fields.get((path.get("FieldURI") or "").partition(":")[2])
    return None if element is None else (element.text or "").strip()


def _comparable(value: str, constant: str) -> tuple:
    for convert in (parse_datetime, float):
        try:
            return convert(value), convert(constant)
        except ValueError:
            continue
    return value, constant
