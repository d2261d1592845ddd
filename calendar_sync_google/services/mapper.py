"""Google Calendar v3 event JSON <-> neutral ``SyncEvent``, both directions.

Inbound (``from_google``) is lenient where Google's data is merely incomplete (an attendee without
e-mail is skipped, an unknown time zone falls back to the calendar's) and strict where a guess
would corrupt the calendar (no id, unreadable start/end): such an item raises
``MalformedEvent`` naming the event id and the field, and ``from_google`` turns that into
``None`` so one bad item never aborts a page.

Outbound (``to_google``) builds an ``events.insert`` / ``events.patch`` body. A whole body
carries ``extendedProperties.private.odoo_id`` (so a create whose response was lost can be found
again) and ``timeZone`` on start/end (Google requires it on recurring events); a patch limited to
the fields Odoo changed carries only their properties.

Reminders: ``useDefault: true`` maps to the calendar's default reminders when the caller passes
them (``events.list`` returns them as ``defaultReminders``), else to no reminders. Reminders
sent are explicit overrides (``useDefault: false``), at most 5, sorted, so what Odoo shows is
exactly what Google applies; they are only sent when Odoo changed them.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calendar_sync_base.services import model
from calendar_sync_base.services.errors import MalformedItem
from calendar_sync_base.services.model import Attendee, Recurrence, Reminder, SyncEvent, without_nul
from calendar_sync_base.services.recurrence import recurrence_from_lines, recurrence_to_lines
from calendar_sync_base.services.timeutil import UTC, parse_rfc3339

ODOO_ID_PROPERTY = "odoo_id"
MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 40320
REMINDER_METHODS = ("email", "popup")

_RESPONSE_IN = {
    "needsAction": model.Response.NEEDS_ACTION,
    "accepted": model.Response.ACCEPTED,
    "declined": model.Response.DECLINED,
    "tentative": model.Response.TENTATIVE,
}
_RESPONSE_OUT = {value: key for key, value in _RESPONSE_IN.items()}
_PRIVACY_IN = {p.value: p for p in model.Privacy}
_SHOW_AS_IN = {"transparent": model.ShowAs.FREE}
_HTML_TAG = re.compile(
    r"<\s*/?\s*(a|b|i|u|s|p|br|hr|div|span|ul|ol|li|strong|em|h[1-6]|table|thead|tbody|tr|td|"
    r"th|blockquote|pre|code|img|font|sup|sub|small|big|strike|del|ins|mark)\b[^<>]*>"
    r"|&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);",
    re.IGNORECASE,
)


class MalformedEvent(MalformedItem):
    """A Google event (inbound) or a neutral event (outbound) that cannot be mapped."""

    kind = "Google event"


# --------------------------------------------------------------------------- time helpers


def _zone(name: str) -> ZoneInfo | None:
    if not name or not isinstance(name, str):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _parse_date(value: Any, rid: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise MalformedEvent(rid, field, f"invalid date {value!r}") from None


def _parse_datetime(value: Any, zone: ZoneInfo, rid: str, field: str) -> dt.datetime:
    """RFC 3339 -> aware UTC; a value without offset is read in ``zone``."""
    try:
        parsed = parse_rfc3339(value)
    except (TypeError, ValueError):
        raise MalformedEvent(rid, field, f"invalid dateTime {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _parse_when(obj: Any, zone: ZoneInfo, rid: str, field: str) -> dt.date | dt.datetime:
    """One ``EventDateTime``: a ``date`` (all-day) or an aware UTC ``datetime``."""
    if not isinstance(obj, dict):
        raise MalformedEvent(rid, field, "missing or not an object")
    if obj.get("date"):
        return _parse_date(obj["date"], rid, f"{field}.date")
    if obj.get("dateTime"):
        own_zone = _zone(obj.get("timeZone")) or zone
        return _parse_datetime(obj["dateTime"], own_zone, rid, f"{field}.dateTime")
    raise MalformedEvent(rid, field, "neither date nor dateTime")


def _event_timezone(item: dict, default_timezone: str) -> str:
    """The event's IANA zone: start's, else end's, else the calendar's, else UTC."""
    for key in ("start", "end", "originalStartTime"):
        when = item.get(key)
        name = when.get("timeZone") if isinstance(when, dict) else None
        if _zone(name):
            return name
    return default_timezone if _zone(default_timezone) else "UTC"


def unknown_timezone(item: Any) -> str | None:
    """A zone name the event gives that is not a known IANA zone (read in a fallback)."""
    for key in ("start", "end"):
        when = item.get(key) if isinstance(item, dict) else None
        name = when.get("timeZone") if isinstance(when, dict) else None
        if name and not _zone(name):
            return str(name)
    return None


def _parse_span(item: dict, zone: ZoneInfo, rid: str) -> tuple:
    start = _parse_when(item.get("start"), zone, rid, "start")
    stop = _parse_when(item.get("end"), zone, rid, "end")
    all_day = not isinstance(start, dt.datetime)
    if all_day != (not isinstance(stop, dt.datetime)):
        raise MalformedEvent(rid, "end", "start and end mix date and dateTime")
    if all_day and stop <= start:
        stop = start + dt.timedelta(days=1)  # Google's end is exclusive: at least one day
    elif stop < start:
        raise MalformedEvent(rid, "end", "ends before it starts")
    return start, stop, all_day


# --------------------------------------------------------------------------- inbound parts


def description_to_html(text: Any) -> str:
    """Google descriptions are HTML or plain text: keep HTML, escape plain text.

    Text with a known tag or an entity counts as HTML, so escaped text stays stable on the
    way back (``a &amp; b`` is not escaped twice).
    """
    if not text or not isinstance(text, str):
        return ""
    if _HTML_TAG.search(text):
        return text
    escaped = html.escape(text, quote=False)
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def _attendee_in(raw: Any) -> Attendee | None:
    if not isinstance(raw, dict):
        return None
    email = raw.get("email")
    if not email or not isinstance(email, str) or not email.strip():
        return None  # Google may list guests without address: not representable, not fatal
    return Attendee(
        email=email.strip(),
        name=raw.get("displayName") or "",
        response=_RESPONSE_IN.get(raw.get("responseStatus"), model.Response.NEEDS_ACTION),
        optional=bool(raw.get("optional")),
        resource=bool(raw.get("resource")),
        organizer=bool(raw.get("organizer")),
    )


def attendees_from_google(items: Any) -> tuple[Attendee, ...]:
    """Attendees with an e-mail, one per address (case-insensitive), sorted by address."""
    seen: dict[str, Attendee] = {}
    for raw in items if isinstance(items, list) else ():
        attendee = _attendee_in(raw)
        if attendee and attendee.email.lower() not in seen:
            seen[attendee.email.lower()] = attendee
    return tuple(seen[key] for key in sorted(seen))


def reminders_from_overrides(items: Any) -> tuple[Reminder, ...]:
    """``[{method, minutes}]`` -> sorted unique ``Reminder``s; unusable entries are skipped."""
    found = set()
    for raw in items if isinstance(items, list) else ():
        if not isinstance(raw, dict) or raw.get("method") not in REMINDER_METHODS:
            continue
        minutes = raw.get("minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
            continue
        found.add(Reminder(minutes=minutes, method=raw["method"]))
    return _sorted_reminders(found)


def _sorted_reminders(reminders: Iterable[Reminder]) -> tuple[Reminder, ...]:
    return tuple(sorted(set(reminders), key=lambda r: (r.minutes, r.method)))


def _reminders_in(raw: Any, default_reminders: tuple[Reminder, ...]) -> tuple[Reminder, ...]:
    if not isinstance(raw, dict) or raw.get("useDefault", True):
        return _sorted_reminders(default_reminders)
    return reminders_from_overrides(raw.get("overrides"))


def _video_url(item: dict) -> str:
    if item.get("hangoutLink"):
        return item["hangoutLink"]
    conference = item.get("conferenceData")
    entry_points = conference.get("entryPoints") if isinstance(conference, dict) else None
    for entry in entry_points if isinstance(entry_points, list) else ():
        if isinstance(entry, dict) and entry.get("entryPointType") == "video" and entry.get("uri"):
            return entry["uri"]
    return ""


def _odoo_id(item: dict) -> int | None:
    props = item.get("extendedProperties")
    private = props.get("private") if isinstance(props, dict) else None
    value = private.get(ODOO_ID_PROPERTY) if isinstance(private, dict) else None
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _organizer_email(item: dict, attendees: tuple[Attendee, ...]) -> str:
    organizer = item.get("organizer")
    if isinstance(organizer, dict) and organizer.get("email"):
        return organizer["email"]
    return next((a.email for a in attendees if a.organizer), "")


# --------------------------------------------------------------------------- recurrence


def _exdate_like_series(value, start, zone: ZoneInfo):
    """Normalise one excluded start to the series' kind (``Recurrence.exdates`` convention)."""
    if not isinstance(start, dt.datetime):
        return value.astimezone(zone).date() if isinstance(value, dt.datetime) else value
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC)
    local_time = start.astimezone(zone).time()
    return dt.datetime.combine(value, local_time, tzinfo=zone).astimezone(UTC)


def recurrence_from_google(
    lines: Any, start: dt.date | dt.datetime, timezone: str, rid: str = ""
) -> Recurrence | None:
    """Google's ``recurrence`` lines -> ``Recurrence`` (RDATE/EXRULE are refused, not lost)."""
    if not lines:
        return None
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise MalformedEvent(rid, "recurrence", "not a list of strings")
    try:
        parsed = recurrence_from_lines(lines, timezone)
    except (ValueError, KeyError) as exc:  # KeyError: ZoneInfo of an unknown TZID
        raise MalformedEvent(rid, "recurrence", str(exc)) from None
    if parsed is None:
        return None
    zone = ZoneInfo(timezone)
    exdates = {_exdate_like_series(value, start, zone) for value in parsed.exdates}
    return Recurrence(rrule=parsed.rrule, exdates=tuple(sorted(exdates)))


def recurrence_to_google(event: SyncEvent) -> list[str]:
    """``Recurrence`` -> ``["RRULE:...", "EXDATE;...:v1,v2"]`` (no DTSTART, as Google wants)."""
    if event.recurrence is None:
        return []
    exdates = tuple(
        _as_date(v) if event.all_day else _aware(v, event, "recurrence.exdates")
        for v in event.recurrence.exdates
    )
    recurrence = Recurrence(rrule=event.recurrence.rrule, exdates=exdates)
    try:
        return recurrence_to_lines(recurrence, None if event.all_day else event.timezone)
    except ValueError as exc:
        raise MalformedEvent(event.remote_id, "recurrence", str(exc)) from None


# --------------------------------------------------------------------------- inbound


def _identity(item: dict, zone: ZoneInfo, rid: str) -> dict[str, Any]:
    original = item.get("originalStartTime")
    updated = item.get("updated")
    return {
        "remote_id": rid,
        "ical_uid": item.get("iCalUID") or "",
        "etag": item.get("etag") or "",
        "odoo_id": _odoo_id(item),
        "master_remote_id": item.get("recurringEventId") or "",
        "original_start": _parse_when(original, zone, rid, "originalStartTime")
        if original
        else None,
        "last_modified": _parse_datetime(updated, zone, rid, "updated") if updated else None,
    }


def parse_event(
    item: Any, *, default_timezone: str = "UTC", default_reminders: Iterable[Reminder] = ()
) -> SyncEvent:
    """One Google event -> ``SyncEvent``; raises ``MalformedEvent`` when unusable."""
    if not isinstance(item, dict):
        raise MalformedEvent("", "event", "not a JSON object")
    rid = item.get("id")
    if not rid or not isinstance(rid, str):
        raise MalformedEvent("", "id", "missing")
    timezone = _event_timezone(item, default_timezone)
    zone = ZoneInfo(timezone)
    identity = _identity(item, zone, rid)
    if item.get("status") == "cancelled":
        # A deleted event guarantees only its id (plus, for an instance, its slot).
        return SyncEvent(timezone=timezone, cancelled=True, **identity)
    start, stop, all_day = _parse_span(item, zone, rid)
    attendees = attendees_from_google(item.get("attendees"))
    event = SyncEvent(
        timezone=timezone,
        title=item.get("summary") or "",
        start=start,
        stop=stop,
        all_day=all_day,
        description=description_to_html(item.get("description")),
        location=item.get("location") or "",
        privacy=_PRIVACY_IN.get(item.get("visibility"), model.Privacy.DEFAULT),
        show_as=_SHOW_AS_IN.get(item.get("transparency"), model.ShowAs.BUSY),
        organizer_email=_organizer_email(item, attendees),
        attendees=attendees,
        reminders=_reminders_in(item.get("reminders"), tuple(default_reminders)),
        video_url=_video_url(item),
        recurrence=recurrence_from_google(item.get("recurrence"), start, timezone, rid),
        **identity,
    )
    return without_nul(event)


def from_google(
    item: Any,
    *,
    default_timezone: str = "UTC",
    default_reminders: Iterable[Reminder] = (),
    on_error: Callable[[MalformedEvent], None] | None = None,
) -> SyncEvent | None:
    """Like ``parse_event`` but returns ``None`` for an unusable item (reported to
    ``on_error``), so the caller can record it and carry on with the rest of the page."""
    try:
        return parse_event(
            item, default_timezone=default_timezone, default_reminders=default_reminders
        )
    except MalformedEvent as exc:
        if on_error is not None:
            on_error(exc)
        return None


# --------------------------------------------------------------------------- outbound


def _as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _aware(value: Any, event: SyncEvent, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise MalformedEvent(event.remote_id, field, f"needs an aware datetime, got {value!r}")
    return value


def _when_out(value: Any, event: SyncEvent, field: str, for_patch: bool) -> dict[str, Any]:
    if value is None:
        raise MalformedEvent(event.remote_id, field, "missing")
    if event.all_day:
        out: dict[str, Any] = {"date": _as_date(value).isoformat(), "timeZone": event.timezone}
        other = "dateTime"
    else:
        local = _aware(value, event, field).astimezone(ZoneInfo(event.timezone))
        out = {"dateTime": local.isoformat(timespec="seconds"), "timeZone": event.timezone}
        other = "date"
    if for_patch:
        out[other] = None  # PATCH merges objects: clear the other form when the kind changes
    return out


def attendee_to_google(attendee: Attendee) -> dict[str, Any]:
    out: dict[str, Any] = {
        "email": attendee.email,
        "responseStatus": _RESPONSE_OUT[attendee.response],
    }
    if attendee.name:
        out["displayName"] = attendee.name
    if attendee.optional:
        out["optional"] = True
    if attendee.resource:
        out["resource"] = True
    return out  # ``organizer`` is read-only in Google: the organizer is the calendar's owner


def reminders_kept(reminders: Iterable[Reminder]) -> tuple[Reminder, ...]:
    """The reminders Google keeps: at most ``MAX_REMINDERS``, minutes within its range."""
    clamped = (
        Reminder(minutes=min(max(int(r.minutes), 0), MAX_REMINDER_MINUTES), method=r.method)
        for r in reminders
        if r.method in REMINDER_METHODS
    )
    return _sorted_reminders(clamped)[:MAX_REMINDERS]


def reminders_to_google(reminders: Iterable[Reminder]) -> dict[str, Any]:
    """Explicit overrides, as ``reminders_kept`` says."""
    kept = reminders_kept(reminders)
    overrides = [{"method": r.method, "minutes": r.minutes} for r in kept]
    return {"useDefault": False, "overrides": overrides}


def _check_timezone(event: SyncEvent) -> None:
    if not _zone(event.timezone):
        raise MalformedEvent(event.remote_id, "timezone", f"unknown zone {event.timezone!r}")


# The properties of an event each synced field is written to. ``organizer_email`` and
# ``video_url`` have none: the organizer is the calendar's owner, conference data is Google's.
GOOGLE_PROPERTIES: dict[str, tuple[str, ...]] = {
    "title": ("summary",),
    "start": ("start", "end"),
    "stop": ("start", "end"),
    "all_day": ("start", "end"),
    "timezone": ("start", "end"),
    "description": ("description",),
    "location": ("location",),
    "privacy": ("visibility",),
    "show_as": ("transparency",),
    "attendees": ("attendees",),
    "reminders": ("reminders",),
    "recurrence": ("recurrence",),
}


def to_google(
    event: SyncEvent, *, for_patch: bool = False, fields: Iterable[str] | None = None
) -> dict[str, Any]:
    """``SyncEvent`` -> an ``events.insert`` (``for_patch=False``) or ``events.patch`` body.

    A create carries ``event.remote_id`` as the client-chosen ``id`` when one is set (Google
    then refuses a second insert with 409, which makes creates idempotent). A patch limited to
    ``fields`` (synced field names) holds only their properties: the rest of the event, such as
    its own time zone, guests' roles or the use of the calendar's default reminders, stays as
    Google has it.
    """
    body = _full_body(event, for_patch)
    if fields is None:
        return body
    wanted = {"status"}.union(*(GOOGLE_PROPERTIES.get(name, ()) for name in fields))
    return {key: value for key, value in body.items() if key in wanted}


def _full_body(event: SyncEvent, for_patch: bool) -> dict[str, Any]:
    _check_timezone(event)
    body: dict[str, Any] = {
        "summary": event.title,
        "description": event.description,
        "location": event.location,
        "start": _when_out(event.start, event, "start", for_patch),
        "end": _when_out(event.stop, event, "stop", for_patch),
        "visibility": event.privacy.value,
        "transparency": "transparent" if event.show_as == model.ShowAs.FREE else "opaque",
        "attendees": [attendee_to_google(a) for a in event.attendees if a.email],
        "reminders": reminders_to_google(event.reminders),
    }
    if event.recurrence or (for_patch and not event.is_occurrence):
        # Instances never carry recurrence; a patched master sends [] to end its series.
        body["recurrence"] = recurrence_to_google(event)
    if event.odoo_id is not None:
        body["extendedProperties"] = {"private": {ODOO_ID_PROPERTY: str(event.odoo_id)}}
    if event.cancelled:
        body["status"] = "cancelled"
    if not for_patch and event.remote_id:
        body["id"] = event.remote_id
    return body
