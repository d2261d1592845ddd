"""Recurring events: parsing Google's ``start``/``end`` and expanding ``recurrence`` lines.

Recurrences expand in the event's own time zone (wall-clock time, so DST changes keep the local
hour), using python-dateutil's ``rrulestr``. ``UNTIL``/``EXDATE``/``RDATE`` values given in UTC
or with a ``TZID`` are converted to that wall-clock time first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from .discovery import parse_datetime

UTC = dt.timezone.utc
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LOCAL_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?")
LINE_NAMES = ("RRULE", "EXRULE", "RDATE", "EXDATE")


def zone(name: str | None) -> dt.tzinfo | None:
    """The IANA zone ``name`` (None when unknown or empty)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class When:
    """A parsed ``start``/``end``/``originalStartTime``: all-day date or aware datetime."""

    date: dt.date | None = None
    datetime: dt.datetime | None = None  # aware
    time_zone: str | None = None

    @property
    def all_day(self) -> bool:
        return self.date is not None

    def utc(self) -> dt.datetime:
        """Comparable instant: all-day dates count from midnight UTC."""
        if self.date is not None:
            return dt.datetime(self.date.year, self.date.month, self.date.day, tzinfo=UTC)
        return self.datetime.astimezone(UTC)

    def local_naive(self) -> dt.datetime:
        """Wall-clock time in the event's zone (midnight for dates)."""
        if self.date is not None:
            return dt.datetime(self.date.year, self.date.month, self.date.day)
        tz = zone(self.time_zone)
        return (self.datetime.astimezone(tz) if tz else self.datetime).replace(tzinfo=None)

    def id_suffix(self) -> str:
        """Instance id suffix: ``20201107T070000Z`` (UTC) or ``20201107`` (all-day)."""
        if self.date is not None:
            return self.date.strftime("%Y%m%d")
        return self.utc().strftime("%Y%m%dT%H%M%SZ")


def parse_when(value: dict | None) -> When | None:
    """Parse a Google date/time object; None when malformed (missing, both, bad formats)."""
    if not isinstance(value, dict):
        return None
    date, date_time, tz_name = value.get("date"), value.get("dateTime"), value.get("timeZone")
    if tz_name is not None and zone(tz_name) is None:
        return None
    if (date is None) == (date_time is None):
        return None
    if date is not None:
        if not isinstance(date, str) or not _DATE.fullmatch(date):
            return None
        try:
            return When(date=dt.date.fromisoformat(date), time_zone=tz_name)
        except ValueError:
            return None
    parsed = _parse_date_time(date_time, tz_name)
    return When(datetime=parsed, time_zone=tz_name) if parsed else None


def _parse_date_time(value, tz_name: str | None) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    parsed = parse_datetime(value)
    if parsed is not None:
        return parsed
    tz = zone(tz_name)
    if tz is not None and _LOCAL_DATETIME.fullmatch(value):  # no offset: local to timeZone
        try:
            return dt.datetime.fromisoformat(value[:19]).replace(tzinfo=tz)
        except ValueError:
            return None
    return None


def format_datetime(value: dt.datetime, tz_name: str | None = None) -> str:
    """RFC 3339 with offset, in ``tz_name`` when given (``Z`` for UTC)."""
    tz = zone(tz_name)
    if tz is not None:
        value = value.astimezone(tz)
    text = value.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def render_when(when: When, display_zone: str | None = None) -> dict:
    """Google's JSON form of ``when`` (``display_zone``: the ``timeZone`` query parameter)."""
    if when.all_day:
        out = {"date": when.date.isoformat()}
    else:
        out = {"dateTime": format_datetime(when.datetime, display_zone or when.time_zone)}
    if when.time_zone:
        out["timeZone"] = when.time_zone
    return out


class RecurrenceError(ValueError):
    """A recurrence line dateutil cannot understand."""


def validate_lines(lines) -> None:
    """Raise RecurrenceError unless ``lines`` is a list of RRULE/EXRULE/RDATE/EXDATE lines."""
    if not isinstance(lines, list):
        raise RecurrenceError("recurrence must be a list")
    for line in lines:
        if not isinstance(line, str) or line.split(":")[0].split(";")[0].upper() not in LINE_NAMES:
            raise RecurrenceError(f"Invalid recurrence rule: {line!r}")
    start = When(datetime=dt.datetime(2000, 1, 1, tzinfo=UTC), time_zone="UTC")
    try:
        next(iter(_ruleset(lines, start)), None)
    except (ValueError, TypeError, IndexError) as exc:
        raise RecurrenceError(str(exc)) from exc


def occurrences(
    lines: list[str],
    start: When,
    until: dt.datetime | None,
    limit: int,
) -> Iterator[When]:
    """Start of each occurrence (in ``start``'s zone), until ``until`` (UTC) or ``limit``."""
    tz = zone(start.time_zone) or (start.datetime.tzinfo if start.datetime else None)
    for count, local in enumerate(_ruleset(lines, start)):
        if count >= limit:
            return
        if start.all_day:
            when = When(date=local.date(), time_zone=start.time_zone)
        else:
            when = When(datetime=local.replace(tzinfo=tz), time_zone=start.time_zone)
        if until is not None and when.utc() >= until:
            return
        yield when


def _ruleset(lines: list[str], start: When):
    dtstart = start.local_naive()
    converted = [_convert_line(line, start) for line in lines]
    return rrulestr("\n".join(converted), dtstart=dtstart, forceset=True)


def _convert_line(line: str, start: When) -> str:
    head, _, value = line.partition(":")
    name, *params = head.split(";")
    name = name.upper()
    if name in ("RRULE", "EXRULE"):
        return f"{name}:{_convert_rule(value, start)}"
    tz_name = next((p[5:] for p in params if p.upper().startswith("TZID=")), None)
    values = [_convert_value(v.strip(), tz_name, start) for v in value.split(",") if v.strip()]
    return f"{name}:{','.join(values)}"


def _convert_rule(rule: str, start: When) -> str:
    parts = []
    for part in rule.split(";"):
        key, _, value = part.partition("=")
        if key.upper() == "UNTIL":
            value = _convert_until(value, start)
        parts.append(f"{key}={value}" if "=" in part else part)
    return ";".join(parts)


def _convert_until(value: str, start: When) -> str:
    if start.all_day:
        return value[:8]
    if len(value) == 8:  # a date UNTIL on a timed event: the whole day counts
        return value + "T235959"
    return _convert_value(value, None, start)


def _convert_value(value: str, tz_name: str | None, start: When) -> str:
    """A DATE or DATE-TIME value as wall-clock time of the event's zone."""
    if len(value) == 8 or start.all_day:
        return value[:8] + ("" if start.all_day else "T000000")
    moment = dt.datetime.strptime(value.rstrip("Zz")[:15], "%Y%m%dT%H%M%S")
    source_tz = UTC if value.upper().endswith("Z") else zone(tz_name)
    target_tz = zone(start.time_zone) or (start.datetime.tzinfo if start.datetime else None)
    if source_tz is not None and target_tz is not None:
        moment = moment.replace(tzinfo=source_tz).astimezone(target_tz).replace(tzinfo=None)
    return moment.strftime("%Y%m%dT%H%M%S")
