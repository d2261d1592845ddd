"""exchangelib ``CalendarItem`` <-> neutral ``SyncEvent``, both directions.

An EWS calendar item and a Graph event are two projections of the same Exchange item, with the
same properties under other names. The item is therefore read into the shape of a Graph event
and handed to ``graph_mapper`` (and a neutral event is written through ``graph_mapper.to_graph``
before being set on an item), so the two Outlook connectors share one set of decisions:
sensitivity and free/busy, the single reminder, the organizer as an accepted attendee, bodies,
time zones through CLDR's Windows map, recurrence rules. What is EWS's own is here:

- Time zones: ``StartTimeZone`` (``MeetingTimeZone`` before Exchange 2010) is a Windows id;
  exchangelib maps it to IANA, and a Windows id CLDR does not know (no IANA twin) leaves it
  None: the event is then read in the hint (the user's zone) and reported as unknown.
- All-day: exchangelib gives all-day bounds as dates with an INCLUSIVE end; the neutral model's
  end is exclusive (one day added in, removed out).
- The mailbox owner's answer to a meeting someone else organizes is ``MyResponseType``.
- Response types: ``Unknown`` / ``NoResponseReceived`` / ``Organizer`` / ``Accept`` /
  ``Tentative`` / ``Decline`` are Graph's ``none`` / ``notResponded`` / ``organizer`` /
  ``accepted`` / ``tentativelyAccepted`` / ``declined``.
- ``LegacyFreeBusyStatus``: ``Free`` is free; ``Tentative``, ``Busy``, ``OOF``,
  ``WorkingElsewhere`` and ``NoData`` block time (busy). Out: ``Free`` or ``Busy``.
- The Odoo id: the same MAPI named property Graph writes (``graph_mapper.ODOO_ID_PROPERTY_SET``,
  name ``odoo_id``, a string), registered on exchangelib's ``CalendarItem`` as
  ``ODOO_ID_FIELD``; an item made through either API is recognised by the other.
- The online meeting URL: EWS has it as the native ``CalendarItem`` element
  ``JoinOnlineMeetingUrl`` (Exchange 2013+, field URI ``calendar:JoinOnlineMeetingUrl``:
  https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/joinonlinemeetingurl),
  not an extended property. exchangelib 5 has no field for it, and its documented way to add
  one, ``CalendarItem.register``, takes only ``ExtendedProperty`` classes (a TypeError
  otherwise): a native element would mean patching exchangelib's private field list. So the
  video link is left to Odoo (``video_url`` is never read nor written here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from exchangelib import CalendarItem, EWSDate, EWSDateTime, EWSTimeZone, ExtendedProperty
from exchangelib.properties import Attendee as EwsAttendee
from exchangelib.properties import HTMLBody, Mailbox

from calendar_sync_base.services.model import UTC, SyncEvent
from calendar_sync_microsoft.services.graph_mapper import (
    ODOO_ID_PROPERTY,
    ODOO_ID_PROPERTY_SET,
    MalformedEvent,
    parse_event,
)
from calendar_sync_microsoft.services.graph_outbound import graph_normalized, to_graph
from calendar_sync_microsoft.services.timezones import to_iana

from .ews_recurrence import recurrence_from_graph, recurrence_to_graph

ODOO_ID_FIELD = "calendar_sync_odoo_id"

RESPONSE_TO_GRAPH = {
    "Unknown": "none",
    "NoResponseReceived": "notResponded",
    "Organizer": "organizer",
    "Accept": "accepted",
    "Tentative": "tentativelyAccepted",
    "Decline": "declined",
}
RESPONSE_FROM_GRAPH = {graph: ews for ews, graph in RESPONSE_TO_GRAPH.items()}
ITEM_TYPES = {
    "Single": "singleInstance",
    "RecurringMaster": "seriesMaster",
    "Occurrence": "occurrence",
    "Exception": "exception",
}
ATTENDEE_LISTS = {
    "required_attendees": "required",
    "optional_attendees": "optional",
    "resources": "resource",
}


class OdooIdProperty(ExtendedProperty):
    """The Odoo id of an item this database created (see the module docstring)."""

    property_set_id = ODOO_ID_PROPERTY_SET
    property_name = "odoo_id"
    property_type = "String"


def register_odoo_id_property() -> None:
    """Make exchangelib read and write the Odoo id on calendar items (once per process)."""
    if ODOO_ID_FIELD not in {field.name for field in CalendarItem.FIELDS}:
        CalendarItem.register(ODOO_ID_FIELD, OdooIdProperty)


# --------------------------------------------------------------------------- inbound


def _utc_text(value: dt.datetime) -> str:
    moment = dt.datetime.fromtimestamp(value.timestamp(), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _zone_of(item: CalendarItem) -> EWSTimeZone | None:
    return item._start_timezone or item._meeting_timezone  # pylint: disable=protected-access


def _bounds(item: CalendarItem, zone_name: str) -> dict[str, Any]:
    if item.is_all_day and isinstance(item.start, dt.date) and isinstance(item.end, dt.date):
        stop = item.end + dt.timedelta(days=1)  # exchangelib's all-day end is inclusive
        return {
            "start": {"dateTime": f"{item.start.isoformat()}T00:00:00", "timeZone": zone_name},
            "end": {"dateTime": f"{stop.isoformat()}T00:00:00", "timeZone": zone_name},
        }
    return {
        "start": {"dateTime": _utc_text(item.start), "timeZone": "UTC"},
        "end": {"dateTime": _utc_text(item.end), "timeZone": "UTC"},
    }


def _mailbox(mailbox: Mailbox | None) -> dict[str, Any]:
    if mailbox is None or not mailbox.email_address:
        return {}
    return {"emailAddress": {"address": mailbox.email_address, "name": mailbox.name or ""}}


def _attendees(item: CalendarItem, owner: str) -> list[dict[str, Any]]:
    """The attendees; the mailbox owner's answer to someone else's meeting is the item's
    ``MyResponseType`` (the attendee list is the organizer's, as he last sent it)."""
    mine = item.my_response_type if item.my_response_type not in (None, "Organizer") else None
    attendees = []
    for field, kind in ATTENDEE_LISTS.items():
        for attendee in getattr(item, field) or ():
            own = mine and attendee.mailbox and attendee.mailbox.email_address
            own = own and attendee.mailbox.email_address.lower() == owner.lower()
            answer = mine if own else attendee.response_type
            response = RESPONSE_TO_GRAPH.get(answer or "Unknown", "none")
            attendees.append(
                {"type": kind, "status": {"response": response}, **_mailbox(attendee.mailbox)}
            )
    return attendees


def _odoo_id(item: CalendarItem) -> list[dict[str, str]]:
    value = getattr(item, ODOO_ID_FIELD, None)
    return [{"id": ODOO_ID_PROPERTY, "value": str(value)}] if value else []


def item_as_graph(item: CalendarItem, master_id: str = "", owner: str = "") -> dict[str, Any]:
    """The item in the shape of a Graph event (only what the neutral model reads)."""
    zone = _zone_of(item)
    zone_name = zone.ms_id if zone is not None else ""
    body = item.body or ""
    graph: dict[str, Any] = {
        "id": item.id,
        "changeKey": item.changekey or "",
        "iCalUId": item.uid or "",
        "type": ITEM_TYPES.get(item.type or "Single", "singleInstance"),
        "subject": item.subject or "",
        "body": {"contentType": "html" if isinstance(body, HTMLBody) else "text", "content": body},
        "location": {"displayName": item.location or ""},
        "isAllDay": bool(item.is_all_day),
        **_bounds(item, zone_name),
        "originalStartTimeZone": zone_name,
        "sensitivity": (item.sensitivity or "Normal").lower(),
        "showAs": "free" if item.legacy_free_busy_status == "Free" else "busy",
        "organizer": _mailbox(item.organizer),
        "attendees": _attendees(item, owner),
        "isReminderOn": bool(item.reminder_is_set),
        "reminderMinutesBeforeStart": item.reminder_minutes_before_start or 0,
        "isCancelled": bool(item.is_cancelled),
        "singleValueExtendedProperties": _odoo_id(item),
    }
    if item.last_modified_time is not None:
        graph["lastModifiedDateTime"] = _utc_text(item.last_modified_time)
    if item.recurrence is not None and graph["type"] == "seriesMaster":
        try:
            graph["recurrence"] = recurrence_to_graph(item.recurrence, zone_name or "UTC")
        except ValueError as exc:
            raise MalformedEvent(item.id, "recurrence", str(exc)) from None
    if master_id:
        graph["seriesMasterId"] = master_id
        if item.original_start is not None:
            graph["originalStart"] = _utc_text(item.original_start)
    return graph


def unknown_timezone(item: CalendarItem) -> bool:
    """True when exchangelib could not map the item's Windows zone (read in a fallback)."""
    return _zone_of(item) is None and not item.is_all_day


def from_ews(
    item: CalendarItem, *, timezone_hint: str = "", master_id: str = "", owner: str = ""
) -> SyncEvent:
    """One calendar item -> ``SyncEvent``; ``MalformedEvent`` when it cannot be read.

    ``master_id`` is the series of an occurrence or exception (EWS items do not name it);
    ``owner`` the mailbox's address (whose answer ``MyResponseType`` is).
    """
    return parse_event(item_as_graph(item, master_id, owner), timezone_hint=timezone_hint)


# --------------------------------------------------------------------------- outbound


def _ews_zone(event: SyncEvent) -> EWSTimeZone:
    return EWSTimeZone(to_iana(event.timezone or "UTC") or "UTC")


def _times(event: SyncEvent) -> dict[str, Any]:
    zone = _ews_zone(event)
    zones = {"_start_timezone": zone, "_end_timezone": zone, "_meeting_timezone": zone}
    if event.all_day:
        start, stop = event.start, event.stop
        last_day = stop - dt.timedelta(days=1) if stop > start else start  # inclusive end
        return {
            "start": EWSDate.from_date(start),
            "end": EWSDate.from_date(last_day),
            "is_all_day": True,
            **zones,
        }
    return {
        "start": EWSDateTime.from_datetime(event.start).astimezone(zone),
        "end": EWSDateTime.from_datetime(event.stop).astimezone(zone),
        "is_all_day": False,
        **zones,
    }


def _attendee_lists(graph_attendees: list[dict]) -> dict[str, list[EwsAttendee]]:
    lists: dict[str, list[EwsAttendee]] = {field: [] for field in ATTENDEE_LISTS}
    for raw in graph_attendees:
        address = raw["emailAddress"]
        field = next(f for f, kind in ATTENDEE_LISTS.items() if kind == raw["type"])
        mailbox = Mailbox(email_address=address["address"], name=address.get("name") or None)
        response = RESPONSE_FROM_GRAPH.get(raw["status"]["response"], "Unknown")
        lists[field].append(EwsAttendee(mailbox=mailbox, response_type=response))
    return lists


def _rule_text(event: SyncEvent) -> str:
    return event.recurrence.rrule if event.recurrence else ""


# Graph property -> (exchangelib fields, value from the Graph body and the event).
_FIELDS_OUT = {
    "subject": (("subject",), lambda g, e: {"subject": g["subject"]}),
    "body": (("body",), lambda g, e: {"body": HTMLBody(g["body"]["content"])}),
    "location": (("location",), lambda g, e: {"location": g["location"]["displayName"]}),
    "start": (("start", "end", "is_all_day"), lambda g, e: _times(e)),
    "sensitivity": (
        ("sensitivity",),
        lambda g, e: {"sensitivity": g["sensitivity"].capitalize()},
    ),
    "showAs": (
        ("legacy_free_busy_status",),
        lambda g, e: {"legacy_free_busy_status": "Free" if g["showAs"] == "free" else "Busy"},
    ),
    "attendees": (tuple(ATTENDEE_LISTS), lambda g, e: _attendee_lists(g["attendees"])),
    "isReminderOn": (
        ("reminder_is_set", "reminder_minutes_before_start"),
        lambda g, e: {
            "reminder_is_set": g["isReminderOn"],
            "reminder_minutes_before_start": g.get("reminderMinutesBeforeStart", 0),
        },
    ),
    "recurrence": (
        ("recurrence",),
        lambda g, e: {
            "recurrence": recurrence_from_graph(g["recurrence"], _rule_text(e))
            if g["recurrence"]
            else None
        },
    ),
}


def item_values(
    event: SyncEvent, fields: Iterable[str] | None = None, *, for_update: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """The exchangelib field values for ``event`` and the names of the fields to write.

    ``fields`` (synced field names) limits an update to what Odoo changed, as for Graph;
    ``MalformedEvent`` (or ``Unexpressible``) when EWS cannot hold the event.
    """
    graph = to_graph(event, for_patch=for_update, fields=fields)
    values: dict[str, Any] = {}
    names: list[str] = []
    for key, (field_names, convert) in _FIELDS_OUT.items():
        if key in graph:
            values.update(convert(graph, event))  # pylint: disable=not-callable
            names += field_names
    if event.odoo_id is not None and not for_update:
        values[ODOO_ID_FIELD] = str(event.odoo_id)
        names.append(ODOO_ID_FIELD)
    return values, names


def ews_normalized(event: SyncEvent) -> SyncEvent:
    """What Exchange keeps of an event: what Outlook keeps through Graph (one reminder, no
    PUBLIC, the organizer accepted...), without a video link (not written through EWS)."""
    try:
        kept = graph_normalized(event)
    except ValueError:  # MalformedEvent and Unexpressible: the push will say so
        kept = event
    return kept.replace(video_url="")
