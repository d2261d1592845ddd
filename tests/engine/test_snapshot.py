import datetime as dt
import json
from zoneinfo import ZoneInfo

from hypothesis import given, settings

from calendar_sync_base.services.model import (
    SYNCED_FIELDS,
    UTC,
    Attendee,
    Privacy,
    Recurrence,
    Reminder,
    Response,
    SyncEvent,
)
from calendar_sync_base.services.snapshot import from_snapshot, synced_values, to_snapshot

from .strategies import sync_events

PROPERTY = settings(max_examples=60, deadline=None, database=None)


def meeting(**changes) -> SyncEvent:
    event = SyncEvent(
        title="Weekly sync",
        start=dt.datetime(2024, 3, 18, 8, 0, tzinfo=UTC),
        stop=dt.datetime(2024, 3, 18, 9, 0, tzinfo=UTC),
        timezone="Europe/Brussels",
        attendees=(
            Attendee("zoe@example.com", "Zoe", Response.ACCEPTED),
            Attendee("adam@example.com", "Adam"),
        ),
        reminders=(Reminder(30, "email"), Reminder(10)),
        privacy=Privacy.PRIVATE,
        recurrence=Recurrence("FREQ=WEEKLY;BYDAY=MO", (dt.datetime(2024, 3, 25, 8, tzinfo=UTC),)),
        remote_id="abc",
        etag='"1"',
        odoo_id=42,
    )
    return event.replace(**changes)


def test_snapshot_holds_synced_fields_only_as_json():
    snapshot = to_snapshot(meeting())
    assert set(snapshot) == set(SYNCED_FIELDS)
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["start"] == "2024-03-18T08:00:00+00:00"
    assert snapshot["privacy"] == "private"
    assert [a["email"] for a in snapshot["attendees"]] == ["adam@example.com", "zoe@example.com"]
    assert snapshot["attendees"][1]["response"] == "accepted"
    assert snapshot["reminders"] == [
        {"minutes": 10, "method": "popup"},
        {"minutes": 30, "method": "email"},
    ]
    assert snapshot["recurrence"] == {
        "rrule": "FREQ=WEEKLY;BYDAY=MO",
        "exdates": ["2024-03-25T08:00:00+00:00"],
    }


def test_all_day_snapshot_uses_iso_dates():
    event = SyncEvent(
        title="Holiday", start=dt.date(2024, 8, 1), stop=dt.date(2024, 8, 3), all_day=True
    )
    snapshot = to_snapshot(event)
    assert (snapshot["start"], snapshot["stop"]) == ("2024-08-01", "2024-08-03")
    assert from_snapshot(snapshot).start == dt.date(2024, 8, 1)


def test_from_snapshot_drops_identity_and_tolerates_missing_or_unknown_keys():
    restored = from_snapshot(to_snapshot(meeting()))
    assert restored.remote_id == "" and restored.odoo_id is None
    assert from_snapshot({"title": "x", "added_later": 1}) == SyncEvent(title="x")


@PROPERTY
@given(sync_events())
def test_snapshot_round_trip(event):
    snapshot = json.loads(json.dumps(to_snapshot(event)))
    restored = from_snapshot(snapshot)
    assert to_snapshot(restored) == snapshot
    assert synced_values(restored) == synced_values(event)


def test_synced_values_ignore_provider_spelling():
    local = meeting()
    remote = meeting(
        title="  Weekly   sync ",
        start=dt.datetime(2024, 3, 18, 9, 0, 0, 1234, tzinfo=ZoneInfo("Europe/Brussels")),
        description="\n",
        attendees=(
            Attendee("ZOE@example.com", "", Response.ACCEPTED),
            Attendee("adam@example.com", "Adam Smith"),
        ),
        reminders=(Reminder(10), Reminder(30, "email")),
        recurrence=Recurrence(
            "RRULE:BYDAY=MO;FREQ=WEEKLY;INTERVAL=1",
            (dt.datetime(2024, 3, 25, 9, tzinfo=ZoneInfo("Europe/Brussels")),),
        ),
    )
    assert synced_values(remote) == synced_values(local)


def test_synced_values_see_real_changes():
    local = synced_values(meeting())
    assert synced_values(meeting(title="Other")) != local
    responded = meeting(
        attendees=(
            Attendee("zoe@example.com", "Zoe", Response.DECLINED),
            Attendee("adam@example.com", "Adam"),
        )
    )
    assert synced_values(responded)["attendees"] != local["attendees"]
    assert synced_values(meeting(description="a  b"))["description"] == "a b"


def test_all_day_time_zone_is_not_a_change():
    day = SyncEvent(start=dt.date(2024, 1, 1), stop=dt.date(2024, 1, 2), all_day=True)
    assert synced_values(day.replace(timezone="Asia/Tokyo")) == synced_values(day)
