"""Google event JSON <-> SyncEvent, both directions, without any network."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendar_sync_base.services.errors import RemoteRejected
from calendar_sync_base.services.model import (
    Attendee,
    Privacy,
    Recurrence,
    Reminder,
    Response,
    ShowAs,
    SyncEvent,
)
from calendar_sync_google.services import mapper
from calendar_sync_google.services.mapper import (
    MalformedEvent,
    from_google,
    parse_event,
    to_google,
    unknown_timezone,
)

from ..mapping import UTC, ZONES, synced, utc


def as_google_returns(body: dict, rid: str = "evt00001", organizer: str = "") -> dict:
    """What Google echoes for an inserted body: ids added, patch-only nulls gone, and the
    calendar owner as organizer (a field clients cannot write)."""
    item = {k: v for k, v in body.items() if k != "id"}
    for key in ("start", "end"):
        item[key] = {k: v for k, v in body[key].items() if v is not None}
    if organizer:
        item["organizer"] = {"email": organizer}
        item["attendees"] = [
            a | {"organizer": True} if a["email"] == organizer else a for a in item["attendees"]
        ]
    item.update(id=body.get("id", rid), etag='"1"', iCalUID=f"{rid}@google.com")
    item["updated"] = "2024-05-01T10:00:00.000Z"
    return item


FULL_ITEM = {
    "kind": "calendar#event",
    "id": "abc123def",
    "etag": '"3400000000000000"',
    "status": "confirmed",
    "iCalUID": "abc123def@google.com",
    "updated": "2024-05-02T08:09:10.123Z",
    "summary": "Quarterly review",
    "description": "<p>Agenda: <b>numbers</b></p>",
    "location": "Room 4",
    "organizer": {"email": "boss@example.com", "displayName": "Boss"},
    "start": {"dateTime": "2024-05-06T10:00:00+02:00", "timeZone": "Europe/Brussels"},
    "end": {"dateTime": "2024-05-06T11:30:00+02:00", "timeZone": "Europe/Brussels"},
    "visibility": "confidential",
    "transparency": "transparent",
    "hangoutLink": "https://meet.google.com/abc-defg-hij",
    "attendees": [
        {"email": "zed@example.com", "responseStatus": "tentative", "optional": True},
        {
            "email": "boss@example.com",
            "displayName": "Boss",
            "responseStatus": "accepted",
            "organizer": True,
        },
        {"displayName": "Phone guest", "responseStatus": "accepted"},
        {"email": "room@resource.calendar.google.com", "resource": True},
        {"email": "amy@example.com", "displayName": "Amy", "responseStatus": "declined"},
    ],
    "reminders": {
        "useDefault": False,
        "overrides": [{"method": "popup", "minutes": 30}, {"method": "email", "minutes": 1440}],
    },
    "extendedProperties": {"private": {"odoo_id": "42"}, "shared": {"x": "y"}},
}


def test_every_field_inbound():
    event = parse_event(FULL_ITEM)
    assert event.remote_id == "abc123def"
    assert event.ical_uid == "abc123def@google.com"
    assert event.etag == '"3400000000000000"'
    assert event.odoo_id == 42
    assert event.last_modified == dt.datetime(2024, 5, 2, 8, 9, 10, 123000, tzinfo=UTC)
    assert event.title == "Quarterly review"
    assert event.description == "<p>Agenda: <b>numbers</b></p>"
    assert event.location == "Room 4"
    assert event.organizer_email == "boss@example.com"
    assert (event.start, event.stop) == (utc(2024, 5, 6, 8), utc(2024, 5, 6, 9, 30))
    assert not event.all_day and event.timezone == "Europe/Brussels"
    assert event.privacy == Privacy.CONFIDENTIAL
    assert event.show_as == ShowAs.FREE
    assert event.video_url == "https://meet.google.com/abc-defg-hij"
    assert event.reminders == (Reminder(30, "popup"), Reminder(1440, "email"))
    assert event.attendees == (
        Attendee("amy@example.com", "Amy", Response.DECLINED),
        Attendee("boss@example.com", "Boss", Response.ACCEPTED, organizer=True),
        Attendee("room@resource.calendar.google.com", resource=True),
        Attendee("zed@example.com", response=Response.TENTATIVE, optional=True),
    )
    assert event.recurrence is None and not event.cancelled and not event.is_occurrence


def test_every_field_round_trip():
    event = parse_event(FULL_ITEM)
    body = to_google(event)
    assert body["extendedProperties"] == {"private": {"odoo_id": "42"}}
    assert body["start"] == {"dateTime": "2024-05-06T10:00:00+02:00", "timeZone": "Europe/Brussels"}
    assert body["id"] == "abc123def"
    echoed = as_google_returns(body, organizer="boss@example.com")
    back = parse_event(echoed | {"hangoutLink": event.video_url})
    assert synced(back) == synced(event)
    assert back.odoo_id == 42


@pytest.mark.parametrize("zone", ZONES)
def test_all_day_lands_on_the_same_day_in_every_zone(zone):
    item = {
        "id": "allday1",
        "start": {"date": "2024-03-10"},
        "end": {"date": "2024-03-11"},
    }
    event = parse_event(item, default_timezone=zone)
    assert event.all_day
    assert (event.start, event.stop) == (dt.date(2024, 3, 10), dt.date(2024, 3, 11))
    body = to_google(event.replace(timezone=zone))
    assert body["start"] == {"date": "2024-03-10", "timeZone": zone}
    assert body["end"] == {"date": "2024-03-11", "timeZone": zone}


@pytest.mark.parametrize("zone", ZONES)
def test_multi_day_all_day_round_trip(zone):
    event = SyncEvent(
        title="Trip",
        start=dt.date(2024, 12, 30),
        stop=dt.date(2025, 1, 2),
        all_day=True,
        timezone=zone,
    )
    back = parse_event(as_google_returns(to_google(event)))
    assert synced(back) == synced(event)


def test_all_day_end_not_after_start_becomes_one_day():
    item = {"id": "x1", "start": {"date": "2024-01-05"}, "end": {"date": "2024-01-05"}}
    assert parse_event(item).stop == dt.date(2024, 1, 6)


@pytest.mark.parametrize(
    "local, zone, expected_utc",
    [
        ("2024-03-31T09:00:00+02:00", "Europe/Paris", utc(2024, 3, 31, 7)),  # first CEST day
        ("2024-03-30T09:00:00+01:00", "Europe/Paris", utc(2024, 3, 30, 8)),
        ("2024-11-03T01:30:00-04:00", "America/New_York", utc(2024, 11, 3, 5, 30)),
        ("2024-11-03T01:30:00-05:00", "America/New_York", utc(2024, 11, 3, 6, 30)),
        ("2024-10-06T02:30:00+11:00", "Australia/Lord_Howe", utc(2024, 10, 5, 15, 30)),
    ],
)
def test_dst_offsets_become_utc_and_come_back(local, zone, expected_utc):
    item = {
        "id": "dst1",
        "start": {"dateTime": local, "timeZone": zone},
        "end": {"dateTime": local, "timeZone": zone},
    }
    event = parse_event(item)
    assert event.start == expected_utc and event.start.tzinfo == UTC
    body = to_google(event)
    assert body["start"]["dateTime"] == local and body["start"]["timeZone"] == zone


def test_datetime_without_offset_is_read_in_its_zone():
    item = {
        "id": "naive1",
        "start": {"dateTime": "2024-07-01T09:00:00", "timeZone": "America/Los_Angeles"},
        "end": {"dateTime": "2024-07-01T10:00:00", "timeZone": "America/Los_Angeles"},
    }
    assert parse_event(item).start == utc(2024, 7, 1, 16)


@pytest.mark.parametrize(
    "text",
    ["2024-07-01T09:00:00Z", "2024-07-01T09:00:00.5Z", "2024-07-01T11:00:00+0200"],
)
def test_rfc3339_variants(text):
    item = {"id": "r1", "start": {"dateTime": text}, "end": {"dateTime": text}}
    assert parse_event(item).start.replace(microsecond=0) == utc(2024, 7, 1, 9)


def test_missing_zone_falls_back_to_the_calendar_zone_then_utc():
    item = {
        "id": "z1",
        "start": {"dateTime": "2024-07-01T09:00:00Z"},
        "end": {"dateTime": "2024-07-01T10:00:00Z"},
    }
    assert parse_event(item, default_timezone="Asia/Tokyo").timezone == "Asia/Tokyo"
    assert parse_event(item, default_timezone="Not/AZone").timezone == "UTC"
    item["start"]["timeZone"] = "Bogus/Zone"
    assert parse_event(item, default_timezone="Europe/Oslo").timezone == "Europe/Oslo"


# --------------------------------------------------------------------------- recurrence


def test_timed_recurrence_with_exdates_in_every_form():
    item = {
        "id": "series1",
        "start": {"dateTime": "2024-03-25T09:00:00+01:00", "timeZone": "Europe/Amsterdam"},
        "end": {"dateTime": "2024-03-25T10:00:00+01:00", "timeZone": "Europe/Amsterdam"},
        "recurrence": [
            "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10",
            "EXDATE;TZID=Europe/Amsterdam:20240401T090000,20240408T090000",
            "EXDATE:20240415T070000Z",
            "EXDATE;VALUE=DATE:20240422",
        ],
    }
    event = parse_event(item)
    assert event.recurrence == Recurrence(
        rrule="FREQ=WEEKLY;COUNT=10;BYDAY=MO",
        # after the DST switch 09:00 Amsterdam is 07:00 UTC; the date-only one takes 09:00 local
        exdates=(utc(2024, 4, 1, 7), utc(2024, 4, 8, 7), utc(2024, 4, 15, 7), utc(2024, 4, 22, 7)),
    )
    lines = to_google(event)["recurrence"]
    assert lines == [
        "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO",
        (
            "EXDATE;TZID=Europe/Amsterdam:20240401T090000,20240408T090000,20240415T090000,"
            "20240422T090000"
        ),
    ]
    assert parse_event(as_google_returns(to_google(event))).recurrence == event.recurrence


def test_all_day_recurrence_with_exdates():
    event = SyncEvent(
        title="Standup day",
        start=dt.date(2024, 1, 1),
        stop=dt.date(2024, 1, 2),
        all_day=True,
        timezone="America/Los_Angeles",
        recurrence=Recurrence("FREQ=DAILY;UNTIL=20240110", (dt.date(2024, 1, 3),)),
    )
    body = to_google(event)
    assert body["recurrence"] == ["RRULE:FREQ=DAILY;UNTIL=20240110", "EXDATE;VALUE=DATE:20240103"]
    assert body["start"]["timeZone"] == "America/Los_Angeles"  # required on recurring events
    assert synced(parse_event(as_google_returns(body))) == synced(event)


def test_instance_fields_and_no_recurrence_on_instances():
    item = {
        "id": "series1_20240401T070000Z",
        "recurringEventId": "series1",
        "originalStartTime": {
            "dateTime": "2024-04-01T09:00:00+02:00",
            "timeZone": "Europe/Amsterdam",
        },
        "start": {"dateTime": "2024-04-01T11:00:00+02:00", "timeZone": "Europe/Amsterdam"},
        "end": {"dateTime": "2024-04-01T12:00:00+02:00", "timeZone": "Europe/Amsterdam"},
    }
    event = parse_event(item)
    assert event.is_occurrence and event.master_remote_id == "series1"
    assert event.original_start == utc(2024, 4, 1, 7)
    assert "recurrence" not in to_google(event, for_patch=True)
    all_day = parse_event(
        {
            "id": "s2_20240401",
            "recurringEventId": "s2",
            "originalStartTime": {"date": "2024-04-01"},
            "start": {"date": "2024-04-02"},
            "end": {"date": "2024-04-03"},
        }
    )
    assert all_day.original_start == dt.date(2024, 4, 1)


def test_cancelled_items_need_only_an_id():
    assert parse_event({"id": "gone1", "status": "cancelled"}).cancelled
    instance = parse_event(
        {
            "id": "s_20240101T090000Z",
            "status": "cancelled",
            "recurringEventId": "s",
            "originalStartTime": {"dateTime": "2024-01-01T09:00:00Z"},
        }
    )
    assert instance.cancelled and instance.master_remote_id == "s"
    assert instance.original_start == utc(2024, 1, 1, 9)


def test_patching_a_master_without_recurrence_ends_the_series_but_create_omits_it():
    event = SyncEvent(start=utc(2024, 1, 1, 9), stop=utc(2024, 1, 1, 10), remote_id="m1")
    assert to_google(event, for_patch=True)["recurrence"] == []
    assert "recurrence" not in to_google(event)


# --------------------------------------------------------------------------- attendees etc.


def test_attendees_without_email_are_skipped_not_fatal():
    item = {
        "id": "a1",
        "start": {"date": "2024-01-01"},
        "end": {"date": "2024-01-02"},
        "attendees": [
            {"displayName": "No address", "responseStatus": "accepted"},
            {"email": "", "responseStatus": "accepted"},
            "garbage",
            {"email": "ok@example.com", "responseStatus": "weird"},
            {"email": "OK@example.com", "responseStatus": "accepted"},
        ],
    }
    assert parse_event(item).attendees == (Attendee("ok@example.com"),)


@pytest.mark.parametrize(
    "google, neutral",
    [
        ("needsAction", Response.NEEDS_ACTION),
        ("accepted", Response.ACCEPTED),
        ("declined", Response.DECLINED),
        ("tentative", Response.TENTATIVE),
    ],
)
def test_response_status_both_ways(google, neutral):
    attendee = Attendee("a@example.com", "A", neutral, optional=True, resource=True)
    assert mapper.attendee_to_google(attendee) == {
        "email": "a@example.com",
        "displayName": "A",
        "responseStatus": google,
        "optional": True,
        "resource": True,
    }
    parsed = mapper.attendees_from_google([mapper.attendee_to_google(attendee)])
    assert parsed == (attendee,)


def test_organizer_flag_is_not_sent_and_organizer_falls_back_to_attendee():
    attendee = Attendee("boss@example.com", organizer=True)
    assert "organizer" not in mapper.attendee_to_google(attendee)
    item = {
        "id": "o1",
        "start": {"date": "2024-01-01"},
        "end": {"date": "2024-01-02"},
        "attendees": [{"email": "boss@example.com", "organizer": True}],
    }
    assert parse_event(item).organizer_email == "boss@example.com"


@pytest.mark.parametrize("privacy", list(Privacy))
def test_visibility_both_ways(privacy):
    event = SyncEvent(start=dt.date(2024, 1, 1), stop=dt.date(2024, 1, 2), all_day=True)
    body = to_google(event.replace(privacy=privacy))
    assert body["visibility"] == privacy.value
    assert parse_event(as_google_returns(body)).privacy == privacy


@pytest.mark.parametrize("show_as, google", [(ShowAs.BUSY, "opaque"), (ShowAs.FREE, "transparent")])
def test_transparency_both_ways(show_as, google):
    event = SyncEvent(start=dt.date(2024, 1, 1), stop=dt.date(2024, 1, 2), all_day=True)
    body = to_google(event.replace(show_as=show_as))
    assert body["transparency"] == google
    assert parse_event(as_google_returns(body)).show_as == show_as


def test_unknown_visibility_and_missing_transparency_default():
    item = {"id": "v1", "start": {"date": "2024-01-01"}, "end": {"date": "2024-01-02"}}
    event = parse_event(item | {"visibility": "secret"})
    assert (event.privacy, event.show_as) == (Privacy.DEFAULT, ShowAs.BUSY)


def test_video_url_from_conference_data_video_entry():
    item = {
        "id": "c1",
        "start": {"date": "2024-01-01"},
        "end": {"date": "2024-01-02"},
        "conferenceData": {
            "entryPoints": [
                {"entryPointType": "phone", "uri": "tel:+1-555"},
                {"entryPointType": "video", "uri": "https://meet.example.com/xyz"},
            ]
        },
    }
    assert parse_event(item).video_url == "https://meet.example.com/xyz"
    assert "conferenceData" not in to_google(parse_event(item))  # read-only for us


def test_reminders_default_and_overrides():
    base = {"id": "r1", "start": {"date": "2024-01-01"}, "end": {"date": "2024-01-02"}}
    defaults = (Reminder(10, "popup"),)
    assert parse_event(base | {"reminders": {"useDefault": True}}).reminders == ()
    with_defaults = parse_event(
        base | {"reminders": {"useDefault": True}}, default_reminders=defaults
    )
    assert with_defaults.reminders == defaults
    overrides = [
        {"method": "email", "minutes": 60},
        {"method": "popup", "minutes": 5},
        {"method": "sms", "minutes": 1},
        {"method": "popup", "minutes": -3},
        {"method": "popup", "minutes": "10"},
        {"method": "popup", "minutes": 5},
    ]
    event = parse_event(base | {"reminders": {"useDefault": False, "overrides": overrides}})
    assert event.reminders == (Reminder(5, "popup"), Reminder(60, "email"))


def test_at_most_five_reminders_pushed_sorted_and_clamped():
    reminders = [Reminder(m, "popup") for m in (90, 5, 60, 10, 30, 15, 99999)]
    body = mapper.reminders_to_google(reminders)
    assert body == {
        "useDefault": False,
        "overrides": [{"method": "popup", "minutes": m} for m in (5, 10, 15, 30, 60)],
    }
    assert mapper.reminders_to_google([Reminder(99999, "email")])["overrides"] == [
        {"method": "email", "minutes": 40320}
    ]


@pytest.mark.parametrize(
    "google, html",
    [
        ("", ""),
        (None, ""),
        ("plain & simple\nsecond <line>", "plain &amp; simple<br>second &lt;line&gt;"),
        ("<p>Hello <a href='x'>link</a></p>", "<p>Hello <a href='x'>link</a></p>"),
        ("Tom &amp; Jerry", "Tom &amp; Jerry"),
        ("a<br/>b", "a<br/>b"),
        ("1 < 2 and 3 > 2", "1 &lt; 2 and 3 &gt; 2"),
    ],
)
def test_description_keeps_html_and_escapes_plain_text(google, html):
    assert mapper.description_to_html(google) == html
    assert mapper.description_to_html(html) == html  # stable on the way back


# --------------------------------------------------------------------------- outbound specifics


def test_patch_clears_the_other_time_form():
    timed = SyncEvent(start=utc(2024, 1, 1, 9), stop=utc(2024, 1, 1, 10), timezone="Asia/Tokyo")
    body = to_google(timed, for_patch=True)
    assert body["start"] == {
        "dateTime": "2024-01-01T18:00:00+09:00",
        "timeZone": "Asia/Tokyo",
        "date": None,
    }
    all_day = SyncEvent(start=dt.date(2024, 1, 1), stop=dt.date(2024, 1, 2), all_day=True)
    assert to_google(all_day, for_patch=True)["end"]["dateTime"] is None
    assert "date" not in to_google(timed)["start"]


def test_create_carries_client_chosen_id_and_odoo_id_patch_does_not_carry_id():
    event = SyncEvent(
        start=utc(2024, 1, 1, 9), stop=utc(2024, 1, 1, 10), remote_id="odoo0042", odoo_id=42
    )
    assert to_google(event)["id"] == "odoo0042"
    patch = to_google(event, for_patch=True)
    assert "id" not in patch
    assert patch["extendedProperties"]["private"]["odoo_id"] == "42"
    assert "extendedProperties" not in to_google(event.replace(odoo_id=None))


def test_patch_of_changed_fields_holds_only_their_properties():
    event = SyncEvent(
        title="Renamed",
        start=utc(2024, 1, 1, 9),
        stop=utc(2024, 1, 1, 10),
        timezone="Europe/Paris",
        attendees=(Attendee("bob@example.org", optional=True),),
        reminders=(Reminder(10),),
        odoo_id=42,
    )
    assert to_google(event, for_patch=True, fields=("title",)) == {"summary": "Renamed"}
    assert to_google(event, for_patch=True, fields=()) == {}
    moved = to_google(event, for_patch=True, fields=("start", "stop", "all_day", "timezone"))
    assert set(moved) == {"start", "end"}
    assert moved["start"]["timeZone"] == "Europe/Paris"
    assert moved["start"]["dateTime"] == "2024-01-01T10:00:00+01:00"
    guests = to_google(event, for_patch=True, fields=("attendees", "organizer_email"))
    assert guests == {
        "attendees": [
            {"email": "bob@example.org", "responseStatus": "needsAction", "optional": True}
        ]
    }


def test_cancelled_occurrence_patch_sends_status():
    event = SyncEvent(
        start=utc(2024, 1, 1, 9),
        stop=utc(2024, 1, 1, 10),
        master_remote_id="s",
        cancelled=True,
    )
    assert to_google(event, for_patch=True)["status"] == "cancelled"
    assert to_google(event, for_patch=True, fields=("title",)) == {
        "summary": "",
        "status": "cancelled",
    }


@pytest.mark.parametrize(
    "event, field",
    [
        (SyncEvent(start=None, stop=utc(2024, 1, 1)), "start"),
        (SyncEvent(start=dt.datetime(2024, 1, 1, 9), stop=utc(2024, 1, 1, 10)), "start"),
        (SyncEvent(start=utc(2024, 1, 1), stop=utc(2024, 1, 1), timezone="Mars/Base"), "timezone"),
        (
            SyncEvent(
                start=utc(2024, 1, 1), stop=utc(2024, 1, 1), recurrence=Recurrence("FREQ=NEVER")
            ),
            "recurrence",
        ),
    ],
)
def test_unmappable_outbound_event_raises_naming_the_field(event, field):
    with pytest.raises(MalformedEvent) as info:
        to_google(event.replace(remote_id="r9"))
    assert info.value.field == field and "r9" in str(info.value)


# --------------------------------------------------------------------------- malformed inbound

GOOD = {"id": "good1", "start": {"date": "2024-01-01"}, "end": {"date": "2024-01-02"}}


@pytest.mark.parametrize(
    "item, rid, field",
    [
        ("not a dict", "", "event"),
        ({"summary": "no id", "start": GOOD["start"], "end": GOOD["end"]}, "", "id"),
        ({"id": "b1", "end": GOOD["end"]}, "b1", "start"),
        (
            {"id": "b2", "start": {"dateTime": "tomorrow"}, "end": GOOD["end"]},
            "b2",
            "start.dateTime",
        ),
        ({"id": "b3", "start": {"date": "2024-13-01"}, "end": GOOD["end"]}, "b3", "start.date"),
        (
            {"id": "b4", "start": {"dateTime": "2024-01-01T10:00:00Z"}, "end": GOOD["end"]},
            "b4",
            "end",
        ),
        (
            {
                "id": "b5",
                "start": {"dateTime": "2024-01-01T10:00:00Z"},
                "end": {"dateTime": "2024-01-01T09:00:00Z"},
            },
            "b5",
            "end",
        ),
        ({**GOOD, "id": "b6", "recurrence": ["RDATE:20240105"]}, "b6", "recurrence"),
        ({**GOOD, "id": "b7", "recurrence": ["RRULE:FREQ=WEEKLY;BYFOO=1"]}, "b7", "recurrence"),
        (
            {
                **GOOD,
                "id": "b8",
                "recurrence": ["RRULE:FREQ=DAILY", "EXDATE;TZID=No/Where:20240101"],
            },
            "b8",
            "recurrence",
        ),
        ({**GOOD, "id": "b9", "recurrence": "RRULE:FREQ=DAILY"}, "b9", "recurrence"),
        ({**GOOD, "id": "b10", "updated": "yesterday"}, "b10", "updated"),
    ],
)
def test_malformed_items_are_reported_not_fatal(item, rid, field):
    with pytest.raises(MalformedEvent) as info:
        parse_event(item)
    error = info.value
    assert (error.remote_id, error.field) == (rid, field)
    assert isinstance(error, RemoteRejected) and isinstance(error, ValueError)
    assert (rid or "(no id)") in str(error) and field in str(error)
    seen = []
    assert from_google(item, on_error=seen.append) is None
    assert seen == [error] or (len(seen) == 1 and str(seen[0]) == str(error))


def test_one_bad_item_does_not_spoil_the_page():
    page = [GOOD, {"id": "bad"}, {**GOOD, "id": "good2"}]
    errors = []
    events = [e for e in (from_google(i, on_error=errors.append) for i in page) if e]
    assert [e.remote_id for e in events] == ["good1", "good2"]
    assert [e.remote_id for e in errors] == ["bad"]


def test_odd_odoo_id_is_ignored():
    assert (
        parse_event({**GOOD, "extendedProperties": {"private": {"odoo_id": "x"}}}).odoo_id is None
    )
    assert parse_event({**GOOD, "extendedProperties": "junk"}).odoo_id is None


# --------------------------------------------------------------------------- property round trip

_emails = st.sampled_from(["a@x.org", "b@x.org", "c@y.com", "d@z.net"])
_attendees = st.lists(
    st.builds(
        Attendee,
        email=_emails,
        name=st.sampled_from(["", "Ann", "Bob"]),
        response=st.sampled_from(list(Response)),
        optional=st.booleans(),
        resource=st.booleans(),
    ),
    max_size=4,
    unique_by=lambda a: a.email,
).map(lambda items: tuple(sorted(items, key=lambda a: a.email)))
_reminders = st.lists(
    st.builds(Reminder, minutes=st.integers(0, 40320), method=st.sampled_from(["popup", "email"])),
    max_size=5,
    unique=True,
).map(lambda items: tuple(sorted(items, key=lambda r: (r.minutes, r.method))))
_instants = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


@st.composite
def _events(draw):
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        start = draw(st.dates(dt.date(1990, 1, 1), dt.date(2060, 1, 1)))
        stop = start + dt.timedelta(days=draw(st.integers(1, 30)))
        all_day = True
    else:
        start = draw(_instants)
        stop = start + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 3)))
        all_day = False
    text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)
    return SyncEvent(
        title=draw(text),
        start=start,
        stop=stop,
        all_day=all_day,
        timezone=zone,
        description=mapper.description_to_html(draw(text)),
        location=draw(text),
        privacy=draw(st.sampled_from(list(Privacy))),
        show_as=draw(st.sampled_from(list(ShowAs))),
        attendees=draw(_attendees),
        reminders=draw(_reminders),
    )


@settings(max_examples=300, deadline=None)
@given(_events())
def test_property_round_trip(event):
    back = parse_event(as_google_returns(to_google(event)))
    assert synced(back) == synced(event)


def test_round_trip_keeps_the_wall_clock_in_the_event_zone():
    start = dt.datetime(2024, 10, 27, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # ambiguous hour
    event = SyncEvent(
        start=start.astimezone(UTC), stop=start.astimezone(UTC), timezone="Europe/Berlin"
    )
    back = parse_event(as_google_returns(to_google(event)))
    assert back.start == event.start


def test_nul_characters_postgresql_cannot_store_are_stripped():
    item = {**FULL_ITEM, "summary": "Quarterly\x00 review", "location": "\x00Room 4"}
    event = parse_event(item)
    assert (event.title, event.location) == ("Quarterly review", "Room 4")


def test_zones_no_database_knows_are_reported():
    item = {
        "id": "x",
        "start": {"dateTime": "2024-07-01T16:00:00Z", "timeZone": "Mars/Olympus_Mons"},
        "end": {"dateTime": "2024-07-01T17:00:00Z", "timeZone": "Europe/Paris"},
    }
    assert unknown_timezone(item) == "Mars/Olympus_Mons"
    assert parse_event(item, default_timezone="Europe/Brussels").timezone == "Europe/Paris"
    item["start"]["timeZone"] = "Europe/Paris"
    assert unknown_timezone(item) is None
