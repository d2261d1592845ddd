"""EWS ``t:Recurrence`` (exchangelib's patterns and boundaries) <-> Graph ``patternedRecurrence``.

EWS and Graph are two views of one Exchange store: the six EWS patterns (``DailyRecurrence``,
``WeeklyRecurrence``, ``AbsoluteMonthlyRecurrence``, ``RelativeMonthlyRecurrence``,
``AbsoluteYearlyRecurrence``, ``RelativeYearlyRecurrence``) and three ranges (``NoEnd``,
``EndDate``, ``Numbered``) are Graph's ``patternedRecurrence`` under other names. Translating to
that shape lets the EWS connector share ``graph_recurrence``'s RRULE conversion (every decision
about Outlook's "day 31 else the last day", week starts, UNTIL in local time) instead of keeping
a second copy of it.

What EWS cannot hold that Graph can: a relative pattern names ONE ``DaysOfWeek`` value, where
the several-day sets Outlook offers are the names ``Day`` (all seven), ``Weekday`` (Monday to
Friday) and ``WeekendDay`` (Saturday, Sunday). Any other set is refused with ``Unexpressible``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from exchangelib.fields import DAY, WEEK_DAY, WEEKDAY_NAMES, WEEKDAYS, WEEKEND_DAY
from exchangelib.recurrence import (
    AbsoluteMonthlyPattern,
    AbsoluteYearlyPattern,
    DailyPattern,
    EndDatePattern,
    NoEndPattern,
    NumberedPattern,
    RelativeMonthlyPattern,
    RelativeYearlyPattern,
    WeeklyPattern,
)
from exchangelib.recurrence import Recurrence as EwsRecurrence

from calendar_sync_microsoft.services.graph_recurrence import GRAPH_DAYS, Unexpressible

# exchangelib numbers weekdays, indexes and months from 1, in these orders.
INDEX_NAMES = ("first", "second", "third", "fourth", "last")
_DAY_SETS = {
    DAY: GRAPH_DAYS,
    WEEK_DAY: GRAPH_DAYS[:5],
    WEEKEND_DAY: GRAPH_DAYS[5:],
}
_SET_OF_DAYS = {frozenset(days): name for name, days in _DAY_SETS.items()}


def _day_name(number: int) -> str:
    """exchangelib's weekday number (1 = Monday .. 7 = Sunday) -> Graph's day name."""
    return GRAPH_DAYS[number - 1]


def _days_of(weekday: int) -> list[str]:
    """A relative pattern's ``DaysOfWeek`` (a day, or Day / Weekday / WeekendDay)."""
    name = WEEKDAYS[weekday - 1]
    if name in _DAY_SETS:
        return list(_DAY_SETS[name])
    return [_day_name(weekday)]


def _pattern_to_graph(pattern: Any) -> dict[str, Any]:
    if isinstance(pattern, DailyPattern):
        return {"type": "daily", "interval": pattern.interval}
    if isinstance(pattern, WeeklyPattern):
        return {
            "type": "weekly",
            "interval": pattern.interval,
            "daysOfWeek": [_day_name(day) for day in pattern.weekdays],
            "firstDayOfWeek": _day_name(pattern.first_day_of_week),
        }
    if isinstance(pattern, AbsoluteMonthlyPattern):
        return {
            "type": "absoluteMonthly",
            "interval": pattern.interval,
            "dayOfMonth": pattern.day_of_month,
        }
    if isinstance(pattern, RelativeMonthlyPattern):
        return {
            "type": "relativeMonthly",
            "interval": pattern.interval,
            "index": INDEX_NAMES[pattern.week_number - 1],
            "daysOfWeek": _days_of(pattern.weekday),
        }
    if isinstance(pattern, AbsoluteYearlyPattern):
        return {
            "type": "absoluteYearly",
            "interval": 1,
            "dayOfMonth": pattern.day_of_month,
            "month": pattern.month,
        }
    if isinstance(pattern, RelativeYearlyPattern):
        return {
            "type": "relativeYearly",
            "interval": 1,
            "index": INDEX_NAMES[pattern.week_number - 1],
            "daysOfWeek": _days_of(pattern.weekday),
            "month": pattern.month,
        }
    raise ValueError(f"unsupported recurrence pattern {type(pattern).__name__}")


def _boundary_to_graph(boundary: Any) -> dict[str, Any]:
    start = {"startDate": boundary.start.isoformat()}
    if isinstance(boundary, NumberedPattern):
        return {"type": "numbered", "numberOfOccurrences": boundary.number, **start}
    if isinstance(boundary, EndDatePattern):
        return {"type": "endDate", "endDate": boundary.end.isoformat(), **start}
    if isinstance(boundary, NoEndPattern):
        return {"type": "noEnd", **start}
    raise ValueError(f"unsupported recurrence range {type(boundary).__name__}")


def recurrence_to_graph(recurrence: EwsRecurrence, zone_name: str) -> dict[str, Any]:
    """A Graph ``patternedRecurrence`` for an EWS recurrence read in zone ``zone_name``."""
    if recurrence.pattern is None or recurrence.boundary is None:
        raise ValueError("recurrence without pattern or range")
    rng = _boundary_to_graph(recurrence.boundary)
    rng["recurrenceTimeZone"] = zone_name
    return {"pattern": _pattern_to_graph(recurrence.pattern), "range": rng}


# --------------------------------------------------------------------------- Graph -> EWS


def _weekday_out(days: list[str], rule: str) -> int:
    """One EWS ``DaysOfWeek`` value for a relative pattern's days."""
    if len(days) == 1:
        return GRAPH_DAYS.index(days[0]) + 1
    name = _SET_OF_DAYS.get(frozenset(days))
    if name is None:
        raise Unexpressible(rule, f"the days {', '.join(days)} in one relative pattern (EWS)")
    return WEEKDAYS.index(name) + 1


def _relative_parts(pattern: dict, rule: str) -> dict[str, int]:
    return {
        "weekday": _weekday_out(pattern["daysOfWeek"], rule),
        "week_number": INDEX_NAMES.index(pattern["index"]) + 1,
    }


def _pattern_out(pattern: dict, rule: str) -> Any:
    kind, interval = pattern["type"], pattern.get("interval", 1)
    if kind in ("absoluteYearly", "relativeYearly") and interval != 1:
        raise Unexpressible(rule, "a yearly rule with INTERVAL above 1 (EWS)")
    if kind == "daily":
        return DailyPattern(interval=interval)
    if kind == "weekly":
        days = [GRAPH_DAYS.index(day) + 1 for day in pattern["daysOfWeek"]]
        first = WEEKDAY_NAMES.index(pattern["firstDayOfWeek"].capitalize()) + 1
        return WeeklyPattern(interval=interval, weekdays=days, first_day_of_week=first)
    if kind == "absoluteMonthly":
        return AbsoluteMonthlyPattern(interval=interval, day_of_month=pattern["dayOfMonth"])
    if kind == "relativeMonthly":
        return RelativeMonthlyPattern(interval=interval, **_relative_parts(pattern, rule))
    if kind == "absoluteYearly":
        return AbsoluteYearlyPattern(day_of_month=pattern["dayOfMonth"], month=pattern["month"])
    return RelativeYearlyPattern(month=pattern["month"], **_relative_parts(pattern, rule))


def recurrence_from_graph(graph: dict, rule: str) -> EwsRecurrence:
    """The EWS recurrence for a Graph ``patternedRecurrence`` made from ``rule``."""
    rng = graph["range"]
    start = dt.date.fromisoformat(rng["startDate"])
    pattern = _pattern_out(graph["pattern"], rule)
    if rng["type"] == "numbered":
        return EwsRecurrence(pattern=pattern, start=start, number=rng["numberOfOccurrences"])
    if rng["type"] == "endDate":
        return EwsRecurrence(
            pattern=pattern, start=start, end=dt.date.fromisoformat(rng["endDate"])
        )
    return EwsRecurrence(pattern=pattern, start=start)
