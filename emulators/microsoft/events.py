"""Event bodies: validation and normalisation of what clients send (POST/PATCH), as Graph does.

A stored event keeps its properties in Graph's own JSON shape (``props``); rendering (see
``render.py``) adds the computed and read-only members.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from . import errors, recurrence, timezones

ENUMS = {
    "sensitivity": ("normal", "personal", "private", "confidential"),
    "showAs": ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown"),
    "importance": ("low", "normal", "high"),
    "onlineMeetingProvider": (
        "unknown",
        "skypeForBusiness",
        "skypeForConsumer",
        "teamsForBusiness",
    ),
}
ATTENDEE_TYPES = ("required", "optional", "resource")
RESPONSES = ("none", "organizer", "tentativelyAccepted", "accepted", "declined", "notResponded")
BOOLEANS = (
    "isAllDay",
    "isReminderOn",
    "isOnlineMeeting",
    "responseRequested",
    "allowNewTimeProposals",
    "hideAttendees",
)
# Writable properties the emulator stores.
WRITABLE = {
    "subject",
    "body",
    "start",
    "end",
    "isAllDay",
    "location",
    "locations",
    "attendees",
    "sensitivity",
    "showAs",
    "importance",
    "isReminderOn",
    "reminderMinutesBeforeStart",
    "categories",
    "isOnlineMeeting",
    "onlineMeetingProvider",
    "recurrence",
    "responseRequested",
    "allowNewTimeProposals",
    "hideAttendees",
    "transactionId",
    "singleValueExtendedProperties",
}
# Read-only properties Graph silently ignores in a request body.
READ_ONLY = {
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "changeKey",
    "iCalUId",
    "type",
    "seriesMasterId",
    "isOrganizer",
    "webLink",
    "bodyPreview",
    "responseStatus",
    "organizer",
    "originalStart",
    "originalStartTimeZone",
    "originalEndTimeZone",
    "hasAttachments",
    "onlineMeetingUrl",
    "onlineMeeting",
    "isCancelled",
    "isDraft",
    "uid",
    "occurrenceId",
}
# What an attendee may change on his copy of a meeting he does not organise.
ATTENDEE_SIDE = {
    "isReminderOn",
    "reminderMinutesBeforeStart",
    "showAs",
    "categories",
    "sensitivity",
    "singleValueExtendedProperties",
    "transactionId",
}
TIME_FIELDS = ("start", "end", "isAllDay", "recurrence")
EXTENDED_ID_RE = re.compile(
    r"^(String|Integer|Boolean|SystemTime|Binary|Double|Long|Short|Float|Currency|CLSID)\s+"
    r"(\{[0-9a-fA-F-]{36}\}\s+(Name\s+\S.*|Id\s+0x[0-9a-fA-F]{1,4})|0x[0-9a-fA-F]{1,4})$"
)


def bad_literal(value: Any, edm: str) -> errors.GraphError:
    return errors.invalid_body(
        f"Cannot convert the literal '{value}' to the expected type '{edm}'."
    )


def unknown_property(name: str, type_name: str = "event") -> errors.GraphError:
    return errors.invalid_body(
        f"The property '{name}' does not exist on type 'microsoft.graph.{type_name}'. Make sure "
        "to only use property names that are defined by the type or mark the type as open type."
    )


def clean_body(body: Any) -> dict[str, Any]:
    """Known writable members of a request body (read-only ones dropped, unknown -> 400)."""
    if not isinstance(body, dict):
        raise errors.invalid_body("The request body must be a JSON object.")
    out = {}
    for key, value in body.items():
        if key.startswith("@") or key in READ_ONLY:
            continue
        if key not in WRITABLE:
            raise unknown_property(key)
        out[key] = value
    return out


def check_types(body: dict[str, Any]) -> dict[str, Any]:
    """Normalise members one by one (types, enums); returns the normalised body."""
    out = dict(body)
    _check_scalars(out)
    normalizers = {
        "categories": lambda v: _strings(v, "categories"),
        "body": _item_body,
        "location": _location,
        "locations": lambda v: [_location(item) for item in _list(v, "locations")],
        "attendees": lambda v: [_attendee(item) for item in _list(v, "attendees")],
        "start": lambda v: _date_time_zone(v, "start"),
        "end": lambda v: _date_time_zone(v, "end"),
        "singleValueExtendedProperties": _extended,
    }
    for key, normalize in normalizers.items():
        if key in out:
            out[key] = normalize(out[key])
    return out


def _check_scalars(body: dict[str, Any]) -> None:
    for key in BOOLEANS:
        if key in body and not isinstance(body[key], bool):
            raise bad_literal(body[key], "Edm.Boolean")
    for key, allowed in ENUMS.items():
        if key in body:
            body[key] = errors.enum_member(body[key], allowed, _enum_type(key))
    if body.get("subject") is not None and not isinstance(body["subject"], str):
        raise bad_literal(body["subject"], "Edm.String")
    if "reminderMinutesBeforeStart" in body:
        value = body["reminderMinutesBeforeStart"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad_literal(value, "Edm.Int32")


def _enum_type(key: str) -> str:
    return {
        "showAs": "freeBusyStatus",
        "onlineMeetingProvider": "onlineMeetingProviderType",
    }.get(key, key)


def _list(value: Any, name: str) -> list:
    if not isinstance(value, list):
        raise errors.invalid_body(f"The property '{name}' must be a collection.")
    return value


def _strings(value: Any, name: str) -> list[str]:
    items = _list(value, name)
    if any(not isinstance(item, str) for item in items):
        raise bad_literal(items, "Collection(Edm.String)")
    return items


def _item_body(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise errors.invalid_body("The property 'body' must be an itemBody object.")
    kind = errors.enum_member(value.get("contentType", "text"), ("text", "html"), "bodyType")
    content = value.get("content") or ""
    if not isinstance(content, str):
        raise bad_literal(content, "Edm.String")
    return {"contentType": kind, "content": content}


def _email(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise errors.invalid_body("An emailAddress must be an object.")
    address = value.get("address") or ""
    name = value.get("name") or address
    return {"name": str(name), "address": str(address)}


def _location(value: Any) -> dict[str, Any]:
    if value is None:
        return _location({})
    if not isinstance(value, dict):
        raise errors.invalid_body("A location must be an object.")
    allowed = {
        "displayName",
        "locationType",
        "uniqueId",
        "uniqueIdType",
        "address",
        "coordinates",
        "locationUri",
        "locationEmailAddress",
        "@odata.type",
    }
    unknown = set(value) - allowed
    if unknown:
        raise unknown_property(sorted(unknown)[0], "location")
    name = value.get("displayName") or ""
    out = {
        "displayName": name,
        "locationType": value.get("locationType") or "default",
        "uniqueIdType": value.get("uniqueIdType") or ("private" if name else "unknown"),
    }
    if name:
        out["uniqueId"] = value.get("uniqueId") or name
    for key in ("address", "coordinates", "locationUri", "locationEmailAddress"):
        if value.get(key) is not None:
            out[key] = value[key]
    return out


def _attendee(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or "emailAddress" not in value:
        raise errors.invalid_body("An attendee must be an object with an emailAddress.")
    kind = errors.enum_member(value.get("type") or "required", ATTENDEE_TYPES, "attendeeType")
    status = value.get("status") or {}
    response = errors.enum_member(status.get("response") or "none", RESPONSES, "responseType")
    return {
        "type": kind,
        "status": {"response": response, "time": status.get("time") or timezones.NO_TIME},
        "emailAddress": _email(value["emailAddress"]),
    }


def _date_time_zone(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, dict) or not value.get("dateTime"):
        raise errors.invalid_body(f"The property '{name}' must be a dateTimeTimeZone object.")
    zone_name = value.get("timeZone") or "UTC"
    if not timezones.is_known(zone_name):
        raise errors.GraphError(
            400,
            "TimeZoneNotSupportedException",
            f"A valid TimeZone value must be specified. The following TimeZone value is not "
            f"supported: '{zone_name}'.",
        )
    try:
        moment = timezones.parse_local(str(value["dateTime"]))
    except ValueError:
        raise bad_literal(value["dateTime"], "Edm.DateTimeOffset") from None
    if moment.tzinfo is not None:  # an offset: bring it to the zone named
        moment = moment.astimezone(timezones.zone(zone_name)).replace(tzinfo=None)
    return {"dateTime": timezones.format_local(moment), "timeZone": zone_name}


def _extended(value: Any) -> list[dict[str, str]]:
    items = _list(value, "singleValueExtendedProperties")
    out = []
    for item in items:
        if not isinstance(item, dict) or "id" not in item:
            raise errors.invalid_body("An extended property must have an id and a value.")
        if not EXTENDED_ID_RE.match(str(item["id"]).strip()):
            raise errors.bad_request(
                f"The extended property id '{item['id']}' is not valid.",
                "ErrorInvalidExtendedPropertyValue",
            )
        if item.get("value") is not None and not isinstance(item["value"], str):
            raise bad_literal(item["value"], "Edm.String")
        out.append({"id": str(item["id"]).strip(), "value": item.get("value")})
    return out


def check_times(props: dict[str, Any]) -> None:
    """Start/end coherence of a complete event (after a create or a merge)."""
    start = timezones.to_utc(props["start"]["dateTime"], props["start"]["timeZone"])
    end = timezones.to_utc(props["end"]["dateTime"], props["end"]["timeZone"])
    if end < start:
        raise errors.GraphError(
            400,
            "ErrorInvalidRequest",
            "Your request can't be completed. The end time of the event must be after the "
            "start time.",
        )
    if props.get("isAllDay"):
        days = []
        for key in ("start", "end"):
            local = timezones.parse_local(props[key]["dateTime"])
            if local.time() != dt.time(0):
                raise errors.validation(
                    "Your request can't be completed. If an event is an all-day event, its "
                    "start and end times must be set to midnight (00:00)."
                )
            days.append(local.date())
        # Counted in days, not hours: the day clocks go forward lasts 23 hours.
        if days[1] <= days[0]:
            raise errors.validation(
                "Your request can't be completed. An all-day event must last at least one day."
            )


def default_times(now: dt.datetime, zone_name: str) -> tuple[dict, dict]:
    """Start/end Outlook picks for an event created without them: the next half hour."""
    local = now.astimezone(timezones.zone(zone_name)).replace(second=0, microsecond=0)
    local += dt.timedelta(minutes=30 - local.minute % 30)
    start = {"dateTime": timezones.format_local(local), "timeZone": zone_name}
    end_local = local + dt.timedelta(minutes=30)
    return start, {"dateTime": timezones.format_local(end_local), "timeZone": zone_name}


def normalize_recurrence(props: dict[str, Any]) -> None:
    if "recurrence" in props:
        zone_name = (props.get("start") or {}).get("timeZone")
        props["recurrence"] = recurrence.normalize(props["recurrence"], zone_name)
