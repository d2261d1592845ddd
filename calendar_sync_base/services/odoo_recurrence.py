"""Odoo's recurrence rules <-> the neutral RRULE the connectors exchange.

Odoo stores a rule as iCalendar text too, but with its own habits: a DTSTART line before the
rule, a floating (zone-less) UNTIL, no yearly rule on a weekday, and its "day 29-31, else the
month's last day" option. These helpers translate without Odoo, so they are tested alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from .recurrence import RRuleSpec, format_rrule, parse_rrule, zone_info


def rule_line(rule: str) -> str:
    """The RRULE line of Odoo's rule text (which may start with a DTSTART line)."""
    line = next((part for part in rule.splitlines() if "FREQ=" in part), rule)
    return line.removeprefix("RRULE:")


def is_day_else_last(rule: str) -> bool:
    """Whether ``rule`` repeats monthly on a day 29..31, else the month's last day."""
    try:
        spec = parse_rrule(rule_line(rule))
    except ValueError:
        return False
    days = set(spec.bymonthday)
    return (
        spec.freq == "MONTHLY"
        and spec.bysetpos == (1,)
        and len(days) == 2
        and -1 in days
        and max(days) >= 29
    )


def odoo_rule(rule: str) -> str:
    """A neutral RRULE as Odoo can store it.

    Odoo's yearly rule only repeats a date; "the last Friday of March every year" is, for
    Odoo, "the last Friday, every 12 months" (starting in March): same occurrences.
    """
    spec = parse_rrule(rule)
    if spec.freq != "YEARLY" or not spec.byday:
        return rule
    return format_rrule(
        dataclasses.replace(spec, freq="MONTHLY", interval=spec.interval * 12, bymonth=())
    )


def neutral_rule(
    rule: str, start: dt.date | dt.datetime | None, all_day: bool, timezone: str
) -> str:
    """Odoo's rule text as a bare RRULE line.

    A floating UNTIL (Odoo's) becomes UTC, as iCalendar wants for timed series, read in the
    series' ``timezone``; for an all-day series it becomes a date. ``start`` (the first
    occurrence) gives the month of a yearly rule on a weekday.
    """
    spec = parse_rrule(rule_line(rule))
    until = spec.until
    if isinstance(until, dt.datetime) and until.tzinfo is None:
        if all_day:
            spec = dataclasses.replace(spec, until=until.date())
        else:  # written in UTC by format_rrule
            spec = dataclasses.replace(spec, until=until.replace(tzinfo=zone_info(timezone)))
    return format_rrule(_yearly_weekday_rule(spec, start))


def _yearly_weekday_rule(spec: RRuleSpec, start) -> RRuleSpec:
    """The reverse of ``odoo_rule``: every 12*k months on a weekday is a yearly rule."""
    if spec.freq != "MONTHLY" or not spec.byday or spec.interval % 12 or start is None:
        return spec
    return dataclasses.replace(
        spec, freq="YEARLY", interval=spec.interval // 12, bymonth=(start.month,)
    )
