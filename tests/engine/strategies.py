"""Hypothesis strategies for the neutral model and RRULE specs."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from calendar_sync_base.services.model import (
    UTC,
    Attendee,
    Privacy,
    Recurrence,
    Reminder,
    Response,
    ShowAs,
    SyncEvent,
)
from calendar_sync_base.services.recurrence import WEEKDAYS, RRuleSpec, format_rrule

words = st.text(alphabet="abc XYZ", max_size=8)
emails = st.sampled_from(["ann@example.com", "Bob@Example.com", "carl@example.org", "dee@x.io"])
zones = st.sampled_from(["UTC", "Europe/Brussels", "America/New_York", "Asia/Tokyo"])

attendees = st.builds(
    Attendee,
    email=emails,
    name=words,
    response=st.sampled_from(list(Response)),
    optional=st.booleans(),
)
reminders = st.builds(
    Reminder, minutes=st.sampled_from([0, 10, 30, 1440]), method=st.sampled_from(["popup", "email"])
)
instants = st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1))


@st.composite
def rrule_specs(draw, all_day: bool | None = None) -> RRuleSpec:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    ordinal_ok = freq in ("MONTHLY", "YEARLY")
    ordinals = st.one_of(st.none(), st.integers(-5, 5).filter(bool)) if ordinal_ok else st.none()
    byday = draw(st.lists(st.tuples(ordinals, st.sampled_from(WEEKDAYS)), max_size=3, unique=True))
    bymonthday = []
    if freq != "WEEKLY":  # RFC 5545 forbids BYMONTHDAY with FREQ=WEEKLY
        bymonthday = draw(st.lists(st.integers(-31, 31).filter(bool), max_size=2, unique=True))
    bymonth = draw(st.lists(st.integers(1, 12), max_size=2, unique=True))
    bysetpos = []
    if byday or bymonthday or bymonth:
        bysetpos = draw(st.lists(st.integers(-3, 3).filter(bool), max_size=1))
    end = draw(st.sampled_from(["none", "count", "until"]))
    count = draw(st.integers(1, 50)) if end == "count" else None
    until = None
    if end == "until":
        dated = all_day if all_day is not None else draw(st.booleans())
        until = draw(days) if dated else draw(instants)
    return RRuleSpec(
        freq=freq,
        interval=draw(st.integers(1, 4)),
        count=count,
        until=until,
        byday=tuple(byday),
        bymonthday=tuple(bymonthday),
        bymonth=tuple(bymonth),
        bysetpos=tuple(bysetpos),
        wkst=draw(st.one_of(st.none(), st.sampled_from(WEEKDAYS))),
    )


@st.composite
def sync_events(draw) -> SyncEvent:
    all_day = draw(st.booleans())
    if all_day:
        start = draw(days)
        stop = start + dt.timedelta(days=draw(st.integers(1, 3)))
    else:
        start = draw(instants)
        stop = start + dt.timedelta(minutes=draw(st.integers(15, 240)))
    recurrence = None
    if draw(st.booleans()):
        spec = draw(rrule_specs(all_day=all_day))
        exdates = draw(st.lists(days if all_day else instants, max_size=2, unique=True))
        recurrence = Recurrence(rrule=format_rrule(spec), exdates=tuple(exdates))
    return SyncEvent(
        title=draw(words),
        start=start,
        stop=stop,
        all_day=all_day,
        timezone=draw(zones),
        description=draw(words),
        location=draw(words),
        privacy=draw(st.sampled_from(list(Privacy))),
        show_as=draw(st.sampled_from(list(ShowAs))),
        organizer_email=draw(emails),
        attendees=tuple(draw(st.lists(attendees, max_size=3, unique_by=lambda a: a.email))),
        reminders=tuple(draw(st.lists(reminders, max_size=2, unique=True))),
        video_url=draw(st.sampled_from(["", "https://meet.example.com/abc"])),
        recurrence=recurrence,
    )
