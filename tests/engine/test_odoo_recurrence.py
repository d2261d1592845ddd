import datetime as dt

import pytest

from calendar_sync_base.services.odoo_recurrence import (
    is_day_else_last,
    neutral_rule,
    odoo_rule,
    rule_line,
)

UTC = dt.timezone.utc
MONDAY_9_BRUSSELS = dt.datetime(2024, 5, 6, 7, tzinfo=UTC)


def test_rule_line_drops_odoo_dtstart_line_and_prefix():
    rule = "DTSTART:20240506T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO"
    assert rule_line(rule) == "FREQ=WEEKLY;BYDAY=MO"
    assert rule_line("FREQ=DAILY") == "FREQ=DAILY"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1", True),
        ("DTSTART:20240131T090000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=29,-1;BYSETPOS=1", True),
        ("FREQ=MONTHLY;BYMONTHDAY=31", False),  # months without a 31st are skipped
        ("FREQ=MONTHLY;BYMONTHDAY=15,-1;BYSETPOS=1", False),  # every month has a 15th
        ("FREQ=YEARLY;BYMONTHDAY=31,-1;BYSETPOS=1", False),
        ("NOT A RULE", False),
    ],
)
def test_is_day_else_last(rule, expected):
    assert is_day_else_last(rule) is expected


def test_odoo_rule_turns_a_yearly_weekday_into_every_twelve_months():
    assert odoo_rule("FREQ=YEARLY;BYMONTH=3;BYDAY=-1FR") == "FREQ=MONTHLY;INTERVAL=12;BYDAY=-1FR"
    assert odoo_rule("FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=-1FR") == (
        "FREQ=MONTHLY;INTERVAL=24;BYDAY=-1FR"
    )


def test_odoo_rule_keeps_what_odoo_stores_as_it_is():
    for rule in ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=29", "FREQ=WEEKLY;BYDAY=MO,WE"):
        assert odoo_rule(rule) == rule


def test_floating_until_of_a_timed_series_becomes_utc_in_the_series_zone():
    rule = "DTSTART:20240506T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20240527T090000"
    assert neutral_rule(rule, MONDAY_9_BRUSSELS, False, "Europe/Brussels") == (
        "FREQ=WEEKLY;UNTIL=20240527T070000Z;BYDAY=MO"  # 09:00 summer time in Brussels
    )


def test_floating_until_of_an_all_day_series_becomes_a_date():
    rule = "RRULE:FREQ=DAILY;UNTIL=20240527T000000"
    assert neutral_rule(rule, dt.date(2024, 5, 6), True, "Europe/Brussels") == (
        "FREQ=DAILY;UNTIL=20240527"
    )


def test_utc_until_and_endless_rules_are_kept():
    rule = "FREQ=WEEKLY;UNTIL=20240527T070000Z;BYDAY=MO"
    assert neutral_rule(rule, MONDAY_9_BRUSSELS, False, "Europe/Brussels") == rule
    assert neutral_rule("FREQ=DAILY", MONDAY_9_BRUSSELS, False, "Nowhere/Unknown") == "FREQ=DAILY"


def test_every_twelve_months_on_a_weekday_is_yearly_in_the_first_occurrence_month():
    rule = "FREQ=MONTHLY;INTERVAL=12;BYDAY=-1FR"
    assert neutral_rule(rule, dt.date(2024, 3, 29), True, "UTC") == (
        "FREQ=YEARLY;BYDAY=-1FR;BYMONTH=3"
    )
    # Every 6 months is no yearly rule, and a monthly rule on a date stays monthly.
    for rule in ("FREQ=MONTHLY;INTERVAL=6;BYDAY=-1FR", "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=3"):
        assert neutral_rule(rule, dt.date(2024, 3, 29), True, "UTC") == rule


def test_odoo_rule_and_neutral_rule_are_each_others_reverse():
    neutral = "FREQ=YEARLY;INTERVAL=2;BYDAY=2TU;BYMONTH=11"
    assert neutral_rule(odoo_rule(neutral), dt.date(2024, 11, 12), True, "UTC") == neutral
