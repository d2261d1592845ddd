"""OData query options and Prefer headers as Graph's calendar endpoints accept them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..base import RecordedRequest
from . import errors, timezones
from .store import Instance

EVENT_PROPERTIES = {
    "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories", "transactionId",
    "originalStartTimeZone", "originalEndTimeZone", "iCalUId", "reminderMinutesBeforeStart",
    "isReminderOn", "hasAttachments", "subject", "bodyPreview", "importance", "sensitivity",
    "isAllDay", "isCancelled", "isOrganizer", "responseRequested", "seriesMasterId", "showAs",
    "type", "webLink", "onlineMeetingUrl", "isOnlineMeeting", "onlineMeetingProvider",
    "allowNewTimeProposals", "isDraft", "hideAttendees", "originalStart", "responseStatus",
    "body", "start", "end", "location", "locations", "recurrence", "attendees", "organizer",
    "onlineMeeting",
}  # fmt: skip
MAX_TOP = 1000
_STRING_FILTERS = {
    "icaluid": lambda i, r: r["iCalUId"],
    "subject": lambda i, r: r["subject"],
    "seriesmasterid": lambda i, r: r["seriesMasterId"],
    "type": lambda i, r: r["type"],
    "id": lambda i, r: r["id"],
}
_EXTENDED_ANY_RE = re.compile(
    r"^singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*\1/id\s+eq\s+'(?P<id>(?:[^']|'')*)'"
    r"(?:\s+and\s+\1/value\s+eq\s+'(?P<value>(?:[^']|'')*)')?\s*\)$",
    re.IGNORECASE,
)
_EQ_RE = re.compile(r"^(?P<prop>\w+)\s+eq\s+'(?P<value>(?:[^']|'')*)'$", re.IGNORECASE)
_EXPAND_RE = re.compile(
    r"^singleValueExtendedProperties(?:\(\s*\$filter\s*=\s*(?P<filter>.*)\))?$", re.IGNORECASE
)
_EXPAND_ID_RE = re.compile(r"^id\s+eq\s+'(?P<id>(?:[^']|'')*)'$", re.IGNORECASE)


@dataclass
class Prefer:
    max_page_size: int | None = None
    time_zone: str | None = None
    body_type: str | None = None

    def applied(self) -> str:
        parts = []
        if self.max_page_size:
            parts.append(f"odata.maxpagesize={self.max_page_size}")
        if self.time_zone:
            parts.append(f'outlook.timezone="{self.time_zone}"')
        if self.body_type:
            parts.append(f'outlook.body-content-type="{self.body_type}"')
        return ", ".join(parts)


def _split_preferences(value: str) -> list[str]:
    # Commas inside quoted values ("W. Europe Standard Time" has none, but be safe).
    return [part.strip() for part in re.findall(r'(?:[^,"]|"[^"]*")+', value) if part.strip()]


def parse_prefer(request: RecordedRequest) -> Prefer:
    prefer = Prefer()
    for header in request.headers.get_all("Prefer"):
        for item in _split_preferences(header):
            name, _, value = item.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name == "odata.maxpagesize" and value.isdigit() and int(value) > 0:
                prefer.max_page_size = int(value)
            elif name == "outlook.timezone" and value:
                # An unknown zone is ignored (answers stay in UTC), as Graph does.
                prefer.time_zone = value if timezones.is_known(value) else None
            elif name == "outlook.body-content-type" and value.lower() in ("text", "html"):
                prefer.body_type = value.lower()
    return prefer


def _unquote(value: str) -> str:
    return value.replace("''", "'")


def parse_filter(
    text: str | None, strings: dict[str, str] | None = None
) -> Callable[[Instance, dict], bool] | None:
    """A predicate over (item, rendered item) for the few filters supported: events' string
    members, or ``strings`` (lower name -> rendered member) for other resources, and the
    extended property clause."""
    if not text:
        return None
    clauses = [c.strip() for c in re.split(r"\s+and\s+(?![^()]*\))", text.strip(), flags=re.I)]
    getters = _STRING_FILTERS
    if strings is not None:
        getters = {name: _member_getter(member) for name, member in strings.items()}
    predicates = [_clause(clause, getters) for clause in clauses]
    return lambda instance, rendered: all(p(instance, rendered) for p in predicates)


def _member_getter(member: str) -> Callable[[Any, dict], Any]:
    return lambda _item, rendered: rendered.get(member)


def _clause(clause: str, getters: dict[str, Callable]) -> Callable[[Instance, dict], bool]:
    match = _EXTENDED_ANY_RE.match(clause)
    if match:
        wanted_id = _unquote(match["id"]).lower()
        wanted_value = _unquote(match["value"]) if match["value"] is not None else None

        def has_property(instance: Instance, _rendered: dict) -> bool:
            stored = instance.extended.get(wanted_id)
            return stored is not None and (wanted_value is None or stored["value"] == wanted_value)

        return has_property
    match = _EQ_RE.match(clause)
    if match and match["prop"].lower() in getters:
        getter, value = getters[match["prop"].lower()], _unquote(match["value"])
        return lambda instance, rendered: getter(instance, rendered) == value
    raise errors.bad_request(
        f"Invalid filter clause: the expression '{clause}' is not supported.",
        "ErrorInvalidUrlQueryFilter",
    )


def parse_select(text: str | None) -> list[str] | None:
    if not text:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in EVENT_PROPERTIES and name != "singleValueExtendedProperties":
            raise errors.bad_request(
                f"Could not find a property named '{name}' on type 'microsoft.graph.event'.",
                "RequestBroker--ParseUri",
            )
    return names


def parse_expand(text: str | None) -> list[str] | None:
    """Extended property ids to return ([] = all of them), None without $expand."""
    if not text:
        return None
    match = _EXPAND_RE.match(text.strip())
    if not match:
        raise errors.bad_request(
            f"Parsing OData Select and Expand failed: Could not find a property named "
            f"'{text.split('(')[0]}' on type 'microsoft.graph.event'.",
            "BadRequest",
        )
    if not match["filter"]:
        return []
    ids = []
    for part in re.split(r"\s+or\s+", match["filter"].strip(), flags=re.IGNORECASE):
        found = _EXPAND_ID_RE.match(part.strip())
        if not found:
            raise errors.bad_request(
                f"Invalid filter clause in $expand: '{part}'.", "ErrorInvalidUrlQueryFilter"
            )
        ids.append(_unquote(found["id"]))
    return ids


_ORDER_KEYS: dict[str, Callable[[Instance, dict], Any]] = {
    "start/datetime": lambda i, r: i.start,
    "end/datetime": lambda i, r: i.end,
    "lastmodifieddatetime": lambda i, r: r["lastModifiedDateTime"],
    "createddatetime": lambda i, r: r["createdDateTime"],
    "subject": lambda i, r: r["subject"].lower(),
}


def parse_orderby(text: str | None) -> tuple[Callable[[Instance, dict], Any], bool] | None:
    if not text:
        return None
    prop, _, direction = text.strip().partition(" ")
    key = _ORDER_KEYS.get(prop.lower())
    if key is None or direction.strip().lower() not in ("", "asc", "desc"):
        raise errors.bad_request(f"The $orderby expression '{text}' is not supported.")
    return key, direction.strip().lower() == "desc"


def int_option(request: RecordedRequest, name: str, default: int, high: int) -> int:
    raw = request.arg(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise errors.bad_request(f"Invalid value '{raw}' for query option '{name}'.")
    return min(int(raw), high)
