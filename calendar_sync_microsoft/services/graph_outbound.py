"""Neutral ``SyncEvent`` -> Microsoft Graph v1.0 event JSON (``POST`` / ``PATCH`` bodies), and
what Outlook keeps of an event (``graph_normalized``). The decisions are listed in
``graph_mapper``, which reads Graph's JSON back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from calendar_sync_base.services import model
from calendar_sync_base.services.model import Attendee, Recurrence, Reminder, SyncEvent

from .graph_mapper import (
    ODOO_ID_PROPERTY,
    RESPONSE_OUT,
    SENSITIVITY_OUT,
    MalformedEvent,
    parse_event,
)
from .graph_recurrence import graph_recurrence
from .timezones import to_iana, to_windows


def format_graph_datetime(value: dt.datetime) -> str:
    """Wall time as Graph writes it (no offset: the zone travels in ``timeZone``)."""
    return value.replace(tzinfo=None).isoformat(timespec="seconds")


def _check_zone(event: SyncEvent) -> ZoneInfo:
    iana = to_iana(event.timezone or "UTC")
    if iana is None:
        raise MalformedEvent(event.remote_id, "timezone", f"unknown zone {event.timezone!r}")
    return ZoneInfo(iana)


def _bound_out(value: Any, event: SyncEvent, zone: ZoneInfo, field: str) -> dict[str, str]:
    name = to_windows(to_iana(event.timezone or "UTC") or "UTC")
    if value is None:
        raise MalformedEvent(event.remote_id, field, "missing")
    if event.all_day:
        day = value.date() if isinstance(value, dt.datetime) else value
        wall = dt.datetime.combine(day, dt.time())
    else:
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise MalformedEvent(event.remote_id, field, f"needs an aware datetime: {value!r}")
        wall = value.astimezone(zone)
    return {"dateTime": format_graph_datetime(wall), "timeZone": name}


def attendee_to_graph(attendee: Attendee) -> dict[str, Any]:
    kind = "resource" if attendee.resource else "optional" if attendee.optional else "required"
    address = {"address": attendee.email}
    if attendee.name:
        address["name"] = attendee.name
    return {
        "type": kind,
        "emailAddress": address,
        "status": {"response": RESPONSE_OUT[model.Response(attendee.response)]},
    }


def attendees_to_graph(event: SyncEvent) -> list[dict[str, Any]]:
    """Invitees only: the organizer is the mailbox owner, Outlook must not invite them."""
    organizer = (event.organizer_email or "").casefold()
    return [
        attendee_to_graph(a)
        for a in event.attendees
        if a.email and not a.organizer and a.email.casefold() != organizer
    ]


def reminder_to_graph(reminders: Iterable[Reminder]) -> dict[str, Any]:
    """Outlook keeps one reminder: the one that fires first (most minutes before start)."""
    minutes = [max(int(r.minutes), 0) for r in reminders]
    if not minutes:
        return {"isReminderOn": False}
    return {"isReminderOn": True, "reminderMinutesBeforeStart": max(minutes)}


def recurrence_to_graph(event: SyncEvent, zone: ZoneInfo) -> dict[str, Any] | None:
    if event.recurrence is None:
        return None
    try:
        return graph_recurrence(
            event.recurrence.rrule,
            start=event.start,
            zone=zone,
            zone_name=to_windows(zone.key),
        )
    except ValueError as exc:
        raise MalformedEvent(event.remote_id, "recurrence", str(exc)) from None


# The properties of an event each synced field is written to. ``organizer_email`` and
# ``video_url`` have none: the organizer is the mailbox owner, the online meeting is Outlook's.
GRAPH_PROPERTIES: dict[str, tuple[str, ...]] = {
    "title": ("subject",),
    # A series' pattern starts on its first day (``range.startDate``): it moves with the times.
    **dict.fromkeys(
        ("start", "stop", "all_day", "timezone"), ("start", "end", "isAllDay", "recurrence")
    ),
    "description": ("body",),
    "location": ("location",),
    "privacy": ("sensitivity",),
    "show_as": ("showAs",),
    "attendees": ("attendees",),
    "reminders": ("isReminderOn", "reminderMinutesBeforeStart"),
    "recurrence": ("recurrence",),
}


def to_graph(
    event: SyncEvent, *, for_patch: bool = False, fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """``SyncEvent`` -> a ``POST /me/events`` (or ``PATCH``) body.

    Occurrences and exceptions never carry ``recurrence``; a patched single event or series
    master always does (``null`` ends a series, as the neutral event has none any more). A
    patch limited to ``fields`` (synced field names) holds only their properties: the rest,
    such as the event's own time zone, attendee types or the location's address, stays as
    Outlook has it.
    """
    body = _full_body(event, for_patch)
    if fields is None:
        return body
    wanted = set().union(*(GRAPH_PROPERTIES.get(name, ()) for name in fields))
    if event.recurrence is None:
        wanted.discard("recurrence")  # a single event's times say nothing about a series
    return {key: value for key, value in body.items() if key in wanted}


def _full_body(event: SyncEvent, for_patch: bool) -> dict[str, Any]:
    zone = _check_zone(event)
    body: dict[str, Any] = {
        "subject": event.title,
        "body": {"contentType": "html", "content": event.description or ""},
        "location": {"displayName": event.location or ""},
        "start": _bound_out(event.start, event, zone, "start"),
        "end": _bound_out(event.stop, event, zone, "stop"),
        "isAllDay": bool(event.all_day),
        "sensitivity": SENSITIVITY_OUT[model.Privacy(event.privacy)],
        "showAs": "free" if event.show_as == model.ShowAs.FREE else "busy",
        "attendees": attendees_to_graph(event),
        **reminder_to_graph(event.reminders),
    }
    if not event.is_occurrence and (event.recurrence is not None or for_patch):
        body["recurrence"] = recurrence_to_graph(event, zone)
    if event.odoo_id is not None:
        body["singleValueExtendedProperties"] = [
            {"id": ODOO_ID_PROPERTY, "value": str(event.odoo_id)}
        ]
    return body


def graph_normalized(event: SyncEvent) -> SyncEvent:
    """``event`` as Outlook keeps it: what reading it back after a push gives.

    One reminder, no PUBLIC, the organizer as an accepted attendee, the recurrence in its
    canonical Graph-derived form. The engine can compare this, not the Odoo event itself, with
    what comes back, so what Outlook cannot store never reads as a remote change. Identity
    fields and ``video_url`` (read-only in Graph) are kept as they were.
    """
    echo = to_graph(event)
    echo["id"] = event.remote_id or "unsaved"
    echo["originalStartTimeZone"] = echo["start"]["timeZone"]
    if event.organizer_email:
        folded = event.organizer_email.casefold()
        name = next((a.name for a in event.attendees if a.email.casefold() == folded), "")
        echo["organizer"] = {"emailAddress": {"address": event.organizer_email, "name": name}}
    back = parse_event(echo, timezone_hint=event.timezone)
    return back.replace(
        video_url=event.video_url,
        remote_id=event.remote_id,
        ical_uid=event.ical_uid,
        etag=event.etag,
        odoo_id=event.odoo_id,
        master_remote_id=event.master_remote_id,
        original_start=event.original_start,
        cancelled=event.cancelled,
        last_modified=event.last_modified,
        recurrence=Recurrence(rrule=back.recurrence.rrule, exdates=event.recurrence.exdates)
        if back.recurrence and event.recurrence
        else back.recurrence,
    )
