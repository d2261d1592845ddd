import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendar_sync_base.services.model import UTC, Recurrence
from calendar_sync_base.services.recurrence import (
    RRuleSpec,
    expand,
    format_exdate,
    format_rrule,
    parse_exdate_lines,
    parse_rrule,
    recurrence_from_lines,
    recurrence_to_lines,
)

from .strategies import rrule_specs

BRUSSELS = ZoneInfo("Europe/Brussels")
PROPERTY = settings(max_examples=150, deadline=None, database=None)


def test_parse_full_rule():
    spec = parse_rrule("RRULE:FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=-1FR,+2MO,TU;WKST=SU")
    assert spec == RRuleSpec(
        freq="MONTHLY",
        interval=2,
        count=10,
        byday=((-1, "FR"), (2, "MO"), (None, "TU")),
        wkst="SU",
    )


def test_parse_until_forms():
    assert parse_rrule("FREQ=DAILY;UNTIL=20240131").until == dt.date(2024, 1, 31)
    assert parse_rrule("FREQ=DAILY;UNTIL=20240131T235959Z").until == dt.datetime(
        2024, 1, 31, 23, 59, 59, tzinfo=UTC
    )
    assert parse_rrule("FREQ=DAILY;UNTIL=20240131T235959").until.tzinfo is None


def test_format_is_canonical():
    text = "rrule:wkst=mo;byday=we,mo;freq=weekly;interval=1;until=20240301T080000Z;"
    assert (
        format_rrule(parse_rrule(text)) == "FREQ=WEEKLY;UNTIL=20240301T080000Z;BYDAY=WE,MO;WKST=MO"
    )
    spec = RRuleSpec(freq="YEARLY", interval=3, bymonth=(3,), bymonthday=(-1,), bysetpos=(1,))
    assert format_rrule(spec) == "FREQ=YEARLY;INTERVAL=3;BYMONTHDAY=-1;BYMONTH=3;BYSETPOS=1"
    until = dt.datetime(2024, 3, 1, 9, tzinfo=BRUSSELS)
    assert format_rrule(RRuleSpec(freq="DAILY", until=until)) == "FREQ=DAILY;UNTIL=20240301T080000Z"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty rule"),
        ("RRULE:", "empty rule"),
        ("INTERVAL=2", "FREQ is required"),
        ("FREQ=FORTNIGHTLY", "unsupported FREQ"),
        ("RRULE:FREQ=SECONDLY", "FREQ=SECONDLY is not supported"),
        ("FREQ=MINUTELY;INTERVAL=5", "FREQ=MINUTELY is not supported"),
        ("FREQ=HOURLY;COUNT=3", "FREQ=HOURLY is not supported"),
        ("FREQ=DAILY;BYHOUR=9", "unsupported part 'BYHOUR'"),
        ("FREQ=DAILY;X-NAME=1", "unsupported part"),
        ("FREQ=DAILY;COUNT", "malformed part"),
        ("FREQ=DAILY;FREQ=WEEKLY", "given twice"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be a positive integer"),
        ("FREQ=DAILY;INTERVAL=two", "not an integer"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20240101", "COUNT and UNTIL"),
        ("FREQ=WEEKLY;BYDAY=XX", "invalid BYDAY item"),
        ("FREQ=WEEKLY;BYDAY=1MO", "needs FREQ=MONTHLY or YEARLY"),
        ("FREQ=MONTHLY;BYDAY=0MO", "ordinal"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "must not be used with FREQ=WEEKLY"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH must be"),
        ("FREQ=MONTHLY;BYSETPOS=1", "needs another BYxxx"),
        ("FREQ=WEEKLY;WKST=XY", "unknown WKST"),
        ("FREQ=DAILY;UNTIL=2024-01-01", "invalid UNTIL"),
        ("FREQ=WEEKLY;BYDAY=MO,,TU", "empty item"),
    ],
)
def test_invalid_rules_are_refused_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_rrule(text)


@PROPERTY
@given(rrule_specs())
def test_format_parse_round_trip(spec):
    text = format_rrule(spec)
    assert parse_rrule(text) == spec
    assert parse_rrule("RRULE:" + text) == spec
    assert format_rrule(parse_rrule(text)) == text


def test_weekly_nine_o_clock_brussels_stays_nine_across_dst():
    # DST starts in Brussels on Sunday 31 March 2024: 09:00 is 08:00 UTC before, 07:00 after.
    first = dt.datetime(2024, 3, 18, 9, tzinfo=BRUSSELS).astimezone(UTC)
    starts = expand("FREQ=WEEKLY;BYDAY=MO;COUNT=4", first, "Europe/Brussels")
    assert [s.astimezone(BRUSSELS).strftime("%a %H:%M") for s in starts] == ["Mon 09:00"] * 4
    assert [s.hour for s in starts] == [8, 8, 7, 7]
    assert all(s.tzinfo == UTC for s in starts)


def test_dst_end_in_autumn():
    first = dt.datetime(2024, 10, 14, 9, tzinfo=BRUSSELS)  # DST ends 27 Oct
    starts = expand(parse_rrule("FREQ=WEEKLY;COUNT=3"), first, "Europe/Brussels")
    assert [s.hour for s in starts] == [7, 7, 8]


def test_until_in_utc_includes_the_last_occurrence():
    first = dt.datetime(2024, 3, 25, 7, tzinfo=UTC)  # 09:00 Brussels summer time
    starts = expand("FREQ=DAILY;UNTIL=20240327T070000Z", first, "Europe/Brussels")
    assert len(starts) == 3


def test_exdates_window_and_limit():
    first = dt.datetime(2024, 1, 1, 9, tzinfo=UTC)
    skipped = dt.datetime(2024, 1, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    starts = expand(
        "FREQ=DAILY",
        first,
        "UTC",
        exdates=[skipped],
        window_end=dt.datetime(2024, 1, 5, tzinfo=UTC),
    )
    assert [s.day for s in starts] == [1, 3, 4]
    assert len(expand("FREQ=DAILY", first, "UTC", limit=7)) == 7
    assert len(expand("FREQ=DAILY", first, "UTC")) == 1000  # endless rules stop somewhere


def test_count_counts_excluded_occurrences():
    first = dt.datetime(2024, 1, 1, 9, tzinfo=UTC)
    starts = expand("FREQ=DAILY;COUNT=3", first, "UTC", exdates=[first])
    assert len(starts) == 2


def test_all_day_series_yield_dates():
    days = expand(
        "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20240430",
        dt.date(2024, 1, 26),
        "Asia/Tokyo",
        exdates=[dt.date(2024, 2, 23)],
    )
    assert days == [dt.date(2024, 1, 26), dt.date(2024, 3, 29), dt.date(2024, 4, 26)]
    window = expand("FREQ=DAILY", dt.date(2024, 1, 1), window_end=dt.date(2024, 1, 3))
    assert window == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]


def test_parse_exdate_lines():
    lines = [
        "RRULE:FREQ=WEEKLY",
        "EXDATE;TZID=Europe/Brussels:20240325T090000,20240401T090000",
        "EXDATE;VALUE=DATE:20240101",
        "EXDATE:20240408T070000Z",
    ]
    assert parse_exdate_lines(lines) == (
        dt.datetime(2024, 3, 25, 8, tzinfo=UTC),
        dt.datetime(2024, 4, 1, 7, tzinfo=UTC),
        dt.date(2024, 1, 1),
        dt.datetime(2024, 4, 8, 7, tzinfo=UTC),
    )
    floating = parse_exdate_lines(["EXDATE:20240101T090000"], default_tz="Europe/Brussels")
    assert floating == (dt.datetime(2024, 1, 1, 8, tzinfo=UTC),)
    with pytest.raises(ValueError, match="invalid value"):
        parse_exdate_lines(["EXDATE:tomorrow"])
    with pytest.raises(ValueError, match="unsupported parameter"):
        parse_exdate_lines(["EXDATE;X=1:20240101"])


def test_format_exdate():
    instants = [dt.datetime(2024, 4, 1, 7, tzinfo=UTC), dt.datetime(2024, 3, 25, 8, tzinfo=UTC)]
    assert format_exdate(instants, "Europe/Brussels") == (
        "EXDATE;TZID=Europe/Brussels:20240325T090000,20240401T090000"
    )
    assert format_exdate(instants) == "EXDATE:20240325T080000Z,20240401T070000Z"
    assert format_exdate([dt.date(2024, 1, 2)]) == "EXDATE;VALUE=DATE:20240102"
    assert format_exdate([]) == ""
    with pytest.raises(ValueError, match="mix"):
        format_exdate([dt.date(2024, 1, 2), instants[0]])
    line = format_exdate(instants, "Europe/Brussels")
    assert sorted(parse_exdate_lines([line])) == sorted(instants)


def test_recurrence_lines_round_trip():
    lines = ["RRULE:BYDAY=MO;FREQ=WEEKLY", "EXDATE;TZID=Europe/Brussels:20240325T090000"]
    recurrence = recurrence_from_lines(lines, "Europe/Brussels")
    assert recurrence == Recurrence(
        "FREQ=WEEKLY;BYDAY=MO", (dt.datetime(2024, 3, 25, 8, tzinfo=UTC),)
    )
    assert recurrence_to_lines(recurrence, "Europe/Brussels") == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO",
        "EXDATE;TZID=Europe/Brussels:20240325T090000",
    ]
    assert recurrence_from_lines([]) is None
    with pytest.raises(ValueError, match="unsupported line"):
        recurrence_from_lines(["RRULE:FREQ=DAILY", "RDATE:20240101T000000Z"])


@PROPERTY
@given(
    st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2027, 1, 1)),
    st.sampled_from(["FREQ=DAILY;COUNT=60", "FREQ=WEEKLY;INTERVAL=2;COUNT=30;BYDAY=MO,TH"]),
    st.sampled_from(["Europe/Brussels", "America/New_York", "Australia/Sydney"]),
)
def test_timed_series_keep_their_wall_clock_time(local_start, rule, zone):
    # Hours 08-20 avoid the DST gaps, where a wall time does not exist at all.
    local_start = local_start.replace(hour=8 + local_start.hour % 12, microsecond=0)
    first = local_start.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    starts = expand(rule, first, zone)
    assert starts and all(s.tzinfo == UTC for s in starts)
    assert {s.astimezone(ZoneInfo(zone)).time() for s in starts} == {local_start.time()}


def test_unknown_time_zone_is_a_value_error():
    with pytest.raises(ValueError, match="unknown time zone"):
        expand("FREQ=DAILY", dt.datetime(2024, 1, 1, tzinfo=UTC), "Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_exdate_lines(["EXDATE;TZID=Nowhere/City:20240101T090000"])
