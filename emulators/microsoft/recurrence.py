"""Graph's patternedRecurrence: validation, normalisation and expansion (dateutil).

Occurrences are computed on the wall clock of the series' time zone (so 09:00 stays 09:00
across DST changes), starting at ``range.startDate`` with the master's start time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from dateutil import rrule

from . import errors

PATTERN_TYPES = (
    "daily",
    "weekly",
    "absoluteMonthly",
    "relativeMonthly",
    "absoluteYearly",
    "relativeYearly",
)
RANGE_TYPES = ("endDate", "noEnd", "numbered")
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
INDEXES = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
RRULE_DAYS = {
    "sunday": rrule.SU,
    "monday": rrule.MO,
    "tuesday": rrule.TU,
    "wednesday": rrule.WE,
    "thursday": rrule.TH,
    "friday": rrule.FR,
    "saturday": rrule.SA,
}
NO_DATE = "0001-01-01"  # what Graph answers for an unused endDate
PATTERN_KEYS = ("type", "interval", "month", "dayOfMonth", "daysOfWeek", "firstDayOfWeek", "index")
RANGE_KEYS = ("type", "startDate", "endDate", "recurrenceTimeZone", "numberOfOccurrences")


def _fail(message: str) -> errors.GraphError:
    return errors.validation(message)


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(f"Invalid value for {name}: {value!r}.")
    return value


def _date(value: Any, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise errors.invalid_body(
            f"Cannot convert the literal '{value}' to the expected type 'Edm.Date'."
        ) from None


def normalize(recurrence: Any, start_zone: str | None) -> dict[str, Any] | None:
    """Validate a patternedRecurrence and return it with every member Graph answers."""
    if recurrence is None:
        return None
    if not isinstance(recurrence, dict):
        raise errors.invalid_body("A recurrence must be an object.")
    pattern = _normalize_pattern(recurrence.get("pattern"))
    range_ = _normalize_range(recurrence.get("range"), start_zone)
    return {"pattern": pattern, "range": range_}


def _normalize_pattern(pattern: Any) -> dict[str, Any]:
    if not isinstance(pattern, dict):
        raise _fail("Recurrence pattern is required.")
    unknown = set(pattern) - set(PATTERN_KEYS) - {"@odata.type"}
    if unknown:
        raise errors.invalid_body(
            f"The property '{sorted(unknown)[0]}' does not exist on type "
            "'microsoft.graph.recurrencePattern'."
        )
    kind = errors.enum_member(pattern.get("type"), PATTERN_TYPES, "recurrencePatternType")
    out: dict[str, Any] = {
        "type": kind,
        "interval": _int(pattern.get("interval", 1), "interval", 1, 999),
        "month": 0,
        "dayOfMonth": 0,
        "firstDayOfWeek": errors.enum_member(
            pattern.get("firstDayOfWeek") or "sunday", DAYS, "dayOfWeek"
        ),
        "index": errors.enum_member(pattern.get("index") or "first", INDEXES, "weekIndex"),
    }
    days = pattern.get("daysOfWeek") or []
    if not isinstance(days, list):
        raise errors.invalid_body(f"Invalid daysOfWeek: {days!r}.")
    days = [errors.enum_member(day, DAYS, "dayOfWeek") for day in days]
    if kind in ("weekly", "relativeMonthly", "relativeYearly") and not days:
        raise _fail(f"DaysOfWeek is required for a {kind} recurrence pattern.")
    if kind in ("absoluteMonthly", "absoluteYearly"):
        out["dayOfMonth"] = _int(pattern.get("dayOfMonth"), "dayOfMonth", 1, 31)
    if kind in ("absoluteYearly", "relativeYearly"):
        out["month"] = _int(pattern.get("month"), "month", 1, 12)
    out["daysOfWeek"] = sorted(set(days), key=DAYS.index) if kind != "daily" else []
    return {key: out[key] for key in PATTERN_KEYS}


def _normalize_range(range_: Any, start_zone: str | None) -> dict[str, Any]:
    if not isinstance(range_, dict):
        raise _fail("Recurrence range is required.")
    kind = errors.enum_member(range_.get("type"), RANGE_TYPES, "recurrenceRangeType")
    if not range_.get("startDate"):
        raise _fail("The recurrence range must have a start date.")
    start = _date(range_["startDate"], "startDate")
    out: dict[str, Any] = {
        "type": kind,
        "startDate": start.isoformat(),
        "endDate": NO_DATE,
        "recurrenceTimeZone": range_.get("recurrenceTimeZone") or start_zone or "UTC",
        "numberOfOccurrences": 0,
    }
    if kind == "endDate":
        if not range_.get("endDate") or range_["endDate"] == NO_DATE:
            raise _fail("The recurrence range of type endDate must have an end date.")
        end = _date(range_["endDate"], "endDate")
        if end < start:
            raise _fail("The recurrence end date must be on or after its start date.")
        out["endDate"] = end.isoformat()
    if kind == "numbered":
        out["numberOfOccurrences"] = _int(
            range_.get("numberOfOccurrences"), "numberOfOccurrences", 1, 999
        )
    return out


def _month_days(day: int) -> dict[str, Any]:
    # Outlook puts "the 31st" on the last day of shorter months; rrule would skip them. The
    # set {day, last day} with bysetpos=1 picks the day when it exists, else the last day.
    if day <= 28:
        return {"bymonthday": day}
    return {"bymonthday": (day, -1), "bysetpos": 1}


def _rule_arguments(pattern: dict[str, Any]) -> dict[str, Any]:
    kind = pattern["type"]
    days = [RRULE_DAYS[day] for day in pattern["daysOfWeek"]]
    args: dict[str, Any] = {"interval": pattern["interval"]}
    if kind == "daily":
        args["freq"] = rrule.DAILY
    elif kind == "weekly":
        args.update(freq=rrule.WEEKLY, byweekday=days, wkst=RRULE_DAYS[pattern["firstDayOfWeek"]])
    elif kind == "absoluteMonthly":
        args.update(freq=rrule.MONTHLY, **_month_days(pattern["dayOfMonth"]))
    elif kind == "relativeMonthly":
        args.update(freq=rrule.MONTHLY, byweekday=days, bysetpos=INDEXES[pattern["index"]])
    elif kind == "absoluteYearly":
        args.update(
            freq=rrule.YEARLY, bymonth=pattern["month"], **_month_days(pattern["dayOfMonth"])
        )
    else:  # relativeYearly
        args.update(
            freq=rrule.YEARLY,
            bymonth=pattern["month"],
            byweekday=days,
            bysetpos=INDEXES[pattern["index"]],
        )
    return args


def occurrence_starts(
    recurrence: dict[str, Any], start_time: dt.time, until: dt.datetime
) -> Iterator[dt.datetime]:
    """Naive wall-clock starts of the occurrences (series zone), not after ``until`` (naive,
    same zone) nor after the range's end."""
    range_ = recurrence["range"]
    first = dt.datetime.combine(dt.date.fromisoformat(range_["startDate"]), start_time)
    args = _rule_arguments(recurrence["pattern"])
    args["dtstart"] = first
    if range_["type"] == "numbered":
        args["count"] = range_["numberOfOccurrences"]
    elif range_["type"] == "endDate":
        end = dt.date.fromisoformat(range_["endDate"])
        args["until"] = min(until, dt.datetime.combine(end, dt.time(23, 59, 59)))
    else:
        args["until"] = until
    for moment in rrule.rrule(**args):
        if moment > until:
            return
        yield moment


def bounded(recurrence: dict[str, Any]) -> bool:
    return recurrence["range"]["type"] != "noEnd"
