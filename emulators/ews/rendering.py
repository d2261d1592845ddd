"""An item's element in schema order, shared by the contact and message renderers."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable

from .items import Shape
from .store import Item, extended_key
from .xml import t


def in_order(
    tag: str,
    order: Iterable[str],
    fields: dict[str, ET.Element],
    item: Item,
    shape: Shape,
    wanted: Callable[[str], bool],
) -> ET.Element:
    """``t:<tag>`` with ``fields`` in ``order``: ``ItemId`` always, the others ``wanted`` by
    the shape, and the extended properties the shape asks for (only those, as Exchange)."""
    element = ET.Element(t(tag))
    for name in order:
        if name == "ExtendedProperty":
            for uri in shape.extended:
                found = item.extended.get(extended_key(uri))
                if found is not None:
                    element.append(copy.deepcopy(found))
            continue
        value = fields.get(name)
        if value is not None and (name == "ItemId" or wanted(name)):
            element.append(copy.deepcopy(value))
    return element
