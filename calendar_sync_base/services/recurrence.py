"""RRULE / EXDATE text <-> data, and expansion of a series into occurrence starts.

Only the rule parts calendar providers actually exchange are supported (Google, Graph, EWS and
Odoo all fit in FREQ, INTERVAL, COUNT/UNTIL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, WKST). A rule
with any other part is refused with ``ValueError`` rather than silently simplified: a sync that
drops part of a rule would move every occurrence on the other side.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil import rrule as du

from .model import UTC, Recurrence
from .timeutil import as_aware

FREQUENCIES: tuple[str, ...] = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
# Valid iCalendar, but no calendar (Odoo, Google's UI, Outlook) repeats an event within a day:
# refused by name, so the item is reported as unsupported instead of breaking a sync.
SUB_DAILY_FREQUENCIES: tuple[str, ...] = ("HOURLY", "MINUTELY", "SECONDLY")
WEEKDAYS: tuple[str, ...] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

# Canonical order of ``format_rrule``; also the set of parts ``parse_rrule`` accepts.
PART_ORDER: tuple[str, ...] = (
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)

# Expansion stops after this many occurrences unless told otherwise: an endless rule must not
# make a sync loop forever.
DEFAULT_EXPANSION_LIMIT = 1000

_BYDAY_ITEM = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_DATE = "%Y%m%d"
_LOCAL_DATETIME = "%Y%m%dT%H%M%S"
_UTC_DATETIME = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class RRuleSpec:
    """One RRULE as data. Constructing it validates it, so every spec in the system is valid.

    ``until`` is a ``date`` for all-day series, an aware datetime (formatted in UTC) for timed
    series, or a naive datetime for a "floating" UNTIL read in the series' own time zone.
    ``byday`` items are ``(ordinal, weekday)``: ``(None, "MO")`` every Monday, ``(-1, "FR")``
    the last Friday of the month/year.
    """

    freq: str
    interval: int = 1
    count: int | None = None
    until: dt.date | dt.datetime | None = None
    byday: tuple[tuple[int | None, str], ...] = ()
    bymonthday: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: str | None = None

    def __post_init__(self) -> None:
        # Accept lists from callers but store tuples, so specs stay hashable and comparable.
        for name in ("bymonthday", "bymonth", "bysetpos"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "byday", tuple((o, d) for o, d in self.byday))
        _validate(self)


def _validate(spec: RRuleSpec) -> None:
    _validate_frequency_and_bounds(spec)
    _validate_byday(spec)
    _validate_numeric_lists(spec)
    if spec.wkst is not None and spec.wkst not in WEEKDAYS:
        raise ValueError(f"RRULE: unknown WKST {spec.wkst!r}")


def _validate_frequency_and_bounds(spec: RRuleSpec) -> None:
    if spec.freq in SUB_DAILY_FREQUENCIES:
        raise ValueError(
            f"RRULE: FREQ={spec.freq} is not supported (calendars repeat at most daily)"
        )
    if spec.freq not in FREQUENCIES:
        raise ValueError(f"RRULE: unsupported FREQ {spec.freq!r}; expected one of {FREQUENCIES}")
    if not isinstance(spec.interval, int) or spec.interval < 1:
        raise ValueError(f"RRULE: INTERVAL must be a positive integer, got {spec.interval!r}")
    if spec.count is not None and (not isinstance(spec.count, int) or spec.count < 1):
        raise ValueError(f"RRULE: COUNT must be a positive integer, got {spec.count!r}")
    if spec.count is not None and spec.until is not None:
        raise ValueError("RRULE: COUNT and UNTIL must not both be set")


def _validate_byday(spec: RRuleSpec) -> None:
    for ordinal, weekday in spec.byday:
        if weekday not in WEEKDAYS:
            raise ValueError(f"RRULE: unknown weekday {weekday!r} in BYDAY")
        if ordinal is None:
            continue
        if ordinal == 0 or not -53 <= ordinal <= 53:
            raise ValueError(f"RRULE: BYDAY ordinal must be in ±1..53, got {ordinal}")
        if spec.freq not in ("MONTHLY", "YEARLY"):
            raise ValueError("RRULE: BYDAY with an ordinal needs FREQ=MONTHLY or YEARLY")


def _validate_numeric_lists(spec: RRuleSpec) -> None:
    _check_range("BYMONTHDAY", spec.bymonthday, 31, signed=True)
    _check_range("BYMONTH", spec.bymonth, 12, signed=False)
    _check_range("BYSETPOS", spec.bysetpos, 366, signed=True)
    if spec.bymonthday and spec.freq == "WEEKLY":
        raise ValueError("RRULE: BYMONTHDAY must not be used with FREQ=WEEKLY")
    if spec.bysetpos and not (spec.byday or spec.bymonthday or spec.bymonth):
        raise ValueError("RRULE: BYSETPOS needs another BYxxx part to select from")


def _check_range(name: str, values: tuple[int, ...], limit: int, signed: bool) -> None:
    # RFC 5545: signed parts count from the end with negative values; zero is never valid.
    for value in values:
        low = -limit if signed else 1
        if not isinstance(value, int) or value == 0 or not low <= value <= limit:
            allowed = f"±1..{limit}" if signed else f"1..{limit}"
            raise ValueError(f"RRULE: {name} must be in {allowed}, got {value!r}")


# --- RRULE text ---------------------------------------------------------------------------------


def parse_rrule(text: str) -> RRuleSpec:
    """Parse ``[RRULE:]FREQ=...;...`` into a validated spec; ``ValueError`` says what is wrong."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    if not body:
        raise ValueError("RRULE: empty rule")
    parts: dict[str, str] = {}
    for chunk in body.split(";"):
        if not chunk:
            continue  # tolerate a trailing ";" as several producers emit one
        name, sep, value = chunk.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip():
            raise ValueError(f"RRULE: malformed part {chunk!r} (expected NAME=VALUE)")
        if name not in PART_ORDER:
            raise ValueError(f"RRULE: unsupported part {name!r}")
        if name in parts:
            raise ValueError(f"RRULE: part {name!r} given twice")
        parts[name] = value.strip().upper()
    if "FREQ" not in parts:
        raise ValueError("RRULE: FREQ is required")
    return RRuleSpec(
        freq=parts["FREQ"],
        interval=_parse_int(parts, "INTERVAL", 1),
        count=_parse_int(parts, "COUNT", None),
        until=_parse_until(parts["UNTIL"]) if "UNTIL" in parts else None,
        byday=tuple(_parse_byday_item(item) for item in _split_list(parts, "BYDAY")),
        bymonthday=tuple(_to_int(item, "BYMONTHDAY") for item in _split_list(parts, "BYMONTHDAY")),
        bymonth=tuple(_to_int(item, "BYMONTH") for item in _split_list(parts, "BYMONTH")),
        bysetpos=tuple(_to_int(item, "BYSETPOS") for item in _split_list(parts, "BYSETPOS")),
        wkst=parts.get("WKST"),
    )


def format_rrule(spec: RRuleSpec) -> str:
    """Canonical text (no ``RRULE:`` prefix): equal rules always give equal strings."""
    parts = [f"FREQ={spec.freq}"]
    if spec.interval != 1:
        parts.append(f"INTERVAL={spec.interval}")
    if spec.count is not None:
        parts.append(f"COUNT={spec.count}")
    if spec.until is not None:
        parts.append(f"UNTIL={_format_until(spec.until)}")
    if spec.byday:
        items = (f"{'' if o is None else o}{d}" for o, d in spec.byday)
        parts.append("BYDAY=" + ",".join(items))
    for name, values in (
        ("BYMONTHDAY", spec.bymonthday),
        ("BYMONTH", spec.bymonth),
        ("BYSETPOS", spec.bysetpos),
    ):
        if values:
            parts.append(f"{name}=" + ",".join(str(v) for v in values))
    if spec.wkst is not None:
        parts.append(f"WKST={spec.wkst}")
    return ";".join(parts)


def canonical_rrule(text: str) -> str:
    """``format_rrule(parse_rrule(text))``, so differently written equal rules compare equal."""
    return format_rrule(parse_rrule(text))


def _split_list(parts: dict[str, str], name: str) -> list[str]:
    if name not in parts:
        return []
    items = [item.strip() for item in parts[name].split(",")]
    if any(not item for item in items):
        raise ValueError(f"RRULE: empty item in {name}={parts[name]!r}")
    return items


def _parse_int(parts: dict[str, str], name: str, default: int | None) -> int | None:
    return _to_int(parts[name], name) if name in parts else default


def _to_int(value: str, name: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", value):
        raise ValueError(f"RRULE: {name} value {value!r} is not an integer")
    return int(value)


def _parse_byday_item(item: str) -> tuple[int | None, str]:
    match = _BYDAY_ITEM.match(item)
    if not match:
        raise ValueError(f"RRULE: invalid BYDAY item {item!r}")
    ordinal, weekday = match.groups()
    return (int(ordinal) if ordinal else None, weekday)


def _parse_until(value: str) -> dt.date | dt.datetime:
    try:
        if value.endswith("Z"):
            return dt.datetime.strptime(value, _UTC_DATETIME).replace(tzinfo=UTC)
        if "T" in value:
            return dt.datetime.strptime(value, _LOCAL_DATETIME)  # floating
        return dt.datetime.strptime(value, _DATE).date()
    except ValueError:
        raise ValueError(
            f"RRULE: invalid UNTIL {value!r} (expected YYYYMMDD or YYYYMMDDTHHMMSSZ)"
        ) from None


def _format_until(until: dt.date | dt.datetime) -> str:
    if isinstance(until, dt.datetime):
        if until.tzinfo is None:
            return until.strftime(_LOCAL_DATETIME)
        return until.astimezone(UTC).strftime(_UTC_DATETIME)
    return until.strftime(_DATE)


# --- EXDATE lines (Google's ``recurrence`` array) ---------------------------------------------


def parse_exdate_lines(lines: Iterable[str], default_tz: str = "UTC") -> tuple:
    """Excluded starts from ``EXDATE...`` lines; other lines (RRULE, ...) are skipped.

    Timed values come back as UTC datetimes, ``VALUE=DATE`` values as dates, matching
    ``Recurrence.exdates``. Floating values (no TZID, no ``Z``) are read in ``default_tz``.
    """
    found: list[dt.date | dt.datetime] = []
    for line in lines:
        head, sep, values = line.strip().partition(":")
        params = head.split(";")
        if params[0].upper() != "EXDATE":
            continue
        if not sep or not values.strip():
            raise ValueError(f"EXDATE: no value in {line!r}")
        options = _exdate_params(params[1:], line)
        is_date = options.get("VALUE") == "DATE"
        zone = zone_info(options.get("TZID", default_tz))
        for value in values.split(","):
            found.append(_parse_exdate_value(value.strip(), is_date, zone, line))
    return tuple(found)


def format_exdate(exdates: Iterable[dt.date | dt.datetime], tz: str | None = None) -> str:
    """One Google-style EXDATE line, or "" when there is nothing to exclude.

    Dates give ``EXDATE;VALUE=DATE:...``; datetimes give ``EXDATE;TZID=<tz>:<local time>`` when
    ``tz`` is a real zone (Google requires TZID-local values to match the series' zone) and
    ``EXDATE:...Z`` otherwise.
    """
    values = sorted(exdates, key=_exdate_sort_key)
    if not values:
        return ""
    timed = [isinstance(v, dt.datetime) for v in values]
    if any(timed) and not all(timed):
        raise ValueError("EXDATE: cannot mix dates and datetimes in one line")
    if not timed[0]:
        return "EXDATE;VALUE=DATE:" + ",".join(v.strftime(_DATE) for v in values)
    if tz and tz.upper() not in ("UTC", "ETC/UTC", "Z"):
        zone = zone_info(tz)
        return f"EXDATE;TZID={tz}:" + ",".join(
            as_aware(v).astimezone(zone).strftime(_LOCAL_DATETIME) for v in values
        )
    return "EXDATE:" + ",".join(as_aware(v).astimezone(UTC).strftime(_UTC_DATETIME) for v in values)


def recurrence_from_lines(lines: Iterable[str], default_tz: str = "UTC") -> Recurrence | None:
    """A ``Recurrence`` from iCalendar recurrence lines (Google's ``recurrence`` array).

    RDATE and EXRULE cannot be represented by every provider, so they are refused instead of
    being silently lost.
    """
    lines = [line.strip() for line in lines if line.strip()]
    rrules = [line for line in lines if line.upper().startswith("RRULE")]
    unsupported = [
        line
        for line in lines
        if line.split(":")[0].split(";")[0].upper() not in ("RRULE", "EXDATE")
    ]
    if unsupported:
        raise ValueError(f"recurrence: unsupported line(s) {unsupported}")
    if len(rrules) > 1:
        raise ValueError("recurrence: more than one RRULE is not supported")
    if not rrules:
        return None
    return Recurrence(
        rrule=canonical_rrule(rrules[0]),
        exdates=tuple(sorted(parse_exdate_lines(lines, default_tz), key=_exdate_sort_key)),
    )


def recurrence_to_lines(recurrence: Recurrence, tz: str | None = None) -> list[str]:
    """Google's ``recurrence`` array for a ``Recurrence`` (RRULE line, then one EXDATE line)."""
    lines = ["RRULE:" + canonical_rrule(recurrence.rrule)]
    exdate = format_exdate(recurrence.exdates, tz)
    if exdate:
        lines.append(exdate)
    return lines


def _exdate_params(params: list[str], line: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for param in params:
        name, sep, value = param.partition("=")
        name = name.strip().upper()
        if not sep or name not in ("TZID", "VALUE"):
            raise ValueError(f"EXDATE: unsupported parameter {param!r} in {line!r}")
        options[name] = value.strip() if name == "TZID" else value.strip().upper()
    if options.get("VALUE", "DATE-TIME") not in ("DATE", "DATE-TIME"):
        raise ValueError(f"EXDATE: unsupported VALUE in {line!r}")
    return options


def _parse_exdate_value(value: str, is_date: bool, zone: ZoneInfo, line: str):
    try:
        if is_date:
            return dt.datetime.strptime(value, _DATE).date()
        if value.endswith("Z"):
            return dt.datetime.strptime(value, _UTC_DATETIME).replace(tzinfo=UTC)
        local = dt.datetime.strptime(value, _LOCAL_DATETIME)
    except ValueError:
        raise ValueError(f"EXDATE: invalid value {value!r} in {line!r}") from None
    return local.replace(tzinfo=zone).astimezone(UTC)


def _exdate_sort_key(value: dt.date | dt.datetime):
    if isinstance(value, dt.datetime):
        return (1, as_aware(value).astimezone(UTC).isoformat())
    return (0, value.isoformat())


def zone_info(name: str) -> ZoneInfo:
    """``ZoneInfo(name)``, failing with a ``ValueError`` like every other bad input here."""
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {name!r}") from None


# --- expansion ---------------------------------------------------------------------------------


def to_dateutil(spec: RRuleSpec, dtstart: dt.datetime, until: dt.datetime | None = None):
    """A ``dateutil.rrule.rrule`` for ``spec`` from a naive wall-time ``dtstart``."""
    weekdays = {name: getattr(du, name) for name in WEEKDAYS}
    kwargs = {
        "dtstart": dtstart,
        "interval": spec.interval,
        "count": spec.count,
        "until": until,
        "wkst": weekdays[spec.wkst] if spec.wkst else None,
    }
    if spec.byday:
        kwargs["byweekday"] = [weekdays[d] if o is None else weekdays[d](o) for o, d in spec.byday]
    if spec.bymonthday:
        kwargs["bymonthday"] = spec.bymonthday
    if spec.bymonth:
        kwargs["bymonth"] = spec.bymonth
    if spec.bysetpos:
        kwargs["bysetpos"] = spec.bysetpos
    return du.rrule(getattr(du, spec.freq), **kwargs)


def expand(
    spec: RRuleSpec | str,
    dtstart: dt.date | dt.datetime,
    tz: str = "UTC",
    exdates: Iterable[dt.date | dt.datetime] = (),
    window_end: dt.date | dt.datetime | None = None,
    limit: int = DEFAULT_EXPANSION_LIMIT,
) -> list[dt.date | dt.datetime]:
    """Occurrence starts of a series, oldest first, without the excluded ones.

    Timed series (``dtstart`` a datetime) are expanded in the wall time of ``tz`` and returned as
    UTC datetimes, so "every Monday 09:00 Brussels" stays at 09:00 local across DST changes.
    All-day series (``dtstart`` a date) return dates. ``window_end`` is exclusive; ``limit``
    caps the number returned (excluded occurrences do not count).
    """
    if isinstance(spec, str):
        spec = parse_rrule(spec)
    if isinstance(dtstart, dt.datetime):
        occurrences = _expand_timed(spec, dtstart, zone_info(tz), exdates, window_end)
    else:
        occurrences = _expand_all_day(spec, dtstart, zone_info(tz), exdates, window_end)
    result = []
    for occurrence in occurrences:
        if len(result) >= limit:
            break
        result.append(occurrence)
    return result


def _expand_timed(spec, dtstart, zone, exdates, window_end) -> Iterator[dt.datetime]:
    local_start = as_aware(dtstart).astimezone(zone).replace(tzinfo=None)
    rule = to_dateutil(spec, local_start, _local_until(spec.until, zone))
    excluded_instants = {as_aware(x).astimezone(UTC) for x in exdates if isinstance(x, dt.datetime)}
    excluded_days = {x for x in exdates if not isinstance(x, dt.datetime)}
    end = None
    if window_end is not None:
        end = (
            as_aware(window_end)
            if isinstance(window_end, dt.datetime)
            else dt.datetime.combine(window_end, dt.time(), zone)
        )
    for wall in rule:
        # fold=0 follows RFC 5545: a wall time in a DST gap/overlap uses the earlier offset.
        instant = wall.replace(tzinfo=zone).astimezone(UTC)
        if end is not None and instant >= end:
            return
        if instant in excluded_instants or wall.date() in excluded_days:
            continue
        yield instant


def _expand_all_day(spec, dtstart, zone, exdates, window_end) -> Iterator[dt.date]:
    until = spec.until
    if isinstance(until, dt.datetime):
        until = as_aware(until).astimezone(zone).date() if until.tzinfo else until.date()
    rule = to_dateutil(
        spec,
        dt.datetime.combine(dtstart, dt.time()),
        dt.datetime.combine(until, dt.time()) if until else None,
    )
    excluded = {x.date() if isinstance(x, dt.datetime) else x for x in exdates}
    end = window_end.date() if isinstance(window_end, dt.datetime) else window_end
    for occurrence in rule:
        day = occurrence.date()
        if end is not None and day >= end:
            return
        if day not in excluded:
            yield day


def _local_until(until, zone: ZoneInfo) -> dt.datetime | None:
    # dateutil needs UNTIL in the same (naive, wall-time) frame as DTSTART.
    if until is None:
        return None
    if isinstance(until, dt.datetime):
        if until.tzinfo is None:
            return until
        return until.astimezone(zone).replace(tzinfo=None)
    # A date UNTIL on a timed series (Odoo writes these): include that whole local day.
    return dt.datetime.combine(until, dt.time.max)
