"""Time zones as Graph speaks them: Windows names ("Romance Standard Time") and IANA names.

The Windows <-> IANA map is exchangelib's (generated from CLDR's windowsZones.xml), not a hand
list. Graph's date-time strings carry seven fractional digits and no offset.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from exchangelib.winzone import IANA_TO_MS_TIMEZONE_MAP, MS_TIMEZONE_TO_IANA_MAP

UTC = dt.timezone.utc
UTC_NAMES = {
    "utc",
    "etc/utc",
    "gmt",
    "etc/gmt",
    "z",
    "tzone://microsoft/utc",
    "coordinated universal time",
}
# Graph's "no response yet" time.
NO_TIME = "0001-01-01T00:00:00Z"
# Windows zones CLDR's map leaves out (Windows still ships them as "... - Old"; Graph accepts
# them): the name is kept as given, times computed with the IANA zone of the same place.
OLD_WINDOWS_ZONES = {
    "Kamchatka Standard Time": "Asia/Kamchatka",
    "Mid-Atlantic Standard Time": "Etc/GMT+2",
}
# A zone an imported iCalendar defined itself: Graph keeps the name; the emulator has no rules
# for it and reads its wall times as UTC.
CUSTOM_ZONE = "tzone://Microsoft/Custom"
_WINDOWS_LOWER = {name.lower(): name for name in [*MS_TIMEZONE_TO_IANA_MAP, *OLD_WINDOWS_ZONES]}
_IANA_OF_WINDOWS = {**MS_TIMEZONE_TO_IANA_MAP, **OLD_WINDOWS_ZONES}
_OFFSET_RE = re.compile(r"(Z|[+-]\d\d:?\d\d)$")


class UnknownTimeZone(ValueError):
    """A time zone name neither Windows nor IANA."""


@functools.lru_cache(maxsize=512)
def zone(name: str | None) -> dt.tzinfo:
    """The tzinfo for a Windows or IANA name (None / empty: UTC)."""
    if not name or name.strip().lower() in (*UTC_NAMES, CUSTOM_ZONE.lower()):
        return UTC
    name = name.strip()
    windows = _WINDOWS_LOWER.get(name.lower())
    if windows is not None:
        return ZoneInfo(_IANA_OF_WINDOWS[windows])
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError) as exc:
        raise UnknownTimeZone(name) from exc


def is_known(name: str | None) -> bool:
    try:
        zone(name)
    except UnknownTimeZone:
        return False
    return True


def windows_name(name: str | None) -> str:
    """The Windows name of a zone given by either name (unknown: "UTC")."""
    if not name or name.strip().lower() in UTC_NAMES:
        return "UTC"
    windows = _WINDOWS_LOWER.get(name.strip().lower())
    if windows is not None:
        return windows
    mapped = IANA_TO_MS_TIMEZONE_MAP.get(name.strip())
    return mapped[0] if mapped else "UTC"


def parse_local(value: str) -> dt.datetime:
    """Graph's ``dateTime`` string as a naive datetime (any offset is kept as tzinfo)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return dt.datetime.fromisoformat(text)


def to_utc(value: str, zone_name: str | None) -> dt.datetime:
    """A DateTimeTimeZone (dateTime, timeZone) as an aware UTC datetime."""
    moment = parse_local(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(zone_name))
    return moment.astimezone(UTC)


def parse_instant(value: str) -> dt.datetime:
    """A query-string instant (startDateTime etc.): ISO 8601, no offset meaning UTC."""
    moment = parse_local(value.replace(" ", "+"))  # '+' decoded as a space in query strings
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_local(moment: dt.datetime) -> str:
    """``2017-08-29T04:00:00.0000000`` (wall clock, seven fractional digits)."""
    return moment.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0"


def format_utc(moment: dt.datetime) -> str:
    """``2024-05-01T08:00:00.1234567Z`` (createdDateTime, lastModifiedDateTime)."""
    return format_local(moment.astimezone(UTC)) + "Z"


def format_offset(moment: dt.datetime) -> str:
    """``2024-05-06T07:00:00Z`` (originalStart, responseStatus.time)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(moment_utc: dt.datetime, zone_name: str | None) -> dict[str, str]:
    """A DateTimeTimeZone for ``moment_utc`` shown in ``zone_name`` (None: UTC)."""
    if not zone_name:
        return {"dateTime": format_local(moment_utc.astimezone(UTC)), "timeZone": "UTC"}
    return {"dateTime": format_local(moment_utc.astimezone(zone(zone_name))), "timeZone": zone_name}
