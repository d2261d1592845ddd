"""Snapshots of the synced fields, and the normalized values diffs compare.

A snapshot is what both sides agreed on after the last sync; it is stored as JSON on the Odoo
record, so it must survive ``json.dumps``/``json.loads`` and come back equal.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .model import (
    SYNCED_FIELDS,
    UTC,
    Attendee,
    Privacy,
    Recurrence,
    Reminder,
    Response,
    ShowAs,
    SyncEvent,
)
from .recurrence import canonical_rrule
from .timeutil import as_aware

_WHITESPACE = re.compile(r"\s+")


# --- JSON snapshots ----------------------------------------------------------------------------


def to_snapshot(event: SyncEvent) -> dict[str, Any]:
    """JSON-serialisable dict of the synced fields only (identity/bookkeeping stay out)."""
    return {
        "title": event.title,
        "start": _time_to_json(event.start),
        "stop": _time_to_json(event.stop),
        "all_day": event.all_day,
        "timezone": event.timezone,
        "description": event.description,
        "location": event.location,
        "privacy": Privacy(event.privacy).value,
        "show_as": ShowAs(event.show_as).value,
        "organizer_email": event.organizer_email,
        # Sorted so that two snapshots of the same event are byte-identical JSON.
        "attendees": [_attendee_to_json(a) for a in sorted(event.attendees, key=_attendee_order)],
        "reminders": [
            {"minutes": r.minutes, "method": r.method}
            for r in sorted(event.reminders, key=_reminder_order)
        ],
        "video_url": event.video_url,
        "recurrence": _recurrence_to_json(event.recurrence),
    }


def from_snapshot(data: dict[str, Any]) -> SyncEvent:
    """The ``SyncEvent`` a snapshot describes; missing keys take the model's defaults.

    Unknown keys are ignored so that a snapshot written by a newer version still loads.
    """
    default = SyncEvent()
    return SyncEvent(
        title=data.get("title", default.title),
        start=_time_from_json(data.get("start")),
        stop=_time_from_json(data.get("stop")),
        all_day=bool(data.get("all_day", default.all_day)),
        timezone=data.get("timezone", default.timezone),
        description=data.get("description", default.description),
        location=data.get("location", default.location),
        privacy=Privacy(data.get("privacy", default.privacy.value)),
        show_as=ShowAs(data.get("show_as", default.show_as.value)),
        organizer_email=data.get("organizer_email", default.organizer_email),
        attendees=tuple(_attendee_from_json(a) for a in data.get("attendees") or ()),
        reminders=tuple(
            Reminder(minutes=int(r["minutes"]), method=r.get("method", "popup"))
            for r in data.get("reminders") or ()
        ),
        video_url=data.get("video_url", default.video_url),
        recurrence=_recurrence_from_json(data.get("recurrence")),
    )


def _time_to_json(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return as_aware(value).isoformat()  # always with an offset: never ambiguous
    return value.isoformat()


def _time_from_json(value: str | None) -> dt.date | dt.datetime | None:
    if not value:
        return None
    if "T" in value:
        return as_aware(dt.datetime.fromisoformat(value))
    return dt.date.fromisoformat(value)


def _attendee_to_json(attendee: Attendee) -> dict[str, Any]:
    return {
        "email": attendee.email,
        "name": attendee.name,
        "response": Response(attendee.response).value,
        "optional": attendee.optional,
        "resource": attendee.resource,
        "organizer": attendee.organizer,
    }


def _attendee_from_json(data: dict[str, Any]) -> Attendee:
    return Attendee(
        email=data["email"],
        name=data.get("name", ""),
        response=Response(data.get("response", Response.NEEDS_ACTION.value)),
        optional=bool(data.get("optional", False)),
        resource=bool(data.get("resource", False)),
        organizer=bool(data.get("organizer", False)),
    )


def _recurrence_to_json(recurrence: Recurrence | None) -> dict[str, Any] | None:
    if recurrence is None:
        return None
    exdates = sorted(recurrence.exdates, key=lambda x: _time_sort_key(_normalize_time(x)))
    return {"rrule": recurrence.rrule, "exdates": [_time_to_json(x) for x in exdates]}


def _recurrence_from_json(data: dict[str, Any] | None) -> Recurrence | None:
    if not data:
        return None
    return Recurrence(
        rrule=data["rrule"],
        exdates=tuple(_time_from_json(x) for x in data.get("exdates") or ()),
    )


# --- comparable values -------------------------------------------------------------------------


def synced_values(event: SyncEvent) -> dict[str, Any]:
    """Field -> normalized value, equal exactly when the two sides mean the same thing.

    Providers echo data back in their own spelling (attendee order, e-mail case, re-wrapped
    HTML, sub-second timestamps); comparing raw values would report changes nobody made and
    make the two sides ping-pong forever.
    """
    return {name: _NORMALIZERS[name](event) for name in SYNCED_FIELDS}


def _normalize_time(value: dt.date | dt.datetime | None):
    if isinstance(value, dt.datetime):
        # Graph sends 7-digit fractions, Google whole seconds: sub-second noise is no change.
        return as_aware(value).astimezone(UTC).replace(microsecond=0)
    return value


def _normalize_text(value: str) -> str:
    return _WHITESPACE.sub(" ", value or "").strip()


def _normalize_email(value: str) -> str:
    return (value or "").strip().casefold()


def _normalize_attendees(event: SyncEvent) -> tuple:
    # The display name is left out on purpose: the e-mail is the attendee's identity, and
    # providers fill names inconsistently (Google often omits them, Odoo always has one).
    return tuple(
        sorted(
            {
                (_normalize_email(a.email), Response(a.response).value, a.optional, a.resource)
                for a in event.attendees
            }
        )
    )


def _normalize_reminders(event: SyncEvent) -> tuple:
    return tuple(sorted({(r.minutes, r.method) for r in event.reminders}))


def _normalize_recurrence(event: SyncEvent):
    recurrence = event.recurrence
    if recurrence is None:
        return None
    try:
        rule = canonical_rrule(recurrence.rrule)
    except ValueError:
        rule = recurrence.rrule.strip().upper()  # unparsable: still comparable as text
    exdates = tuple(sorted({_normalize_time(x) for x in recurrence.exdates}, key=_time_sort_key))
    return (rule, exdates)


def _normalize_timezone(event: SyncEvent) -> str:
    # An all-day event happens on dates, not instants: the zone a provider reports for it is
    # whatever default it has and must not count as a change.
    return "" if event.all_day else (event.timezone or "UTC")


def _time_sort_key(value):
    return (isinstance(value, dt.datetime), value.isoformat())


def _attendee_order(attendee: Attendee):
    return (_normalize_email(attendee.email), attendee.email, attendee.name)


def _reminder_order(reminder: Reminder):
    return (reminder.minutes, reminder.method)


_NORMALIZERS = {
    "title": lambda e: _normalize_text(e.title),
    "start": lambda e: _normalize_time(e.start),
    "stop": lambda e: _normalize_time(e.stop),
    "all_day": lambda e: bool(e.all_day),
    "timezone": _normalize_timezone,
    "description": lambda e: _normalize_text(e.description),
    "location": lambda e: _normalize_text(e.location),
    "privacy": lambda e: Privacy(e.privacy).value,
    "show_as": lambda e: ShowAs(e.show_as).value,
    "organizer_email": lambda e: _normalize_email(e.organizer_email),
    "attendees": _normalize_attendees,
    "reminders": _normalize_reminders,
    "video_url": lambda e: (e.video_url or "").strip(),
    "recurrence": _normalize_recurrence,
}
