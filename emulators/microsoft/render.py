"""Instances -> Graph's event JSON (v1.0 member order), honouring Prefer and $select/$expand."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from . import timezones
from .store import Instance, ical_uid

HTML_WRAPPER = (
    '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    "\r\n</head>\r\n<body>\r\n{content}\r\n</body>\r\n</html>\r\n"
)
_TAG_RE = re.compile(r"<(script|style|head)\b.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_SPACE_RE = re.compile(r"\s+")


@dataclass
class RenderOptions:
    time_zone: str | None = None  # Prefer: outlook.timezone (None: UTC)
    body_type: str | None = None  # Prefer: outlook.body-content-type
    select: list[str] | None = None
    extended_ids: list[str] | None = None  # $expand=singleValueExtendedProperties($filter=...)
    wrap_html: bool = True


def html_to_text(content: str) -> str:
    text = _TAG_RE.sub(" ", content)
    return _SPACE_RE.sub(" ", html.unescape(text)).strip()


def wrap_html(content: str) -> str:
    """Exchange stores an HTML body as a whole document."""
    if re.match(r"\s*(<!doctype[^>]*>\s*)?<html", content, re.IGNORECASE):
        return content
    return HTML_WRAPPER.format(content=content)


def render_body(body: dict[str, str], options: RenderOptions) -> dict[str, str]:
    kind, content = body.get("contentType", "text"), body.get("content", "")
    if kind == "html" and options.wrap_html and content:
        content = wrap_html(content)
    wanted = options.body_type
    if wanted == "text" and kind == "html":
        return {"contentType": "text", "content": html_to_text(content)}
    if wanted == "html" and kind == "text":
        escaped = html.escape(content).replace("\n", "<br>\r\n")
        return {"contentType": "html", "content": wrap_html(escaped)}
    return {"contentType": kind, "content": content}


def body_preview(body: dict[str, str]) -> str:
    content = body.get("content", "")
    text = html_to_text(content) if body.get("contentType") == "html" else content
    return _SPACE_RE.sub(" ", text).strip()[:255]


def render_times(instance: Instance, options: RenderOptions) -> tuple[dict, dict]:
    props = instance.props
    label = options.time_zone or "UTC"
    if props.get("isAllDay"):
        # All-day events are dates: same midnight whatever the zone asked for.
        start = timezones.parse_local(props["start"]["dateTime"])
        end = timezones.parse_local(props["end"]["dateTime"])
        return (
            {"dateTime": timezones.format_local(start), "timeZone": label},
            {"dateTime": timezones.format_local(end), "timeZone": label},
        )
    return (
        timezones.render(instance.start, options.time_zone),
        timezones.render(instance.end, options.time_zone),
    )


def render(instance: Instance, options: RenderOptions | None = None) -> dict[str, Any]:
    """The event resource as Graph v1.0 answers it."""
    options = options or RenderOptions()
    event, props = instance.event, instance.props
    created = instance.override.created if instance.override else event.created
    modified = instance.override.modified if instance.override else event.modified
    start, end = render_times(instance, options)
    occurrence_date = _occurrence_date(instance)
    data: dict[str, Any] = {
        "@odata.etag": f'W/"{instance.change_key}"',
        "id": instance.id,
        "createdDateTime": timezones.format_utc(created),
        "lastModifiedDateTime": timezones.format_utc(modified),
        "changeKey": instance.change_key,
        "categories": list(props.get("categories") or []),
        "transactionId": props.get("transactionId"),
        "originalStartTimeZone": event.props["start"]["timeZone"],
        "originalEndTimeZone": event.props["end"]["timeZone"],
        "iCalUId": ical_uid(event, occurrence_date),
        "reminderMinutesBeforeStart": props.get("reminderMinutesBeforeStart", 15),
        "isReminderOn": props.get("isReminderOn", True),
        "hasAttachments": False,
        "subject": props.get("subject") or "",
        "bodyPreview": body_preview(props.get("body") or {}),
        "importance": props.get("importance", "normal"),
        "sensitivity": props.get("sensitivity", "normal"),
        "isAllDay": bool(props.get("isAllDay")),
        "isCancelled": event.is_cancelled,
        "isOrganizer": event.is_organizer,
        "responseRequested": props.get("responseRequested", True),
        "seriesMasterId": event.id if instance.key is not None else None,
        "showAs": props.get("showAs", "busy"),
        "type": instance.kind,
        "webLink": web_link(instance.id),
        "onlineMeetingUrl": None,
        "isOnlineMeeting": bool(props.get("isOnlineMeeting")),
        "onlineMeetingProvider": props.get("onlineMeetingProvider", "unknown"),
        "allowNewTimeProposals": props.get("allowNewTimeProposals", True),
        "isDraft": False,
        "hideAttendees": props.get("hideAttendees", False),
    }
    if instance.key is not None:
        data["originalStart"] = timezones.format_offset(instance.key)
    data.update(
        {
            "responseStatus": dict(instance.response_status),
            "body": render_body(props.get("body") or {}, options),
            "start": start,
            "end": end,
            "location": dict(props.get("location") or {}),
            "locations": [dict(item) for item in props.get("locations") or []],
            "recurrence": props.get("recurrence") if instance.key is None else None,
            "attendees": [_attendee(a) for a in props.get("attendees") or []],
            "organizer": {"emailAddress": dict(event.organizer)},
            "onlineMeeting": {"joinUrl": event.join_url} if event.join_url else None,
        }
    )
    _add_extended(data, instance, options)
    return _select(data, options.select)


def _occurrence_date(instance: Instance):
    """The original date of an occurrence in its series' zone (part of its iCalUId)."""
    if instance.key is None:
        return None
    if instance.event.props.get("isAllDay"):
        return instance.key.date()
    zone_name = instance.event.props["recurrence"]["range"]["recurrenceTimeZone"]
    return instance.key.astimezone(timezones.zone(zone_name)).date()


def _attendee(attendee: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": attendee["type"],
        "status": dict(attendee["status"]),
        "emailAddress": dict(attendee["emailAddress"]),
    }


def _add_extended(data: dict[str, Any], instance: Instance, options: RenderOptions) -> None:
    if options.extended_ids is None:
        return
    stored = instance.extended
    wanted = [i.lower() for i in options.extended_ids] if options.extended_ids else list(stored)
    found = [dict(stored[key]) for key in wanted if key in stored]
    if found:  # Graph leaves the member out when nothing matches
        data["singleValueExtendedProperties"] = found


def _select(data: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    if not select:
        return data
    keep = {"@odata.etag", "id", "singleValueExtendedProperties", *select}
    return {key: value for key, value in data.items() if key in keep}


def web_link(event_id: str) -> str:
    return (
        f"https://outlook.office365.com/owa/?itemid={quote(event_id, safe='')}"
        "&exvsurl=1&path=/calendar/item"
    )


def bare_occurrence(instance: Instance, options: RenderOptions) -> dict[str, Any]:
    """A plain occurrence in a delta page: Graph sends only these members (no subject, no
    ``originalStart``); the rest is the series master's."""
    start, end = render_times(instance, options)
    return {
        "@odata.type": "#microsoft.graph.event",
        "@odata.etag": f'W/"{instance.change_key}"',
        "id": instance.id,
        "seriesMasterId": instance.event.id,
        "type": "occurrence",
        "start": start,
        "end": end,
    }


def removed(event_id: str) -> dict[str, Any]:
    """A deletion in a delta page."""
    return {
        "@odata.type": "#microsoft.graph.event",
        "id": event_id,
        "@removed": {"reason": "deleted"},
    }
