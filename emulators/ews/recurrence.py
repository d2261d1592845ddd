"""EWS recurrence patterns and ranges expanded to occurrence starts.

Patterns (``t:Recurrence`` children): DailyRecurrence, WeeklyRecurrence,
AbsoluteMonthlyRecurrence, RelativeMonthlyRecurrence, AbsoluteYearlyRecurrence,
RelativeYearlyRecurrence; ranges: NoEndRecurrence, EndDateRecurrence, NumberedRecurrence.
Occurrences keep the master's wall-clock time in its start time zone across DST changes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from .errors import ResponseMessageError
from .xml import child_text, local_name, t

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_GROUPS = {"Day": set(range(7)), "Weekday": set(range(5)), "WeekendDay": {5, 6}}
INDEXES = {"First": 1, "Second": 2, "Third": 3, "Fourth": 4, "Last": -1}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# Bound of an unbounded series when a caller enumerates it without a window.
NO_END_HORIZON_DAYS = 3 * 366


def _weekdays(text: str | None) -> set[int]:
    days: set[int] = set()
    for name in (text or "").split():
        days |= DAY_GROUPS.get(name, {DAYS.index(name)} if name in DAYS else set())
    if not days:
        raise ResponseMessageError("ErrorCalendarInvalidRecurrence", "DaysOfWeek is required.")
    return days


def _nth_weekday(year: int, month: int, days: set[int], index: int) -> dt.date | None:
    """The ``index``-th (``-1``: last) day of the month whose weekday is in ``days``."""
    last = calendar.monthrange(year, month)[1]
    matching = [d for d in range(1, last + 1) if dt.date(year, month, d).weekday() in days]
    if not matching:
        return None
    return dt.date(year, month, matching[index - 1 if index > 0 else -1])


def _month_day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_months(year: int, month: int, count: int) -> tuple[int, int]:
    total = year * 12 + month - 1 + count
    return total // 12, total % 12 + 1


def _pattern_dates(pattern: ET.Element, first: dt.date) -> Iterator[dt.date]:
    """Candidate dates of a pattern from ``first`` on (unbounded, ascending)."""
    kind = local_name(pattern)
    interval = int(child_text(pattern, t("Interval"), "1") or 1)
    if kind == "DailyRecurrence":
        day = first
        while True:
            yield day
            day += dt.timedelta(days=interval)
    if kind == "WeeklyRecurrence":
        days = _weekdays(child_text(pattern, t("DaysOfWeek")))
        week_start = DAYS.index(child_text(pattern, t("FirstDayOfWeek"), "Sunday"))
        monday = first - dt.timedelta(days=(first.weekday() - week_start) % 7)
        while True:
            for offset in range(7):
                day = monday + dt.timedelta(days=offset)
                if day >= first and day.weekday() in days:
                    yield day
            monday += dt.timedelta(weeks=interval)
    yearly = kind.endswith("YearlyRecurrence")
    if yearly:
        interval = 12
    year, month = first.year, first.month
    if yearly:
        month = MONTHS.index(child_text(pattern, t("Month"), MONTHS[first.month - 1])) + 1
    while True:
        if kind.startswith("Absolute"):
            day = _month_day(year, month, int(child_text(pattern, t("DayOfMonth"), "1")))
        else:
            days = _weekdays(child_text(pattern, t("DaysOfWeek")))
            index = INDEXES[child_text(pattern, t("DayOfWeekIndex"), "First")]
            day = _nth_weekday(year, month, days, index)
        if day is not None and day >= first:
            yield day
        year, month = _add_months(year, month, interval)


PATTERNS = {
    "DailyRecurrence",
    "WeeklyRecurrence",
    "AbsoluteMonthlyRecurrence",
    "RelativeMonthlyRecurrence",
    "AbsoluteYearlyRecurrence",
    "RelativeYearlyRecurrence",
}
RANGES = {"NoEndRecurrence", "EndDateRecurrence", "NumberedRecurrence"}


def split(recurrence: ET.Element) -> tuple[ET.Element, ET.Element]:
    """(pattern, range) of a ``t:Recurrence`` element."""
    pattern = next((c for c in recurrence if local_name(c) in PATTERNS), None)
    rng = next((c for c in recurrence if local_name(c) in RANGES), None)
    if pattern is None or rng is None:
        raise ResponseMessageError(
            "ErrorCalendarInvalidRecurrence", "The recurrence is incomplete."
        )
    return pattern, rng


def is_bounded(recurrence: ET.Element) -> bool:
    return local_name(split(recurrence)[1]) != "NoEndRecurrence"


def local_dates(recurrence: ET.Element, until: dt.date | None = None) -> Iterator[dt.date]:
    """Occurrence dates (in the series' time zone) in order, ending with the range or at
    ``until`` (inclusive) for unbounded series."""
    pattern, rng = split(recurrence)
    start = dt.date.fromisoformat(child_text(rng, t("StartDate"))[:10])
    kind = local_name(rng)
    end = None
    count = None
    if kind == "EndDateRecurrence":
        end = dt.date.fromisoformat(child_text(rng, t("EndDate"))[:10])
    elif kind == "NumberedRecurrence":
        count = int(child_text(rng, t("NumberOfOccurrences"), "1"))
    horizon = until or start + dt.timedelta(days=NO_END_HORIZON_DAYS)
    for number, day in enumerate(_pattern_dates(pattern, start), start=1):
        if (count is not None and number > count) or (end is not None and day > end):
            return
        if day > horizon:
            return
        yield day


def occurrence_starts(
    recurrence: ET.Element,
    first_start: dt.datetime,
    zone: dt.tzinfo,
    until: dt.datetime | None = None,
) -> Iterator[tuple[int, dt.datetime]]:
    """(1-based instance index, start in UTC) of every occurrence up to ``until``."""
    local_first = first_start.astimezone(zone)
    wall = local_first.time().replace(tzinfo=None)
    limit = until.astimezone(zone).date() if until is not None else None
    for index, day in enumerate(local_dates(recurrence, limit), start=1):
        moment = dt.datetime.combine(day, wall, tzinfo=zone).astimezone(dt.timezone.utc)
        if until is not None and moment > until:
            return
        yield index, moment
