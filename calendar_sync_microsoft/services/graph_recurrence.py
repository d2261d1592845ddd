"""Graph ``patternedRecurrence`` <-> RRULE text, both directions.

Graph has six pattern types (daily, weekly, absoluteMonthly, relativeMonthly, absoluteYearly,
relativeYearly), a week index limited to first..fourth and last, and one month / one day of
month per pattern. Every Graph pattern has an exact RRULE; the reverse is refused with a
``ValueError`` naming the rule when Graph cannot express it (sending an approximation would move
occurrences on the Outlook side).

Conventions chosen here:

- ``range.endDate`` is the last local date an occurrence may fall on. For a timed series it
  becomes ``UNTIL`` = that date at 23:59:59 local time, in UTC (what Odoo writes as well); for
  an all-day series a date ``UNTIL``.
- ``firstDayOfWeek`` becomes ``WKST`` only where it can change the occurrences (weekly with an
  interval above 1, where it decides which weeks count): Outlook defaults it to Sunday while
  RFC 5545 defaults to Monday, and a meaningless ``WKST=SU`` on every weekly series would look
  like a change of rule to the other side.
- A rule without ``WKST`` goes out with ``firstDayOfWeek: monday``, RFC 5545's default.
- A relative pattern with one day gives ``BYDAY=2TU``; with several days (Outlook's "first
  weekday", "last day") ``BYDAY=MO,TU,...;BYSETPOS=n``; ``BYMONTHDAY=-1`` goes out as Outlook's
  "last day of the month" (relative pattern, all seven days, index last).
- A rule missing the day/month parts takes them from the series start, as RFC 5545 does.

- Outlook moves "day 29, 30 or 31 of every month" to the last day of shorter months, where RFC
  5545's ``BYMONTHDAY=31`` skips them: such a pattern is ``BYMONTHDAY=31,-1;BYSETPOS=1`` (that
  day, else the month's last), which gives Outlook's occurrences, and goes back out as
  ``absoluteMonthly``. A plain ``BYMONTHDAY=31`` still goes out as Outlook's day 31 (Outlook
  has no "skip the month").
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from calendar_sync_base.services.model import UTC
from calendar_sync_base.services.recurrence import WEEKDAYS, RRuleSpec, format_rrule, parse_rrule

GRAPH_DAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)  # aligned with ``WEEKDAYS`` (MO..SU)
DAY_TO_RRULE = dict(zip(GRAPH_DAYS, WEEKDAYS, strict=True))
RRULE_TO_DAY = dict(zip(WEEKDAYS, GRAPH_DAYS, strict=True))
INDEXES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
INDEX_NAMES = {number: name for name, number in INDEXES.items()}
PATTERN_TYPES = (
    "daily",
    "weekly",
    "absoluteMonthly",
    "relativeMonthly",
    "absoluteYearly",
    "relativeYearly",
)
_END_OF_DAY = dt.time(23, 59, 59)


# --------------------------------------------------------------------------- Graph -> RRULE


def _int(raw: dict, key: str, default: int | None = None) -> int:
    value = raw.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be an integer, got {value!r}")
    return value


def _days_in(pattern: dict) -> tuple[str, ...]:
    raw = pattern.get("daysOfWeek") or []
    if not isinstance(raw, list):
        raise ValueError(f"daysOfWeek must be a list, got {raw!r}")
    days = set()
    for name in raw:
        day = DAY_TO_RRULE.get(str(name).lower())
        if day is None:
            raise ValueError(f"unknown day {name!r} in daysOfWeek")
        days.add(day)
    if not days:
        raise ValueError(f"pattern {pattern.get('type')!r} needs daysOfWeek")
    return tuple(day for day in WEEKDAYS if day in days)


def _relative(pattern: dict) -> dict[str, Any]:
    """BYDAY (and BYSETPOS) for ``index`` + ``daysOfWeek``."""
    index_name = str(pattern.get("index") or "first")
    index = INDEXES.get(index_name.lower())
    if index is None:
        raise ValueError(f"unknown index {index_name!r}")
    days = _days_in(pattern)
    if len(days) == 1:
        return {"byday": ((index, days[0]),)}
    return {"byday": tuple((None, day) for day in days), "bysetpos": (index,)}


def _weekly(pattern: dict, interval: int) -> dict[str, Any]:
    days = _days_in(pattern)
    parts: dict[str, Any] = {"byday": tuple((None, day) for day in days)}
    first = str(pattern.get("firstDayOfWeek") or "sunday").lower()
    if first not in DAY_TO_RRULE:
        raise ValueError(f"unknown firstDayOfWeek {first!r}")
    if interval > 1 and first != "monday":
        parts["wkst"] = DAY_TO_RRULE[first]  # only then does the week start move occurrences
    return parts


def _month(pattern: dict) -> int:
    month = _int(pattern, "month")
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    return month


def _day_of_month(pattern: dict) -> int:
    day = _int(pattern, "dayOfMonth")
    if not 1 <= day <= 31:
        raise ValueError(f"dayOfMonth must be 1..31, got {day}")
    return day


def _day_else_last(day: int) -> dict[str, Any]:
    """Outlook's day of month: in a month too short for it, the month's last day."""
    if day <= 28:
        return {"bymonthday": (day,)}
    return {"bymonthday": (day, -1), "bysetpos": (1,)}


def _pattern_parts(pattern: dict, interval: int) -> dict[str, Any]:
    kind = pattern.get("type")
    if kind == "daily":
        return {"freq": "DAILY"}
    if kind == "weekly":
        return {"freq": "WEEKLY", **_weekly(pattern, interval)}
    if kind == "absoluteMonthly":
        return {"freq": "MONTHLY", **_day_else_last(_day_of_month(pattern))}
    if kind == "relativeMonthly":
        return {"freq": "MONTHLY", **_relative(pattern)}
    if kind == "absoluteYearly":
        return {
            "freq": "YEARLY",
            "bymonth": (_month(pattern),),
            "bymonthday": (_day_of_month(pattern),),
        }
    if kind == "relativeYearly":
        return {"freq": "YEARLY", "bymonth": (_month(pattern),), **_relative(pattern)}
    raise ValueError(f"unknown pattern type {kind!r}")


def _range_parts(rng: dict, all_day: bool, zone: ZoneInfo) -> dict[str, Any]:
    kind = rng.get("type") or "noEnd"
    if kind == "noEnd":
        return {}
    if kind == "numbered":
        count = _int(rng, "numberOfOccurrences")
        if count < 1:
            raise ValueError(f"numberOfOccurrences must be positive, got {count}")
        return {"count": count}
    if kind == "endDate":
        try:
            end = dt.date.fromisoformat(str(rng.get("endDate")))
        except ValueError:
            raise ValueError(f"invalid range endDate {rng.get('endDate')!r}") from None
        if all_day:
            return {"until": end}
        return {"until": dt.datetime.combine(end, _END_OF_DAY, zone).astimezone(UTC)}
    raise ValueError(f"unknown range type {kind!r}")


def rrule_from_graph(recurrence: Any, *, all_day: bool, zone: ZoneInfo) -> str:
    """Canonical RRULE text for a Graph ``patternedRecurrence``; ``ValueError`` if unusable.

    ``zone`` is the series' zone (``range.recurrenceTimeZone``, else the event's), in which
    ``endDate`` is a local date.
    """
    if not isinstance(recurrence, dict):
        raise ValueError("recurrence is not an object")
    pattern, rng = recurrence.get("pattern"), recurrence.get("range") or {}
    if not isinstance(pattern, dict) or not isinstance(rng, dict):
        raise ValueError("recurrence needs a pattern object (and range object)")
    interval = _int(pattern, "interval", 1)
    if interval < 1:
        raise ValueError(f"interval must be positive, got {interval}")
    parts = _pattern_parts(pattern, interval)
    spec = RRuleSpec(interval=interval, **parts, **_range_parts(rng, all_day, zone))
    return format_rrule(spec)


# --------------------------------------------------------------------------- RRULE -> Graph


class Unexpressible(ValueError):
    """An RRULE Graph has no pattern for; the message names the rule and the reason."""

    def __init__(self, rule: str, reason: str):
        super().__init__(f"RRULE {rule!r} cannot be expressed in Outlook: {reason}")
        self.rule = rule


def _index_of(ordinal: int, rule: str) -> str:
    name = INDEX_NAMES.get(ordinal)
    if name is None:
        raise Unexpressible(rule, f"position {ordinal} (Outlook knows 1st..4th and last)")
    return name


def _relative_out(spec: RRuleSpec, rule: str) -> dict[str, Any]:
    """``index`` + ``daysOfWeek`` for BYDAY=2TU or BYDAY=MO,...;BYSETPOS=n."""
    ordinals = {ordinal for ordinal, _ in spec.byday}
    days = [RRULE_TO_DAY[day] for _, day in spec.byday]
    if ordinals == {None}:
        if len(spec.bysetpos) != 1:
            raise Unexpressible(rule, "weekdays without a position (BYSETPOS) in a month")
        return {"index": _index_of(spec.bysetpos[0], rule), "daysOfWeek": days}
    if spec.bysetpos or len(spec.byday) != 1:
        raise Unexpressible(rule, "several positioned weekdays")
    return {"index": _index_of(spec.byday[0][0], rule), "daysOfWeek": days}


def _last_day_out() -> dict[str, Any]:
    return {"index": "last", "daysOfWeek": list(GRAPH_DAYS)}


def _single(values: tuple[int, ...], name: str, rule: str) -> int | None:
    if len(values) > 1:
        raise Unexpressible(rule, f"several {name} values")
    return values[0] if values else None


def _weekly_out(spec: RRuleSpec, rule: str, start: dt.date) -> dict[str, Any]:
    if spec.bymonthday or spec.bymonth or spec.bysetpos:
        raise Unexpressible(rule, "weekly rules take only BYDAY and WKST")
    days = [RRULE_TO_DAY[day] for _, day in spec.byday] or [GRAPH_DAYS[start.weekday()]]
    first = RRULE_TO_DAY[spec.wkst or "MO"]
    return {"type": "weekly", "daysOfWeek": days, "firstDayOfWeek": first}


def _daily_out(spec: RRuleSpec, rule: str, start: dt.date) -> dict[str, Any]:
    if spec.bymonthday or spec.bymonth or spec.bysetpos:
        raise Unexpressible(rule, "daily rules take no BYMONTHDAY/BYMONTH/BYSETPOS")
    if not spec.byday:
        return {"type": "daily"}
    if spec.interval != 1:
        raise Unexpressible(rule, "a daily rule limited to weekdays with INTERVAL above 1")
    return _weekly_out(spec, rule, start)  # every day, limited to some weekdays = weekly


def _monthly_out(spec: RRuleSpec, rule: str, start: dt.date) -> dict[str, Any]:
    if spec.bymonth:
        raise Unexpressible(rule, "BYMONTH in a monthly rule")
    day_else_last = next(
        (day for day in (29, 30, 31) if _day_else_last(day) == _monthday_parts(spec)), None
    )
    if day_else_last and not spec.byday:
        return {"type": "absoluteMonthly", "dayOfMonth": day_else_last}
    day = _single(spec.bymonthday, "BYMONTHDAY", rule)
    if spec.byday:
        if day is not None:
            raise Unexpressible(rule, "BYDAY together with BYMONTHDAY")
        return {"type": "relativeMonthly", **_relative_out(spec, rule)}
    if spec.bysetpos:
        raise Unexpressible(rule, "BYSETPOS without BYDAY")
    if day == -1:
        return {"type": "relativeMonthly", **_last_day_out()}
    if day is not None and day < 0:
        raise Unexpressible(rule, f"BYMONTHDAY={day} (Outlook counts from the end only as 'last')")
    return {"type": "absoluteMonthly", "dayOfMonth": day or start.day}


def _monthday_parts(spec: RRuleSpec) -> dict[str, Any]:
    return {"bymonthday": spec.bymonthday, "bysetpos": spec.bysetpos}


def _yearly_out(spec: RRuleSpec, rule: str, start: dt.date) -> dict[str, Any]:
    month = _single(spec.bymonth, "BYMONTH", rule)
    day = _single(spec.bymonthday, "BYMONTHDAY", rule)
    if spec.byday:
        if month is None:
            raise Unexpressible(rule, "weekdays counted in the whole year (no BYMONTH)")
        if day is not None:
            raise Unexpressible(rule, "BYDAY together with BYMONTHDAY")
        return {"type": "relativeYearly", "month": month, **_relative_out(spec, rule)}
    if spec.bysetpos:
        raise Unexpressible(rule, "BYSETPOS without BYDAY")
    if day is not None and month is None:
        raise Unexpressible(rule, "a yearly BYMONTHDAY without BYMONTH repeats every month")
    if day == -1:
        return {"type": "relativeYearly", "month": month, **_last_day_out()}
    if day is not None and day < 0:
        raise Unexpressible(rule, f"BYMONTHDAY={day} (Outlook counts from the end only as 'last')")
    month = month or start.month
    return {"type": "absoluteYearly", "month": month, "dayOfMonth": day or start.day}


_PATTERN_OUT = {
    "DAILY": _daily_out,
    "WEEKLY": _weekly_out,
    "MONTHLY": _monthly_out,
    "YEARLY": _yearly_out,
}


def _end_date_out(until, start: dt.date | dt.datetime, zone: ZoneInfo) -> dt.date:
    """The last local date an occurrence may fall on, for ``range.endDate``."""
    if not isinstance(until, dt.datetime):
        return until
    local = until.astimezone(zone).replace(tzinfo=None) if until.tzinfo else until
    if not isinstance(start, dt.datetime):
        return local.date()
    # An UNTIL earlier in the day than the series' start time excludes that day's occurrence.
    start_time = start.astimezone(zone).time().replace(tzinfo=None)
    return local.date() if local.time() >= start_time else local.date() - dt.timedelta(days=1)


def _range_out(spec: RRuleSpec, rule: str, start, zone: ZoneInfo) -> dict[str, Any]:
    local_start = start.astimezone(zone).date() if isinstance(start, dt.datetime) else start
    rng: dict[str, Any] = {"type": "noEnd", "startDate": local_start.isoformat()}
    if spec.count is not None:
        rng.update(type="numbered", numberOfOccurrences=spec.count)
    elif spec.until is not None:
        end = _end_date_out(spec.until, start, zone)
        if end < local_start:
            raise Unexpressible(rule, "UNTIL is before the series starts")
        rng.update(type="endDate", endDate=end.isoformat())
    return rng


def graph_recurrence(
    rule: str, *, start: dt.date | dt.datetime, zone: ZoneInfo, zone_name: str
) -> dict[str, Any]:
    """A Graph ``patternedRecurrence`` for an RRULE; ``ValueError`` when Graph cannot hold it.

    ``start`` is the series start (a date for all-day series, an aware datetime otherwise),
    ``zone`` the series' zone and ``zone_name`` the name Graph gets for it.
    """
    try:
        spec = parse_rrule(rule)
    except ValueError as exc:
        raise Unexpressible(rule, str(exc)) from None
    handler = _PATTERN_OUT[spec.freq]  # parse_rrule refuses sub-daily rules
    local_start = start.astimezone(zone).date() if isinstance(start, dt.datetime) else start
    pattern = {**handler(spec, rule, local_start), "interval": spec.interval}
    rng = _range_out(spec, rule, start, zone)
    rng["recurrenceTimeZone"] = zone_name
    return {"pattern": pattern, "range": rng}
