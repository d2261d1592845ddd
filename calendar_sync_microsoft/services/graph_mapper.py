"""Microsoft Graph v1.0 event JSON <-> neutral ``SyncEvent``, both directions.

Inbound (``from_graph`` / ``parse_event``, here) is lenient where Graph's data is merely
incomplete (an attendee without address is skipped, an unknown event zone falls back to the
hint) and strict where a guess would corrupt the calendar (no id, unreadable start/end, a
recurrence that cannot be read): such an item raises ``MalformedEvent`` naming the event id and
the field, and ``from_graph`` turns that into ``None`` so one bad item never aborts a page.
Outbound (``to_graph``, ``graph_normalized``) is in ``graph_outbound``.

Decisions (each also explained where it is implemented):

- Time zones: Graph reports start/end in the zone asked for with ``Prefer: outlook.timezone``
  (the client asks for UTC) and the event's own zone in ``originalStartTimeZone``, usually a
  Windows name. Zones are mapped with CLDR's table (``timezones``); outbound, start/end carry
  the wall time in the event's zone and the Windows name: Graph documents every Windows zone
  as valid for ``timeZone`` but only a short list of IANA names, and "methods such as create or
  update might not support all" of the others.
- All-day: ``isAllDay`` with midnight-to-midnight bounds; the end is exclusive, like the
  neutral model's.
- ``sensitivity``: normal <-> ``Privacy.DEFAULT`` (both mean "nothing special"), private <->
  PRIVATE, confidential <-> CONFIDENTIAL; ``personal`` comes in as PRIVATE (it marks the
  user's own business: keeping its details hidden in Odoo is the safe reading) and PUBLIC goes
  out as normal (Outlook has nothing more public than normal).
- ``showAs``: free <-> ``ShowAs.FREE``; busy, tentative, oof, workingElsewhere and unknown come
  in as BUSY (they all block time); BUSY goes out as busy.
- Reminder: Outlook keeps one (``isReminderOn`` + ``reminderMinutesBeforeStart``). In, it is a
  single popup ``Reminder``; out, the Odoo alarm that fires first (the most minutes before
  the start) is sent, so the user is never warned later than Odoo would have (Odoo's own
  Outlook module does the same); no alarm turns the reminder off.
- Organizer: Graph lists the organizer apart from ``attendees``; Odoo lists them as an
  attendee. In, the organizer is added as an accepted attendee (flagged ``organizer``); out,
  they are left out of ``attendees`` (Outlook would invite the organizer to their own meeting).
- Odoo id: a single-value extended property (``ODOO_ID_PROPERTY``) in a property set of our
  own (a fixed GUID for this project, so no other application's property can collide). Graph
  returns it only when asked (``$expand``), so events read from a delta page have no Odoo id.
- Video call: ``onlineMeeting.joinUrl``, else ``onlineMeetingUrl``, in only: both are set by
  Outlook/Teams and read-only through Graph.
- Body: HTML bodies lose the ``<html><head>...<body>`` wrapper Outlook adds (so they compare
  equal to what was sent); text bodies are escaped into HTML.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from calendar_sync_base.services.errors import MalformedItem
from calendar_sync_base.services.model import (
    UTC,
    Attendee,
    Privacy,
    Recurrence,
    Reminder,
    Response,
    ShowAs,
    SyncEvent,
    without_nul,
)
from calendar_sync_base.services.timeutil import aware_utc, parse_rfc3339

from .graph_recurrence import rrule_from_graph
from .timezones import to_iana, zone_for

# The MAPI named property carrying the Odoo id: property set GUID chosen for Calendar Sync.
ODOO_ID_PROPERTY_SET = "2237511b-c58f-42fa-9bab-1c131fcf342a"
ODOO_ID_PROPERTY = f"String {{{ODOO_ID_PROPERTY_SET}}} Name odoo_id"
_TRANSACTION_ID = re.compile(r"^odoo-[0-9a-f]{16}-(\d+)$")
# ``$expand`` value that makes Graph return that property with an event.
EXPAND_ODOO_ID = f"singleValueExtendedProperties($filter=id eq '{ODOO_ID_PROPERTY}')"

RESPONSE_IN = {
    "none": Response.NEEDS_ACTION,
    "notResponded": Response.NEEDS_ACTION,
    "organizer": Response.ACCEPTED,
    "accepted": Response.ACCEPTED,
    "tentativelyAccepted": Response.TENTATIVE,
    "declined": Response.DECLINED,
}
RESPONSE_OUT = {
    Response.NEEDS_ACTION: "none",
    Response.ACCEPTED: "accepted",
    Response.TENTATIVE: "tentativelyAccepted",
    Response.DECLINED: "declined",
}
SENSITIVITY_IN = {
    "normal": Privacy.DEFAULT,
    "personal": Privacy.PRIVATE,
    "private": Privacy.PRIVATE,
    "confidential": Privacy.CONFIDENTIAL,
}
SENSITIVITY_OUT = {
    Privacy.DEFAULT: "normal",
    Privacy.PUBLIC: "normal",
    Privacy.PRIVATE: "private",
    Privacy.CONFIDENTIAL: "confidential",
}
_BODY = re.compile(r"<body\b[^>]*>(.*)</body\s*>", re.IGNORECASE | re.DOTALL)
_HTML_DOCUMENT = re.compile(r"^\s*(<!DOCTYPE[^>]*>\s*)?<html\b", re.IGNORECASE)


class MalformedEvent(MalformedItem):
    """A Graph event (inbound) or a neutral event (outbound) that cannot be mapped."""

    kind = "Outlook event"


# --------------------------------------------------------------------------- time helpers


def _date_time(obj: Any, rid: str, field: str) -> dt.datetime:
    """The ``dateTime`` of a ``dateTimeTimeZone``, as written (naive unless it has an offset)."""
    if not isinstance(obj, dict):
        raise MalformedEvent(rid, field, "missing or not an object")
    try:
        return parse_rfc3339(obj.get("dateTime"))
    except ValueError as exc:
        raise MalformedEvent(rid, f"{field}.dateTime", str(exc)) from None


def _instant(obj: Any, rid: str, field: str) -> dt.datetime:
    """A ``dateTimeTimeZone`` -> aware UTC datetime."""
    value = _date_time(obj, rid, field)
    if value.tzinfo is None:
        zone = zone_for(obj.get("timeZone") or "UTC")
        if zone is None:
            raise MalformedEvent(rid, f"{field}.timeZone", f"unknown zone {obj.get('timeZone')!r}")
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _local_day(obj: Any, zone: ZoneInfo, rid: str, field: str) -> dt.date:
    """The date of an all-day bound.

    Outlook stores all-day bounds as local midnights; should a server convert them to the
    ``Prefer`` zone anyway, the instant is brought back to the event's zone and rounded to
    the nearest midnight instead of shifting the event by a day.
    """
    value = _date_time(obj, rid, field)
    if value.tzinfo is None and value.time() == dt.time():
        return value.date()
    local = _instant(obj, rid, field).astimezone(zone).replace(tzinfo=None)
    return (local + dt.timedelta(hours=12)).date()


def _offset_value(value: Any, rid: str, field: str) -> dt.datetime:
    """A ``DateTimeOffset`` (``originalStart``, ``lastModifiedDateTime``) -> aware UTC."""
    try:
        parsed = parse_rfc3339(value)
    except ValueError as exc:
        raise MalformedEvent(rid, field, str(exc)) from None
    return aware_utc(parsed)


# --------------------------------------------------------------------------- inbound parts


def unknown_timezone(item: Any) -> str | None:
    """A zone name the event gives that maps to no IANA zone (read in a fallback)."""
    if not isinstance(item, dict):
        return None
    rng = (item.get("recurrence") or {}).get("range")
    start = item.get("start")
    for name in (
        item.get("originalStartTimeZone"),
        rng.get("recurrenceTimeZone") if isinstance(rng, dict) else None,
        start.get("timeZone") if isinstance(start, dict) else None,
    ):
        if isinstance(name, str) and name and not to_iana(name):
            return name
    return None


def event_timezone(item: dict, hint: str = "") -> str:
    """The event's own IANA zone: ``originalStartTimeZone``, the recurrence's, start's, the
    hint, else UTC. ``hint`` also picks among IANA zones sharing one Windows zone."""
    rng = (item.get("recurrence") or {}).get("range") if isinstance(item, dict) else None
    candidates = (
        item.get("originalStartTimeZone"),
        rng.get("recurrenceTimeZone") if isinstance(rng, dict) else None,
        (item.get("start") or {}).get("timeZone") if isinstance(item.get("start"), dict) else None,
    )
    for name in candidates:
        iana = to_iana(name, hint) if isinstance(name, str) else None
        if iana:
            return iana
    return (to_iana(hint) if hint else None) or "UTC"


def body_to_html(body: Any) -> str:
    """Graph ``itemBody`` -> HTML: the inside of Outlook's document wrapper, or escaped text."""
    if not isinstance(body, dict):
        return ""
    content = body.get("content")
    if not content or not isinstance(content, str):
        return ""
    if str(body.get("contentType", "html")).lower() == "text":
        escaped = html.escape(content.strip(), quote=False)
        return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
    if _HTML_DOCUMENT.match(content):
        match = _BODY.search(content)
        content = match.group(1) if match else ""
    return content.strip()


def _email_of(raw: Any) -> tuple[str, str]:
    address = raw.get("emailAddress") if isinstance(raw, dict) else None
    if not isinstance(address, dict):
        return "", ""
    email = address.get("address")
    name = address.get("name")
    email = email.strip() if isinstance(email, str) else ""
    return email, name.strip() if isinstance(name, str) else ""


def _attendee_in(raw: Any) -> Attendee | None:
    email, name = _email_of(raw)
    if not email:
        return None  # Graph may list rooms or people without an address: not representable
    kind = raw.get("type")
    status = raw.get("status")
    response = status.get("response") if isinstance(status, dict) else None
    return Attendee(
        email=email,
        name=name if name.casefold() != email.casefold() else "",
        response=RESPONSE_IN.get(response, Response.NEEDS_ACTION),
        optional=kind == "optional",
        resource=kind == "resource",
        organizer=response == "organizer",
    )


def attendees_from_graph(items: Any, organizer: Any = None) -> tuple[Attendee, ...]:
    """Attendees with an address, one per address, sorted; the organizer included."""
    seen: dict[str, Attendee] = {}
    for raw in items if isinstance(items, list) else ():
        attendee = _attendee_in(raw)
        if attendee and attendee.email.casefold() not in seen:
            seen[attendee.email.casefold()] = attendee
    email, name = _email_of(organizer)
    if email:
        known = seen.get(email.casefold())
        if known is None:
            name = name if name.casefold() != email.casefold() else ""
            known = Attendee(email=email, name=name, response=Response.ACCEPTED)
        seen[email.casefold()] = dataclasses.replace(
            known, organizer=True, response=Response.ACCEPTED
        )
    return tuple(seen[key] for key in sorted(seen))


def reminders_from_graph(item: dict) -> tuple[Reminder, ...]:
    if not item.get("isReminderOn"):
        return ()
    minutes = item.get("reminderMinutesBeforeStart")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        return ()
    return (Reminder(minutes=minutes, method="popup"),)


def _video_url(item: dict) -> str:
    meeting = item.get("onlineMeeting")
    if isinstance(meeting, dict) and isinstance(meeting.get("joinUrl"), str):
        return meeting["joinUrl"]
    url = item.get("onlineMeetingUrl")
    return url if isinstance(url, str) else ""


def _property_key(value: str) -> str:
    return " ".join(value.split()).casefold()


def odoo_id_from_graph(item: dict) -> int | None:
    """The Odoo id in our extended property, else in our ``transactionId``, or None.

    Delta pages cannot expand extended properties; the transaction id we set on create
    (``transaction_id``) still tells a pulled event that Odoo created it, which is what lets
    a create whose local commit was lost be adopted instead of duplicated.
    """
    wanted = _property_key(ODOO_ID_PROPERTY)
    for prop in item.get("singleValueExtendedProperties") or ():
        if isinstance(prop, dict) and _property_key(str(prop.get("id", ""))) == wanted:
            try:
                return int(prop.get("value"))
            except (TypeError, ValueError):
                return None
    match = _TRANSACTION_ID.match(str(item.get("transactionId") or ""))
    return int(match.group(1)) if match else None


def transaction_id(database_tag: str, key: str, odoo_id: int | None) -> str:
    """Graph's guard against a retried create making a second event, readable back."""
    tag = hashlib.sha256(f"{database_tag}|{key}".encode()).hexdigest()[:16]
    return f"odoo-{tag}-{odoo_id}" if odoo_id is not None else f"odoo-{tag}"


def _etag(item: dict) -> str:
    if isinstance(item.get("changeKey"), str) and item["changeKey"]:
        return item["changeKey"]
    etag = item.get("@odata.etag")
    if isinstance(etag, str) and etag:
        return etag.removeprefix("W/").strip('"')
    return ""


# --------------------------------------------------------------------------- inbound


def _span(item: dict, zone: ZoneInfo, rid: str) -> tuple:
    if item.get("isAllDay"):
        start = _local_day(item.get("start"), zone, rid, "start")
        stop = _local_day(item.get("end"), zone, rid, "end")
        if stop <= start:
            stop = start + dt.timedelta(days=1)  # the end is exclusive: at least one day
        return start, stop, True
    start = _instant(item.get("start"), rid, "start")
    stop = _instant(item.get("end"), rid, "end")
    if stop < start:
        raise MalformedEvent(rid, "end", "ends before it starts")
    return start, stop, False


def _original_start(item: dict, zone: ZoneInfo, rid: str, all_day: bool):
    value = item.get("originalStart")
    if not value:
        return None
    instant = _offset_value(value, rid, "originalStart")
    if not all_day:
        return instant
    local = instant.astimezone(zone).replace(tzinfo=None)
    return (local + dt.timedelta(hours=12)).date()  # an all-day slot is a date


def occurrence_slot(item: dict) -> dt.datetime | None:
    """The slot (UTC instant) of a plain occurrence. A delta page sends an occurrence bare
    (``id``, ``type``, ``seriesMasterId``, ``start``, ``end``: no ``originalStart``), and a
    plain occurrence has not moved, so its start is its slot."""
    rid = str(item.get("id") or "")
    try:
        if item.get("originalStart"):
            return _offset_value(item["originalStart"], rid, "originalStart")
        return _instant(item.get("start"), rid, "start")
    except MalformedEvent:
        return None


def _identity(item: dict, zone: ZoneInfo, rid: str, all_day: bool) -> dict[str, Any]:
    modified = item.get("lastModifiedDateTime")
    return {
        "remote_id": rid,
        "ical_uid": item.get("iCalUId") or "",
        "etag": _etag(item),
        "odoo_id": odoo_id_from_graph(item),
        "master_remote_id": item.get("seriesMasterId") or "",
        "original_start": _original_start(item, zone, rid, all_day),
        "last_modified": _offset_value(modified, rid, "lastModifiedDateTime") if modified else None,
    }


def recurrence_from_graph(item: dict, zone_name: str, all_day: bool, rid: str = ""):
    """The neutral ``Recurrence`` of a series master (no exdates: Graph keeps none on the
    master; the client derives them from the series' instances)."""
    raw = item.get("recurrence")
    if not raw:
        return None
    rng = raw.get("range") if isinstance(raw, dict) else None
    own = rng.get("recurrenceTimeZone") if isinstance(rng, dict) else None
    zone = zone_for(own, zone_name) if own else None
    try:
        rule = rrule_from_graph(raw, all_day=all_day, zone=zone or ZoneInfo(zone_name))
    except ValueError as exc:
        raise MalformedEvent(rid, "recurrence", str(exc)) from None
    return Recurrence(rrule=rule)


def parse_event(item: Any, *, timezone_hint: str = "") -> SyncEvent:
    """One Graph event (or ``@removed`` entry) -> ``SyncEvent``; ``MalformedEvent`` if unusable.

    ``timezone_hint`` (an IANA zone, typically the user's) picks the IANA zone for a Windows
    zone shared by several, so the user's own zone comes back unchanged.
    """
    if not isinstance(item, dict):
        raise MalformedEvent("", "event", "not a JSON object")
    rid = item.get("id")
    if not rid or not isinstance(rid, str):
        raise MalformedEvent("", "id", "missing")
    if "@removed" in item:
        # A deleted event (or one that left the window) guarantees only its id.
        return SyncEvent(remote_id=rid, cancelled=True, timezone=to_iana(timezone_hint) or "UTC")
    timezone = event_timezone(item, timezone_hint)
    zone = ZoneInfo(timezone)
    start, stop, all_day = _span(item, zone, rid)
    identity = _identity(item, zone, rid, all_day)
    location = item.get("location")
    event = SyncEvent(
        title=item.get("subject") or "",
        start=start,
        stop=stop,
        all_day=all_day,
        timezone=timezone,
        description=body_to_html(item.get("body")),
        location=(location.get("displayName") or "") if isinstance(location, dict) else "",
        privacy=SENSITIVITY_IN.get(item.get("sensitivity"), Privacy.DEFAULT),
        show_as=ShowAs.FREE if item.get("showAs") == "free" else ShowAs.BUSY,
        organizer_email=_email_of(item.get("organizer"))[0],
        attendees=attendees_from_graph(item.get("attendees"), item.get("organizer")),
        reminders=reminders_from_graph(item),
        video_url=_video_url(item),
        recurrence=recurrence_from_graph(item, timezone, all_day, rid)
        if item.get("type") not in ("occurrence", "exception")
        else None,
        cancelled=bool(item.get("isCancelled")),
        **identity,
    )
    return without_nul(event)


def from_graph(
    item: Any,
    *,
    timezone_hint: str = "",
    on_error: Callable[[MalformedEvent], None] | None = None,
) -> SyncEvent | None:
    """Like ``parse_event`` but returns ``None`` for an unusable item (reported to
    ``on_error``), so the caller can record it and carry on with the rest of the page."""
    try:
        return parse_event(item, timezone_hint=timezone_hint)
    except MalformedEvent as exc:
        if on_error is not None:
            on_error(exc)
        return None
