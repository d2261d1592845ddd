"""Event resources: validating and normalising request bodies, patch merging, rendering.

Limits and messages follow the Calendar v3 reference (events resource, reminders, extended
properties); where Google's exact wording is not documented the message is descriptive and the
``reason`` is the documented one (``invalid``, ``required``...).
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

from .errors import GoogleError, bad_request
from .recurrence import RecurrenceError, When, parse_when, render_when, validate_lines

BASE32HEX = re.compile(r"[a-v0-9]{5,1024}")
WRITABLE = {
    "anyoneCanAddSelf",
    "attachments",
    "attendees",
    "attendeesOmitted",
    "birthdayProperties",
    "colorId",
    "conferenceData",
    "description",
    "end",
    "endTimeUnspecified",
    "eventLabelId",
    "eventType",
    "extendedProperties",
    "focusTimeProperties",
    "gadget",
    "guestsCanInviteOthers",
    "guestsCanModify",
    "guestsCanSeeOtherGuests",
    "iCalUID",
    "id",
    "location",
    "locked",
    "originalStartTime",
    "outOfOfficeProperties",
    "privateCopy",
    "recurrence",
    "reminders",
    "sequence",
    "source",
    "start",
    "status",
    "summary",
    "transparency",
    "visibility",
    "workingLocationProperties",
}
ENUMS = {
    "status": ("confirmed", "tentative", "cancelled"),
    "transparency": ("opaque", "transparent"),
    "visibility": ("default", "public", "private", "confidential"),
    "eventType": (
        "default",
        "outOfOffice",
        "focusTime",
        "workingLocation",
        "birthday",
        "fromGmail",
    ),
}
RESPONSE_STATUSES = ("needsAction", "declined", "tentative", "accepted")
REMINDER_METHODS = ("email", "popup")
MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 40320
MAX_PROPERTY_KEY = 44
MAX_PROPERTY_VALUE = 1024
MAX_PROPERTIES = 300
# Fields whose change makes the event "significantly" different (sequence is bumped).
SEQUENCE_FIELDS = ("start", "end", "recurrence", "location", "originalStartTime")
# Fields a non-organizer may change on his copy.
ATTENDEE_FIELDS = {"reminders", "colorId", "transparency", "attendees", "extendedProperties"}


def validate_id(event_id: Any) -> str:
    if not isinstance(event_id, str) or not BASE32HEX.fullmatch(event_id):
        raise bad_request("Invalid resource id value.")
    return event_id


def writable_part(resource: dict[str, Any]) -> dict[str, Any]:
    return {key: copy.deepcopy(value) for key, value in resource.items() if key in WRITABLE}


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Patch semantics: objects merge recursively, arrays and scalars replace, null clears."""
    result = copy.deepcopy(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_patch(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("Parse Error", reason="parseError")
    return body


def validate(resource: dict[str, Any], owner: str, organizer: str) -> dict[str, Any]:
    """Validate a complete writable resource; return it normalised. Raises GoogleError."""
    out = {key: value for key, value in strip_nulls(resource).items() if key in WRITABLE}
    _check_enums(out)
    start, end = _check_times(out)
    out["start"], out["end"] = render_when(start), render_when(end)
    if "originalStartTime" in out:
        original = parse_when(out["originalStartTime"])
        if original is None:
            raise bad_request("Invalid original start time.")
        out["originalStartTime"] = render_when(original)
    _check_recurrence(out, start)
    if "attendees" in out:
        out["attendees"] = _normalise_attendees(out["attendees"], owner, organizer)
    out["reminders"] = _normalise_reminders(out.get("reminders"))
    if "extendedProperties" in out:
        out["extendedProperties"] = _normalise_properties(out["extendedProperties"])
    _check_strings(out)
    return out


def _check_enums(out: dict[str, Any]) -> None:
    for name, allowed in ENUMS.items():
        if name in out and out[name] not in allowed:
            raise bad_request(f"Invalid value for: {name}")


def _check_strings(out: dict[str, Any]) -> None:
    for name in ("summary", "description", "location", "colorId", "iCalUID"):
        if name in out and not isinstance(out[name], str):
            raise bad_request(f"Invalid value for: {name}")
    if "sequence" in out and (not isinstance(out["sequence"], int) or out["sequence"] < 0):
        raise bad_request("Invalid sequence value.")


def _check_times(out: dict[str, Any]) -> tuple[When, When]:
    if "start" not in out:
        raise bad_request("Missing start time.", reason="required")
    if "end" not in out:
        raise bad_request("Missing end time.", reason="required")
    start, end = parse_when(out["start"]), parse_when(out["end"])
    if start is None:
        raise bad_request("Invalid start time.")
    if end is None:
        raise bad_request("Invalid end time.")
    if start.all_day != end.all_day:
        raise bad_request("Start and end times must either both be date or both be dateTime.")
    empty = end.utc() <= start.utc() if start.all_day else end.utc() < start.utc()
    if empty:
        raise GoogleError(400, "timeRangeEmpty", "The specified time range is empty.")
    return start, end


def _check_recurrence(out: dict[str, Any], start: When) -> None:
    lines = out.get("recurrence")
    if not lines:
        out.pop("recurrence", None)
        return
    if "recurringEventId" in out or "originalStartTime" in out:
        raise bad_request("Recurrence is not allowed on recurring event instances.")
    if not start.all_day:
        if not out["start"].get("timeZone"):
            raise bad_request("Missing time zone definition for start time.", reason="required")
        if not out["end"].get("timeZone"):
            raise bad_request("Missing time zone definition for end time.", reason="required")
    try:
        validate_lines(lines)
    except RecurrenceError:
        raise bad_request("Invalid recurrence rule.") from None


def _normalise_attendees(attendees: Any, owner: str, organizer: str) -> list[dict[str, Any]]:
    if not isinstance(attendees, list):
        raise bad_request("Invalid value for: attendees")
    result = []
    for attendee in attendees:
        if not isinstance(attendee, dict) or not attendee.get("email"):
            raise bad_request("Missing attendee email.", reason="required")
        item = dict(attendee)
        item.setdefault("responseStatus", "needsAction")
        if item["responseStatus"] not in RESPONSE_STATUSES:
            raise bad_request("Invalid attendee response status.")
        email = item["email"].lower()
        _set_flag(item, "self", email == owner.lower())
        _set_flag(item, "organizer", email == organizer.lower())
        result.append(item)
    return result


def _set_flag(item: dict[str, Any], name: str, value: bool) -> None:
    if value:
        item[name] = True
    else:
        item.pop(name, None)


def _normalise_reminders(reminders: Any) -> dict[str, Any]:
    if reminders is None:
        return {"useDefault": True}
    if not isinstance(reminders, dict):
        raise bad_request("Invalid value for: reminders")
    overrides = reminders.get("overrides") or []
    use_default = bool(reminders.get("useDefault", False))
    if use_default and overrides:
        raise bad_request(
            "Cannot specify both default reminders and overrides at the same time.",
            reason="cannotUseDefaultRemindersAndSpecifyOverride",
        )
    if len(overrides) > MAX_REMINDERS:
        raise bad_request("Too many reminders specified (the maximum is 5).")
    for override in overrides:
        _check_reminder(override)
    result: dict[str, Any] = {"useDefault": use_default}
    if overrides:
        result["overrides"] = [dict(o) for o in overrides]
    return result


def _check_reminder(override: Any) -> None:
    if not isinstance(override, dict) or override.get("method") not in REMINDER_METHODS:
        raise bad_request("Invalid reminder method.")
    minutes = override.get("minutes")
    if not isinstance(minutes, int) or not 0 <= minutes <= MAX_REMINDER_MINUTES:
        raise bad_request("Invalid reminder minutes value (0 to 40320).")


def _normalise_properties(properties: Any) -> dict[str, Any]:
    if not isinstance(properties, dict):
        raise bad_request("Invalid value for: extendedProperties")
    result, total = {}, 0
    for scope in ("private", "shared"):
        values = properties.get(scope)
        if values is None:
            continue
        if not isinstance(values, dict):
            raise bad_request(f"Invalid value for: extendedProperties.{scope}")
        for key, value in values.items():
            _check_property(key, value)
        total += len(values)
        result[scope] = dict(values)
    if total > MAX_PROPERTIES:
        raise bad_request("Too many extended properties.")
    return result


def _check_property(key: str, value: Any) -> None:
    if not isinstance(value, str):
        raise bad_request(f"Invalid extended property value for key: {key}")
    if len(key.encode("utf-8")) > MAX_PROPERTY_KEY:
        raise bad_request(f"Extended property key is too long: {key}")
    if len(value.encode("utf-8")) > MAX_PROPERTY_VALUE:
        raise bad_request(f"Extended property value is too long for key: {key}")


def apply_conference(out: dict[str, Any], previous: dict[str, Any], version: int) -> None:
    """conferenceData is only written with ``conferenceDataVersion=1`` (else it is kept as it
    was); a ``createRequest`` gets a Google Meet conference, as the real service does."""
    if version < 1:
        if "conferenceData" in previous:
            out["conferenceData"] = copy.deepcopy(previous["conferenceData"])
        else:
            out.pop("conferenceData", None)
        return
    data = out.get("conferenceData")
    if isinstance(data, dict) and "createRequest" in data and "entryPoints" not in data:
        out["conferenceData"] = _meet_conference(data["createRequest"])


def _meet_conference(create_request: dict[str, Any]) -> dict[str, Any]:
    request_id = str(create_request.get("requestId", ""))
    digest = hashlib.sha1(request_id.encode("utf-8")).hexdigest()
    letters = "".join(chr(ord("a") + int(ch, 16) % 26) for ch in digest[:10])
    code = f"{letters[:3]}-{letters[3:7]}-{letters[7:10]}"
    return {
        "createRequest": {
            **create_request,
            "status": {"statusCode": "success"},
        },
        "entryPoints": [
            {
                "entryPointType": "video",
                "uri": f"https://meet.google.com/{code}",
                "label": f"meet.google.com/{code}",
            }
        ],
        "conferenceSolution": {
            "key": {"type": "hangoutsMeet"},
            "name": "Google Meet",
        },
        "conferenceId": code,
    }


def hangout_link(resource: dict[str, Any]) -> str | None:
    data = resource.get("conferenceData") or {}
    if data.get("conferenceSolution", {}).get("key", {}).get("type") != "hangoutsMeet":
        return None
    for entry in data.get("entryPoints", []):
        if entry.get("entryPointType") == "video":
            return entry.get("uri")
    return None


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    keys = set(before) | set(after)
    return {key for key in keys if before.get(key) != after.get(key)}


def attendee_only_change(before: dict[str, Any], after: dict[str, Any], owner: str) -> bool:
    """True when a non-organizer's change touches only what an attendee may change:
    reminders, colour, transparency, private extended properties, his own response."""
    changed = changed_fields(before, after)
    if not changed <= ATTENDEE_FIELDS:
        return False
    if "extendedProperties" in changed:
        shared_before = (before.get("extendedProperties") or {}).get("shared")
        shared_after = (after.get("extendedProperties") or {}).get("shared")
        if shared_before != shared_after:
            return False
    if "attendees" in changed:
        return _strip_own_response(before, owner) == _strip_own_response(after, owner)
    return True


def _strip_own_response(resource: dict[str, Any], owner: str) -> list[dict[str, Any]]:
    result = []
    for attendee in resource.get("attendees") or []:
        item = dict(attendee)
        if item.get("email", "").lower() == owner.lower():
            item.pop("responseStatus", None)
            item.pop("comment", None)
        result.append(item)
    return result
