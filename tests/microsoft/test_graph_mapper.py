"""Graph event JSON <-> SyncEvent, both directions, without any network."""

from __future__ import annotations

import dataclasses
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
from calendar_sync_base.services.recurrence import WEEKDAYS, RRuleSpec, expand, format_rrule
from calendar_sync_base.services.snapshot import synced_values
from calendar_sync_microsoft.services import graph_mapper, graph_recurrence
from calendar_sync_microsoft.services.graph_mapper import (
    EXPAND_ODOO_ID,
    ODOO_ID_PROPERTY,
    MalformedEvent,
    from_graph,
    parse_event,
    unknown_timezone,
)
from calendar_sync_microsoft.services.graph_outbound import graph_normalized, to_graph
from calendar_sync_microsoft.services.graph_recurrence import GRAPH_DAYS, PATTERN_TYPES
from calendar_sync_microsoft.services.timezones import to_iana, to_windows

from ..engine.strategies import rrule_specs
from ..mapping import UTC, ZONES, synced, utc


def _as_utc(bound: dict) -> dict:
    """A start/end as Graph renders it under ``Prefer: outlook.timezone="UTC"``."""
    local = dt.datetime.fromisoformat(bound["dateTime"])
    zone = ZoneInfo(to_iana(bound["timeZone"]))
    instant = local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
    return {"dateTime": instant.isoformat() + ".0000000", "timeZone": "UTC"}


def graph_echo(
    body: dict, rid: str = "AAMkAGI2THVSAAA=", organizer: str = "me@example.com", name: str = ""
) -> dict:
    """What Graph answers for a created body (start/end in UTC, as the client asks)."""
    item = dict(body)
    item.update(
        id=rid,
        iCalUId="040000008200E00074C5B7101A82E00800000000",
        changeKey="DwAAABYAAAAQ",
        lastModifiedDateTime="2030-01-02T03:04:05.1234567Z",
        type="seriesMaster" if body.get("recurrence") else "singleInstance",
        originalStartTimeZone=body["start"]["timeZone"],
        originalEndTimeZone=body["end"]["timeZone"],
    )
    if organizer:
        item["organizer"] = {"emailAddress": {"name": name, "address": organizer}}
    item.pop("singleValueExtendedProperties", None)  # only returned with $expand
    if not body["isAllDay"]:
        item["start"], item["end"] = _as_utc(body["start"]), _as_utc(body["end"])
    return item


FULL_ITEM = {
    "@odata.etag": 'W/"DwAAABYAAAAQ"',
    "id": "AAMkAGI2TGuLAAA=",
    "createdDateTime": "2024-05-01T10:00:00.1234567Z",
    "lastModifiedDateTime": "2024-05-02T08:09:10.1234567Z",
    "changeKey": "DwAAABYAAAAQ",
    "originalStartTimeZone": "Romance Standard Time",
    "originalEndTimeZone": "Romance Standard Time",
    "iCalUId": "040000008200E00074C5B7101A82E0080000000074F2",
    "reminderMinutesBeforeStart": 30,
    "isReminderOn": True,
    "subject": "Quarterly review",
    "body": {
        "contentType": "html",
        "content": '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; '
        'charset=utf-8">\r\n</head>\r\n<body>\r\n<p>Agenda: <b>numbers</b></p>\r\n</body>\r\n'
        "</html>\r\n",
    },
    "sensitivity": "confidential",
    "isAllDay": False,
    "isCancelled": False,
    "isOrganizer": False,
    "showAs": "free",
    "type": "singleInstance",
    "seriesMasterId": None,
    "start": {"dateTime": "2024-05-06T08:00:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2024-05-06T09:30:00.0000000", "timeZone": "UTC"},
    "location": {"displayName": "Room 4", "locationType": "default"},
    "recurrence": None,
    "isOnlineMeeting": True,
    "onlineMeeting": {"joinUrl": "https://teams.microsoft.com/l/meetup-join/abc"},
    "attendees": [
        {
            "type": "optional",
            "status": {"response": "tentativelyAccepted", "time": "2024-05-01T10:00:00Z"},
            "emailAddress": {"name": "zed@example.com", "address": "zed@example.com"},
        },
        {
            "type": "required",
            "status": {"response": "declined", "time": "2024-05-01T10:00:00Z"},
            "emailAddress": {"name": "Amy", "address": "amy@example.com"},
        },
        {
            "type": "resource",
            "status": {"response": "accepted", "time": "2024-05-01T10:00:00Z"},
            "emailAddress": {"name": "Room 4", "address": "room4@example.com"},
        },
        {"type": "required", "status": {"response": "none"}, "emailAddress": {"name": "Phone"}},
        {
            "type": "required",
            "status": {"response": "notResponded"},
            "emailAddress": {"address": "me@example.com"},
        },
    ],
    "organizer": {"emailAddress": {"name": "Boss", "address": "boss@example.com"}},
    "singleValueExtendedProperties": [
        {"id": "String {00020329-0000-0000-C000-000000000046} Name other", "value": "x"},
        {"id": ODOO_ID_PROPERTY.upper(), "value": "42"},
    ],
}


# --------------------------------------------------------------------------- time zones


@pytest.mark.parametrize(
    "name, hint, expected",
    [
        ("Romance Standard Time", "", "Europe/Paris"),
        ("Romance Standard Time", "Europe/Brussels", "Europe/Brussels"),
        ("romance standard time", "Europe/Brussels", "Europe/Brussels"),
        ("Romance Standard Time", "America/New_York", "Europe/Paris"),
        ("Pacific Standard Time", "", "America/Los_Angeles"),
        ("India Standard Time", "", "Asia/Calcutta"),
        ("W. Europe Standard Time", "Europe/Zurich", "Europe/Zurich"),
        ("UTC", "Europe/Brussels", "UTC"),
        ("tzone://Microsoft/Utc", "", "UTC"),
        ("Europe/Brussels", "Europe/Paris", "Europe/Brussels"),
        ("America/Argentina/Buenos_Aires", "", "America/Argentina/Buenos_Aires"),
        ("tzone://Microsoft/Custom", "Europe/Paris", None),
        ("Customized Time Zone", "", None),
        ("Mars Standard Time", "", None),
        ("/etc/passwd", "", None),
        ("", "Europe/Paris", None),
    ],
)
def test_zone_names_in(name, hint, expected):
    assert to_iana(name, hint) == expected


@pytest.mark.parametrize(
    "iana, windows",
    [
        ("Europe/Brussels", "Romance Standard Time"),
        ("Europe/Paris", "Romance Standard Time"),
        ("Europe/London", "GMT Standard Time"),
        ("America/New_York", "Eastern Standard Time"),
        ("Asia/Kolkata", "India Standard Time"),
        ("Australia/Lord_Howe", "Lord Howe Standard Time"),
        ("UTC", "UTC"),
        ("Etc/UTC", "UTC"),
    ],
)
def test_zone_names_out(iana, windows):
    assert to_windows(iana) == windows
    assert to_iana(windows, hint=iana) == ("UTC" if windows == "UTC" else iana)


# --------------------------------------------------------------------------- every field


def test_every_field_inbound():
    event = parse_event(FULL_ITEM, timezone_hint="Europe/Brussels")
    assert event.remote_id == "AAMkAGI2TGuLAAA="
    assert event.ical_uid == "040000008200E00074C5B7101A82E0080000000074F2"
    assert event.etag == "DwAAABYAAAAQ"
    assert event.odoo_id == 42
    assert event.last_modified == dt.datetime(2024, 5, 2, 8, 9, 10, 123456, tzinfo=UTC)
    assert event.title == "Quarterly review"
    assert event.description == "<p>Agenda: <b>numbers</b></p>"
    assert event.location == "Room 4"
    assert event.organizer_email == "boss@example.com"
    assert (event.start, event.stop) == (utc(2024, 5, 6, 8), utc(2024, 5, 6, 9, 30))
    assert not event.all_day and event.timezone == "Europe/Brussels"
    assert event.privacy == Privacy.CONFIDENTIAL
    assert event.show_as == ShowAs.FREE
    assert event.video_url == "https://teams.microsoft.com/l/meetup-join/abc"
    assert event.reminders == (Reminder(30, "popup"),)
    assert event.attendees == (
        Attendee("amy@example.com", "Amy", Response.DECLINED),
        Attendee("boss@example.com", "Boss", Response.ACCEPTED, organizer=True),
        Attendee("me@example.com"),
        Attendee("room4@example.com", "Room 4", Response.ACCEPTED, resource=True),
        Attendee("zed@example.com", response=Response.TENTATIVE, optional=True),
    )
    assert event.recurrence is None and not event.cancelled and not event.is_occurrence


def test_every_field_outbound():
    event = parse_event(FULL_ITEM, timezone_hint="Europe/Brussels").replace(
        organizer_email="boss@example.com"
    )
    body = to_graph(event)
    assert body == {
        "subject": "Quarterly review",
        "body": {"contentType": "html", "content": "<p>Agenda: <b>numbers</b></p>"},
        "location": {"displayName": "Room 4"},
        "start": {"dateTime": "2024-05-06T10:00:00", "timeZone": "Romance Standard Time"},
        "end": {"dateTime": "2024-05-06T11:30:00", "timeZone": "Romance Standard Time"},
        "isAllDay": False,
        "sensitivity": "confidential",
        "showAs": "free",
        "attendees": [
            {
                "type": "required",
                "emailAddress": {"address": "amy@example.com", "name": "Amy"},
                "status": {"response": "declined"},
            },
            {
                "type": "required",
                "emailAddress": {"address": "me@example.com"},
                "status": {"response": "none"},
            },
            {
                "type": "resource",
                "emailAddress": {"address": "room4@example.com", "name": "Room 4"},
                "status": {"response": "accepted"},
            },
            {
                "type": "optional",
                "emailAddress": {"address": "zed@example.com"},
                "status": {"response": "tentativelyAccepted"},
            },
        ],
        "isReminderOn": True,
        "reminderMinutesBeforeStart": 30,
        "singleValueExtendedProperties": [{"id": ODOO_ID_PROPERTY, "value": "42"}],
    }
    assert "recurrence" not in body  # a create of a single event says nothing about series
    assert to_graph(event, for_patch=True)["recurrence"] is None  # a patch ends any series


def test_every_field_round_trip():
    event = parse_event(FULL_ITEM, timezone_hint="Europe/Brussels")
    back = parse_event(
        graph_echo(to_graph(event), organizer="boss@example.com", name="Boss")
        | {"onlineMeeting": FULL_ITEM["onlineMeeting"]},
        timezone_hint="Europe/Brussels",
    )
    assert synced(back) == synced(event)


def test_the_odoo_id_property_is_ours_and_can_be_expanded():
    assert ODOO_ID_PROPERTY == "String {2237511b-c58f-42fa-9bab-1c131fcf342a} Name odoo_id"
    assert EXPAND_ODOO_ID == (
        "singleValueExtendedProperties($filter=id eq "
        "'String {2237511b-c58f-42fa-9bab-1c131fcf342a} Name odoo_id')"
    )
    item = {**FULL_ITEM, "singleValueExtendedProperties": [{"id": ODOO_ID_PROPERTY, "value": "x"}]}
    assert parse_event(item).odoo_id is None  # not ours to trust
    assert parse_event({**FULL_ITEM, "singleValueExtendedProperties": None}).odoo_id is None


def test_etag_falls_back_to_odata_etag():
    item = {**FULL_ITEM, "changeKey": None}
    assert parse_event(item).etag == "DwAAABYAAAAQ"


@pytest.mark.parametrize(
    "graph, privacy",
    [
        ("normal", Privacy.DEFAULT),
        ("personal", Privacy.PRIVATE),
        ("private", Privacy.PRIVATE),
        ("confidential", Privacy.CONFIDENTIAL),
        (None, Privacy.DEFAULT),
    ],
)
def test_sensitivity_in(graph, privacy):
    assert parse_event({**FULL_ITEM, "sensitivity": graph}).privacy == privacy


@pytest.mark.parametrize(
    "privacy, graph",
    [
        (Privacy.DEFAULT, "normal"),
        (Privacy.PUBLIC, "normal"),
        (Privacy.PRIVATE, "private"),
        (Privacy.CONFIDENTIAL, "confidential"),
    ],
)
def test_sensitivity_out(privacy, graph):
    event = parse_event(FULL_ITEM).replace(privacy=privacy)
    assert to_graph(event)["sensitivity"] == graph


@pytest.mark.parametrize(
    "graph, show_as",
    [
        ("free", ShowAs.FREE),
        ("busy", ShowAs.BUSY),
        ("tentative", ShowAs.BUSY),
        ("oof", ShowAs.BUSY),
        ("workingElsewhere", ShowAs.BUSY),
        ("unknown", ShowAs.BUSY),
    ],
)
def test_show_as_in(graph, show_as):
    event = parse_event({**FULL_ITEM, "showAs": graph})
    assert event.show_as == show_as
    assert to_graph(event)["showAs"] == ("free" if show_as == ShowAs.FREE else "busy")


@pytest.mark.parametrize(
    "reminders, expected",
    [
        ((), {"isReminderOn": False}),
        ((Reminder(0),), {"isReminderOn": True, "reminderMinutesBeforeStart": 0}),
        (
            (Reminder(15), Reminder(1440, "email"), Reminder(60)),
            {"isReminderOn": True, "reminderMinutesBeforeStart": 1440},
        ),
    ],
)
def test_the_reminder_that_fires_first_goes_out(reminders, expected):
    body = to_graph(parse_event(FULL_ITEM).replace(reminders=reminders))
    assert {k: v for k, v in body.items() if k.startswith(("isReminder", "reminder"))} == expected


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"isReminderOn": False, "reminderMinutesBeforeStart": 15}, ()),
        ({"isReminderOn": True, "reminderMinutesBeforeStart": 0}, (Reminder(0),)),
        ({"isReminderOn": True, "reminderMinutesBeforeStart": -5}, ()),
        ({"isReminderOn": True, "reminderMinutesBeforeStart": "15"}, ()),
    ],
)
def test_reminder_in(fields, expected):
    assert parse_event({**FULL_ITEM, **fields}).reminders == expected


def test_video_url_from_the_legacy_online_meeting_url():
    item = {**FULL_ITEM, "onlineMeeting": None, "onlineMeetingUrl": "https://meet.lync.com/x"}
    assert parse_event(item).video_url == "https://meet.lync.com/x"
    assert parse_event({**FULL_ITEM, "onlineMeeting": None}).video_url == ""


def test_text_body_is_escaped_and_html_body_is_unwrapped():
    text = {"contentType": "text", "content": "a < b & c\r\nline 2"}
    assert parse_event({**FULL_ITEM, "body": text}).description == "a &lt; b &amp; c<br>line 2"
    plain_html = {"contentType": "html", "content": "<p>kept</p>"}
    assert parse_event({**FULL_ITEM, "body": plain_html}).description == "<p>kept</p>"
    empty_doc = {"contentType": "html", "content": "<html><body></body></html>"}
    assert parse_event({**FULL_ITEM, "body": empty_doc}).description == ""


def test_the_organizer_is_not_invited_to_their_own_meeting():
    event = SyncEvent(
        start=utc(2030, 1, 1, 9),
        stop=utc(2030, 1, 1, 10),
        organizer_email="Me@Example.com",
        attendees=(
            Attendee("me@example.com", response=Response.ACCEPTED),
            Attendee("flagged@example.com", organizer=True),
            Attendee("guest@example.com"),
        ),
    )
    assert [a["emailAddress"]["address"] for a in to_graph(event)["attendees"]] == [
        "guest@example.com"
    ]


# --------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    "local, zone, expected_utc",
    [
        ("2024-03-31T09:00:00", "Europe/Brussels", utc(2024, 3, 31, 7)),  # first summer day
        ("2024-03-30T09:00:00", "Europe/Brussels", utc(2024, 3, 30, 8)),
        ("2024-11-03T01:30:00", "America/New_York", utc(2024, 11, 3, 5, 30)),  # fold 0
        ("2024-11-03T03:30:00", "America/New_York", utc(2024, 11, 3, 8, 30)),
        ("2024-10-06T02:30:00", "Australia/Lord_Howe", utc(2024, 10, 5, 15, 30)),
        ("2024-07-01T09:00:00", "Asia/Kolkata", utc(2024, 7, 1, 3, 30)),
    ],
)
def test_dst_wall_times_go_out_in_the_windows_zone_and_come_back(local, zone, expected_utc):
    event = SyncEvent(start=expected_utc, stop=expected_utc, timezone=zone)
    body = to_graph(event)
    assert body["start"] == {"dateTime": local, "timeZone": to_windows(zone)}
    back = parse_event(graph_echo(body), timezone_hint=zone)
    assert back.start == expected_utc and back.timezone == zone


@pytest.mark.parametrize(
    "bound",
    [
        {"dateTime": "2024-07-01T09:00:00.0000000", "timeZone": "Pacific Standard Time"},
        {"dateTime": "2024-07-01T09:00:00", "timeZone": "America/Los_Angeles"},
        {"dateTime": "2024-07-01T16:00:00.0000000", "timeZone": "UTC"},
        {"dateTime": "2024-07-01T16:00:00Z", "timeZone": "Romance Standard Time"},
    ],
)
def test_bounds_in_any_zone_become_utc(bound):
    item = {
        "id": "x",
        "start": bound,
        "end": bound,
        "originalStartTimeZone": "Pacific Standard Time",
    }
    event = parse_event(item)
    assert event.start == utc(2024, 7, 1, 16)
    assert event.timezone == "America/Los_Angeles"


def test_event_zone_falls_back_to_the_recurrence_zone_then_the_hint():
    item = {
        "id": "x",
        "start": {"dateTime": "2024-07-01T16:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2024-07-01T17:00:00", "timeZone": "UTC"},
        "originalStartTimeZone": "tzone://Microsoft/Custom",
    }
    assert parse_event(item).timezone == "UTC"
    assert parse_event(item, timezone_hint="Asia/Tokyo").timezone == "UTC"  # start's zone
    del item["start"]["timeZone"]
    assert parse_event(item, timezone_hint="Asia/Tokyo").timezone == "Asia/Tokyo"


def test_zones_no_database_knows_are_reported():
    item = {
        "id": "x",
        "start": {"dateTime": "2024-07-01T16:00:00", "timeZone": "UTC"},
        "originalStartTimeZone": "tzone://Microsoft/Custom",
    }
    assert unknown_timezone(item) == "tzone://Microsoft/Custom"
    item["originalStartTimeZone"] = "Romance Standard Time"
    assert unknown_timezone(item) is None
    item["originalStartTimeZone"] = "tzone://Microsoft/Utc"
    assert unknown_timezone(item) is None


@pytest.mark.parametrize("zone", ZONES)
def test_all_day_lands_on_the_same_day_in_every_zone(zone):
    event = SyncEvent(
        title="Trip",
        start=dt.date(2024, 12, 30),
        stop=dt.date(2025, 1, 2),
        all_day=True,
        timezone=zone,
    )
    body = to_graph(event)
    assert body["isAllDay"] is True
    assert body["start"] == {"dateTime": "2024-12-30T00:00:00", "timeZone": to_windows(zone)}
    assert body["end"] == {"dateTime": "2025-01-02T00:00:00", "timeZone": to_windows(zone)}
    back = parse_event(graph_echo(body, organizer=""), timezone_hint=zone)
    assert synced(back) == synced(event)


def test_all_day_bounds_converted_to_utc_are_brought_back_to_their_day():
    item = {
        "id": "x",
        "isAllDay": True,
        "originalStartTimeZone": "Pacific Standard Time",
        "start": {"dateTime": "2024-03-10T08:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2024-03-11T07:00:00.0000000", "timeZone": "UTC"},  # after DST
    }
    event = parse_event(item)
    assert (event.start, event.stop, event.all_day) == (
        dt.date(2024, 3, 10),
        dt.date(2024, 3, 11),
        True,
    )


def test_all_day_end_not_after_start_becomes_one_day():
    bound = {"dateTime": "2024-01-05T00:00:00.0000000", "timeZone": "UTC"}
    event = parse_event({"id": "x", "isAllDay": True, "start": bound, "end": bound})
    assert event.stop == dt.date(2024, 1, 6)


def test_timed_event_with_unresolvable_all_day_flag_is_still_timed():
    # isAllDay false with midnight bounds is an ordinary (timed) event.
    item = {
        "id": "x",
        "isAllDay": False,
        "start": {"dateTime": "2024-01-05T00:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2024-01-06T00:00:00.0000000", "timeZone": "UTC"},
    }
    event = parse_event(item)
    assert not event.all_day and event.start == utc(2024, 1, 5)


# --------------------------------------------------------------------------- series members


def test_exception_and_occurrence_carry_their_series_and_slot():
    item = {
        **FULL_ITEM,
        "id": "AAMkOCC=",
        "type": "exception",
        "seriesMasterId": "AAMkMASTER=",
        "originalStart": "2024-05-06T08:00:00Z",
        "recurrence": {"pattern": {"type": "daily", "interval": 1}, "range": {"type": "noEnd"}},
    }
    event = parse_event(item)
    assert event.master_remote_id == "AAMkMASTER="
    assert event.original_start == utc(2024, 5, 6, 8)
    assert event.is_occurrence and event.recurrence is None


def test_all_day_exception_slot_is_a_date():
    item = {
        "id": "AAMkOCC=",
        "type": "exception",
        "isAllDay": True,
        "seriesMasterId": "AAMkMASTER=",
        "originalStartTimeZone": "Tokyo Standard Time",
        "originalStart": "2024-05-05T15:00:00Z",  # midnight in Tokyo
        "start": {"dateTime": "2024-05-07T00:00:00.0000000", "timeZone": "Tokyo Standard Time"},
        "end": {"dateTime": "2024-05-08T00:00:00.0000000", "timeZone": "Tokyo Standard Time"},
    }
    event = parse_event(item)
    assert event.original_start == dt.date(2024, 5, 6)
    assert (event.start, event.stop) == (dt.date(2024, 5, 7), dt.date(2024, 5, 8))


def test_removed_and_cancelled():
    removed = parse_event(
        {
            "@odata.type": "#microsoft.graph.event",
            "id": "AAMkGONE=",
            "@removed": {"reason": "deleted"},
        }
    )
    assert removed.cancelled and removed.remote_id == "AAMkGONE=" and removed.title == ""
    cancelled = parse_event({**FULL_ITEM, "isCancelled": True})
    assert cancelled.cancelled and cancelled.title == "Quarterly review"


# --------------------------------------------------------------------------- recurrence

MONDAY_0900_BRUSSELS = utc(2024, 1, 1, 8)  # 2024-01-01 is a Monday


def _series_item(pattern: dict, rng: dict, all_day: bool = False) -> dict:
    if all_day:
        start = {"dateTime": "2024-01-01T00:00:00.0000000", "timeZone": "Romance Standard Time"}
        end = {"dateTime": "2024-01-02T00:00:00.0000000", "timeZone": "Romance Standard Time"}
    else:
        start = {"dateTime": "2024-01-01T08:00:00.0000000", "timeZone": "UTC"}
        end = {"dateTime": "2024-01-01T09:00:00.0000000", "timeZone": "UTC"}
    return {
        "id": "AAMkSERIES=",
        "type": "seriesMaster",
        "isAllDay": all_day,
        "originalStartTimeZone": "Romance Standard Time",
        "start": start,
        "end": end,
        "recurrence": {
            "pattern": pattern,
            "range": {"startDate": "2024-01-01", "recurrenceTimeZone": "Romance Standard Time"}
            | rng,
        },
    }


NO_END = {"type": "noEnd"}
RECURRENCES = [
    # (pattern, range, rrule)
    ({"type": "daily", "interval": 1}, NO_END, "FREQ=DAILY"),
    ({"type": "daily", "interval": 3}, {"type": "numbered", "numberOfOccurrences": 10},
     "FREQ=DAILY;INTERVAL=3;COUNT=10"),
    (
        {"type": "weekly", "interval": 1, "daysOfWeek": ["wednesday", "monday"],
         "firstDayOfWeek": "sunday"},
        NO_END,
        "FREQ=WEEKLY;BYDAY=MO,WE",
    ),
    (
        {"type": "weekly", "interval": 2, "daysOfWeek": ["monday", "sunday"],
         "firstDayOfWeek": "sunday"},
        NO_END,
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;WKST=SU",
    ),
    (
        {"type": "weekly", "interval": 2, "daysOfWeek": ["monday", "sunday"],
         "firstDayOfWeek": "monday"},
        NO_END,
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU",
    ),
    (
        {"type": "weekly", "interval": 3, "daysOfWeek": ["friday"], "firstDayOfWeek": "saturday"},
        NO_END,
        "FREQ=WEEKLY;INTERVAL=3;BYDAY=FR;WKST=SA",
    ),
    (
        {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"], "firstDayOfWeek": "sunday"},
        {"type": "endDate", "endDate": "2024-03-31"},
        "FREQ=WEEKLY;UNTIL=20240331T215959Z;BYDAY=MO",  # 23:59:59 Brussels summer time
    ),
    ({"type": "absoluteMonthly", "interval": 1, "dayOfMonth": 15}, NO_END,
     "FREQ=MONTHLY;BYMONTHDAY=15"),
    (
        {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["tuesday"], "index": "second"},
        NO_END,
        "FREQ=MONTHLY;BYDAY=2TU",
    ),
    (
        {"type": "relativeMonthly", "interval": 2, "daysOfWeek": ["friday"], "index": "last"},
        {"type": "numbered", "numberOfOccurrences": 6},
        "FREQ=MONTHLY;INTERVAL=2;COUNT=6;BYDAY=-1FR",
    ),
    (
        {"type": "relativeMonthly", "interval": 1, "index": "first",
         "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"]},
        NO_END,
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1",
    ),
    ({"type": "absoluteYearly", "interval": 1, "month": 3, "dayOfMonth": 14}, NO_END,
     "FREQ=YEARLY;BYMONTHDAY=14;BYMONTH=3"),
    (
        {"type": "relativeYearly", "interval": 1, "month": 11, "daysOfWeek": ["thursday"],
         "index": "fourth"},
        NO_END,
        "FREQ=YEARLY;BYDAY=4TH;BYMONTH=11",
    ),
    (
        {"type": "relativeYearly", "interval": 2, "month": 2, "index": "last",
         "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                        "sunday"]},
        NO_END,
        "FREQ=YEARLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYMONTH=2;BYSETPOS=-1",
    ),
]  # fmt: skip


@pytest.mark.parametrize("pattern, rng, rrule", RECURRENCES)
def test_every_pattern_type_in_out_and_back(pattern, rng, rrule):
    item = _series_item(pattern, rng)
    event = parse_event(item, timezone_hint="Europe/Brussels")
    assert event.recurrence == Recurrence(rrule=rrule)
    assert event.timezone == "Europe/Brussels"
    body = to_graph(event)
    sent = body["recurrence"]
    expected_pattern = {k: v for k, v in pattern.items() if k != "firstDayOfWeek"}
    expected_pattern["daysOfWeek"] = sorted(pattern.get("daysOfWeek", []), key=GRAPH_DAYS.index)
    got = {k: v for k, v in sent["pattern"].items() if k != "firstDayOfWeek"}
    got.setdefault("daysOfWeek", [])
    if not pattern.get("daysOfWeek"):
        expected_pattern.pop("daysOfWeek")
        got.pop("daysOfWeek")
    assert got == expected_pattern
    assert sent["range"] == {
        "startDate": "2024-01-01",
        "recurrenceTimeZone": "Romance Standard Time",
        **rng,
    }
    back = parse_event(graph_echo(body), timezone_hint="Europe/Brussels")
    assert back.recurrence == event.recurrence


@pytest.mark.parametrize("pattern, rng, rrule", RECURRENCES)
def test_every_pattern_type_all_day(pattern, rng, rrule):
    rrule = rrule.replace("UNTIL=20240331T215959Z", "UNTIL=20240331")
    event = parse_event(_series_item(pattern, rng, all_day=True))
    assert event.all_day and event.recurrence == Recurrence(rrule=rrule)
    back = parse_event(graph_echo(to_graph(event), organizer=""))
    assert synced(back) == synced(event)


def test_week_start_goes_out_as_rfc_default_monday():
    event = SyncEvent(
        start=MONDAY_0900_BRUSSELS,
        stop=MONDAY_0900_BRUSSELS + dt.timedelta(hours=1),
        timezone="Europe/Brussels",
        recurrence=Recurrence("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU"),
    )
    assert to_graph(event)["recurrence"]["pattern"]["firstDayOfWeek"] == "monday"
    with_wkst = event.replace(recurrence=Recurrence("FREQ=WEEKLY;BYDAY=MO;WKST=SU"))
    assert to_graph(with_wkst)["recurrence"]["pattern"]["firstDayOfWeek"] == "sunday"


@pytest.mark.parametrize(
    "rrule, pattern",
    [
        # Parts the rule leaves out come from the start (Monday 1 January), as in RFC 5545.
        ("FREQ=WEEKLY", {"type": "weekly", "daysOfWeek": ["monday"]}),
        ("FREQ=MONTHLY", {"type": "absoluteMonthly", "dayOfMonth": 1}),
        ("FREQ=YEARLY", {"type": "absoluteYearly", "month": 1, "dayOfMonth": 1}),
        ("FREQ=YEARLY;BYMONTH=6", {"type": "absoluteYearly", "month": 6, "dayOfMonth": 1}),
        # Google's "every weekday".
        (
            "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
            {"type": "weekly", "daysOfWeek": list(GRAPH_DAYS[:5])},
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            {"type": "relativeMonthly", "index": "last", "daysOfWeek": list(
                GRAPH_DAYS)},
        ),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1",
            {"type": "relativeYearly", "month": 2, "index": "last", "daysOfWeek": list(
                GRAPH_DAYS)},
        ),
        ("FREQ=MONTHLY;BYDAY=TU,TH;BYSETPOS=-1",
         {"type": "relativeMonthly", "index": "last", "daysOfWeek": ["tuesday", "thursday"]}),
    ],
)  # fmt: skip
def test_rules_written_differently_still_fit(rrule, pattern):
    event = SyncEvent(
        start=MONDAY_0900_BRUSSELS,
        stop=MONDAY_0900_BRUSSELS + dt.timedelta(hours=1),
        timezone="Europe/Brussels",
        recurrence=Recurrence(rrule),
    )
    sent = to_graph(event)["recurrence"]["pattern"]
    assert {k: v for k, v in sent.items() if k in pattern} == pattern


@pytest.mark.parametrize(
    "until, end_date",
    [
        ("20240331T235959", "2024-03-31"),  # floating: local wall time
        ("20240331T070000Z", "2024-03-31"),  # 09:00 Brussels summer time: UNTIL is inclusive
        ("20240331T065959Z", "2024-03-30"),  # a second before the 09:00 occurrence
        ("20240331T080000Z", "2024-03-31"),
        ("20240331", "2024-03-31"),  # a date: that whole day
    ],
)
def test_until_becomes_the_last_local_day(until, end_date):
    start = utc(2024, 1, 1, 8)  # 09:00 Brussels winter time
    event = SyncEvent(
        start=start,
        stop=start + dt.timedelta(hours=1),
        timezone="Europe/Brussels",
        recurrence=Recurrence(f"FREQ=DAILY;UNTIL={until}"),
    )
    rng = to_graph(event)["recurrence"]["range"]
    assert rng["type"] == "endDate" and rng["endDate"] == end_date


def test_start_date_is_the_local_date_of_the_start():
    start = utc(2024, 1, 1, 23, 30)  # already 2 January in Brussels
    event = SyncEvent(
        start=start,
        stop=start + dt.timedelta(hours=1),
        timezone="Europe/Brussels",
        recurrence=Recurrence("FREQ=DAILY;COUNT=2"),
    )
    assert to_graph(event)["recurrence"]["range"] == {
        "type": "numbered",
        "startDate": "2024-01-02",
        "numberOfOccurrences": 2,
        "recurrenceTimeZone": "Romance Standard Time",
    }


@pytest.mark.parametrize(
    "rrule, reason",
    [
        ("FREQ=HOURLY", "FREQ=HOURLY"),
        ("FREQ=MONTHLY;BYDAY=5MO", "position 5"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,15", "several BYMONTHDAY"),
        ("FREQ=MONTHLY;BYDAY=TU", "without a position"),
        ("FREQ=MONTHLY;BYDAY=1MO,1TU", "several positioned"),
        ("FREQ=YEARLY;BYDAY=20MO", "whole year"),
        ("FREQ=YEARLY;BYMONTH=1,7", "several BYMONTH"),
        ("FREQ=YEARLY;BYMONTHDAY=1", "repeats every month"),
        ("FREQ=MONTHLY;BYMONTHDAY=-2", "BYMONTHDAY=-2"),
        ("FREQ=DAILY;INTERVAL=2;BYDAY=MO", "INTERVAL above 1"),
        ("FREQ=WEEKLY;BYMONTH=3", "weekly rules"),
        ("FREQ=DAILY;UNTIL=20231231", "before the series starts"),
        ("FREQ=DAILY;FOO=1", "unsupported part"),
    ],
)
def test_rules_outlook_cannot_hold_are_refused_by_name(rrule, reason):
    event = SyncEvent(
        start=MONDAY_0900_BRUSSELS,
        stop=MONDAY_0900_BRUSSELS,
        timezone="Europe/Brussels",
        recurrence=Recurrence(rrule),
        remote_id="AAMkX=",
    )
    with pytest.raises(MalformedEvent) as info:
        to_graph(event)
    message = str(info.value)
    assert "AAMkX=" in message and "recurrence" in message
    assert rrule in message and reason in message
    assert isinstance(info.value, RemoteRejected)


def test_occurrences_never_carry_the_series_rule():
    event = SyncEvent(
        start=MONDAY_0900_BRUSSELS,
        stop=MONDAY_0900_BRUSSELS,
        master_remote_id="AAMkMASTER=",
        recurrence=Recurrence("FREQ=DAILY"),
    )
    assert "recurrence" not in to_graph(event, for_patch=True)


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    "item, field",
    [
        ("not an object", "event"),
        ({"subject": "no id"}, "id"),
        ({"id": "x", "start": None, "end": None}, "start"),
        (
            {"id": "x", "start": {"dateTime": "yesterday", "timeZone": "UTC"}, "end": {}},
            "start.dateTime",
        ),
        (
            {
                "id": "x",
                "start": {"dateTime": "2024-01-01T09:00:00", "timeZone": "Mars Standard Time"},
                "end": {"dateTime": "2024-01-01T10:00:00", "timeZone": "UTC"},
            },
            "start.timeZone",
        ),
        (
            {
                "id": "x",
                "start": {"dateTime": "2024-01-01T09:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2024-01-01T08:00:00", "timeZone": "UTC"},
            },
            "end",
        ),
        (_series_item({"type": "hourly", "interval": 1}, NO_END), "recurrence"),
        (_series_item({"type": "weekly", "interval": 1}, NO_END), "recurrence"),
        (_series_item({"type": "daily", "interval": 0}, NO_END), "recurrence"),
        (_series_item({"type": "absoluteMonthly", "dayOfMonth": 32}, NO_END), "recurrence"),
        (
            _series_item(
                {"type": "relativeMonthly", "daysOfWeek": ["monday"], "index": "fifth"}, NO_END
            ),
            "recurrence",
        ),
        (_series_item({"type": "daily"}, {"type": "endDate", "endDate": "soon"}), "recurrence"),
        (
            _series_item({"type": "daily"}, {"type": "numbered", "numberOfOccurrences": 0}),
            "recurrence",
        ),
        (
            {**FULL_ITEM, "lastModifiedDateTime": "last tuesday"},
            "lastModifiedDateTime",
        ),
    ],
)
def test_malformed_items_are_reported_not_raised(item, field):
    errors = []
    assert from_graph(item, on_error=errors.append) is None
    assert len(errors) == 1 and errors[0].field == field
    assert field in str(errors[0])
    if isinstance(item, dict) and item.get("id"):
        assert item["id"] in str(errors[0])


def test_outbound_refuses_what_it_cannot_send():
    with pytest.raises(MalformedEvent, match="timezone"):
        to_graph(SyncEvent(start=utc(2024, 1, 1), stop=utc(2024, 1, 1), timezone="Mars/Base"))
    with pytest.raises(MalformedEvent, match="stop: missing"):
        to_graph(SyncEvent(start=utc(2024, 1, 1)))
    with pytest.raises(MalformedEvent, match="aware"):
        to_graph(SyncEvent(start=dt.datetime(2024, 1, 1), stop=dt.datetime(2024, 1, 1)))


# --------------------------------------------------------------------------- properties

_emails = st.sampled_from(["a@x.org", "b@x.org", "c@y.com", "Me@Example.com"])
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
    unique_by=lambda a: a.email.casefold(),
).map(lambda items: tuple(sorted(items, key=lambda a: a.email.casefold())))
_reminders = st.lists(
    st.builds(Reminder, minutes=st.integers(0, 40320), method=st.sampled_from(["popup", "email"])),
    max_size=3,
    unique=True,
).map(tuple)
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
        local = start.astimezone(ZoneInfo(zone))
        if local.fold or local.replace(fold=1).utcoffset() != local.utcoffset():
            start = start + dt.timedelta(hours=3)  # wall times Outlook reads one way only
        stop = start + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 3)))
        all_day = False
    text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)
    return SyncEvent(
        title=draw(text),
        start=start,
        stop=stop,
        all_day=all_day,
        timezone=zone,
        description=graph_mapper.body_to_html({"contentType": "text", "content": draw(text)}),
        location=draw(text),
        privacy=draw(st.sampled_from(list(Privacy))),
        show_as=draw(st.sampled_from(list(ShowAs))),
        organizer_email="me@example.com",
        attendees=draw(_attendees),
        reminders=draw(_reminders),
    )


@settings(max_examples=300, deadline=None)
@given(_events())
def test_property_what_comes_back_is_what_outlook_keeps(event):
    # Compared as the engine compares (display names and e-mail case do not count).
    back = parse_event(graph_echo(to_graph(event)), timezone_hint=event.timezone)
    assert synced_values(back) == synced_values(graph_normalized(event))
    assert synced_values(graph_normalized(back)) == synced_values(back)  # idempotent


def test_normalized_keeps_what_outlook_can_hold():
    event = parse_event(FULL_ITEM, timezone_hint="Europe/Brussels")
    assert synced(graph_normalized(event)) == synced(event)
    richer = event.replace(
        privacy=Privacy.PUBLIC,
        reminders=(Reminder(10), Reminder(60, "email")),
        recurrence=Recurrence("FREQ=WEEKLY", exdates=(utc(2024, 5, 13, 8),)),
    )
    normalized = graph_normalized(richer)
    assert normalized.privacy == Privacy.DEFAULT
    assert normalized.reminders == (Reminder(60),)
    assert normalized.recurrence == Recurrence(
        "FREQ=WEEKLY;BYDAY=MO", exdates=(utc(2024, 5, 13, 8),)
    )
    assert normalized.video_url == event.video_url and normalized.odoo_id == 42


@st.composite
def outlook_shaped_specs(draw) -> RRuleSpec:
    """Rules in the shapes Outlook has (the generic strategy mostly draws refused ones)."""
    kind = draw(st.sampled_from(PATTERN_TYPES))
    days = st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True)
    index = st.sampled_from([1, 2, 3, 4, -1])
    parts: dict = {}
    if kind in ("relativeMonthly", "relativeYearly"):
        chosen = draw(days)
        if len(chosen) == 1:
            parts["byday"] = ((draw(index), chosen[0]),)
        else:
            parts.update(byday=tuple((None, d) for d in chosen), bysetpos=(draw(index),))
    if kind in ("absoluteMonthly", "absoluteYearly") and draw(st.booleans()):
        parts["bymonthday"] = (draw(st.sampled_from([1, 15, 28, 29, 30, 31, -1])),)
    if kind.endswith("Yearly"):
        parts["bymonth"] = (draw(st.integers(1, 12)),)
    if kind == "weekly":
        parts["byday"] = tuple((None, d) for d in draw(days))
        parts["wkst"] = draw(st.sampled_from([None, *WEEKDAYS]))
    freq = {"daily": "DAILY", "weekly": "WEEKLY"}.get(kind) or (
        "MONTHLY" if kind.endswith("Monthly") else "YEARLY"
    )
    end = draw(st.sampled_from(["none", "count", "until"]))
    if end == "count":
        parts["count"] = draw(st.integers(1, 30))
    elif end == "until":
        parts["until"] = draw(
            st.datetimes(dt.datetime(2031, 1, 1), dt.datetime(2040, 1, 1), timezones=st.just(UTC))
        ).replace(microsecond=0)
    return RRuleSpec(freq=freq, interval=draw(st.integers(1, 3)), **parts)


@settings(max_examples=400, deadline=None)
@given(
    spec=st.one_of(rrule_specs(), outlook_shaped_specs()),
    day=st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
    all_day=st.booleans(),
    zone=st.sampled_from(["Europe/Brussels", "America/New_York", "Asia/Kolkata"]),
)
def test_property_rules_outlook_accepts_keep_their_occurrences(spec, day, all_day, zone):
    """Any rule Graph can hold comes back (through Graph's pattern) with the same occurrences;
    the others are refused, never approximated."""
    if all_day and isinstance(spec.until, dt.datetime):
        spec = dataclasses.replace(spec, until=spec.until.date())
    rule = format_rrule(spec)
    start = day if all_day else dt.datetime.combine(day, dt.time(9), ZoneInfo(zone))
    try:
        sent = graph_recurrence.graph_recurrence(
            rule, start=start, zone=ZoneInfo(zone), zone_name=to_windows(zone)
        )
    except graph_recurrence.Unexpressible as exc:
        assert rule in str(exc)
        return
    back = graph_recurrence.rrule_from_graph(sent, all_day=all_day, zone=ZoneInfo(zone))
    horizon = dt.date(2045, 1, 1) if all_day else dt.datetime(2045, 1, 1, tzinfo=UTC)
    month_day = spec.bymonthday or (() if spec.byday else (day.day,))
    if spec.freq == "MONTHLY" and month_day in ((29,), (30,), (31,)):
        # Outlook has no "skip the shorter months": its day 29..31 is that day, else the last.
        spec = dataclasses.replace(spec, bymonthday=(*month_day, -1), bysetpos=(1,))
    assert expand(back, start, zone, window_end=horizon, limit=40) == expand(
        format_rrule(spec), start, zone, window_end=horizon, limit=40
    )


@pytest.mark.parametrize("day", [29, 30, 31])
def test_outlook_day_29_to_31_is_that_day_else_the_last_one(day):
    pattern = {
        "pattern": {"type": "absoluteMonthly", "interval": 1, "dayOfMonth": day},
        "range": {"type": "numbered", "startDate": "2027-01-29", "numberOfOccurrences": 4},
    }
    rule = graph_recurrence.rrule_from_graph(pattern, all_day=True, zone=ZoneInfo("UTC"))
    assert rule == f"FREQ=MONTHLY;COUNT=4;BYMONTHDAY={day},-1;BYSETPOS=1"
    start = dt.date(2027, 1, day)
    assert expand(rule, start, "UTC", window_end=dt.date(2028, 1, 1)) == [
        start,
        dt.date(2027, 2, 28),
        dt.date(2027, 3, day),
        dt.date(2027, 4, min(day, 30)),
    ]
    sent = graph_recurrence.graph_recurrence(
        rule, start=start, zone=ZoneInfo("UTC"), zone_name="UTC"
    )
    assert sent["pattern"] == {"type": "absoluteMonthly", "dayOfMonth": day, "interval": 1}


def test_the_slot_of_a_bare_delta_occurrence_is_its_start():
    bare = {  # all a delta page gives of a plain occurrence
        "@odata.type": "#microsoft.graph.event",
        "@odata.etag": 'W/"abc"',
        "id": "occ",
        "seriesMasterId": "master",
        "type": "occurrence",
        "start": {"dateTime": "2030-01-07T08:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2030-01-07T09:00:00.0000000", "timeZone": "UTC"},
    }
    assert graph_mapper.occurrence_slot(bare) == dt.datetime(2030, 1, 7, 8, tzinfo=UTC)
    full = {**bare, "originalStart": "2030-01-07T08:00:00Z", "start": {"dateTime": "x"}}
    assert graph_mapper.occurrence_slot(full) == dt.datetime(2030, 1, 7, 8, tzinfo=UTC)
    assert graph_mapper.occurrence_slot({"id": "occ", "start": {"dateTime": "x"}}) is None


def test_nul_characters_postgresql_cannot_store_are_stripped():
    event = parse_event({**FULL_ITEM, "subject": "Weekly\x00 sync"})
    assert event.title == "Weekly sync"
