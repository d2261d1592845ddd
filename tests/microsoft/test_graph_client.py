"""GraphCalendarClient against the Microsoft emulator (HTTPS on loopback, nothing else)."""

from __future__ import annotations

import datetime as dt

import pytest

from calendar_sync_base.services.errors import (
    CursorExpired,
    RemoteRejected,
    SyncError,
)
from calendar_sync_base.services.model import (
    Attendee,
    Recurrence,
    Reminder,
    Response,
    ShowAs,
    SyncEvent,
)
from calendar_sync_base.services.protocol import OpKind, PushOp
from calendar_sync_microsoft.services.graph_batch import decode_batch
from calendar_sync_microsoft.services.graph_mapper import ODOO_ID_PROPERTY

from .conftest import EMAIL, UTC, make_client

BATCH = r"^/v1\.0/\$batch$"
DELTA = r"^/v1\.0/me/calendarView/delta$"
ZONE = "Romance Standard Time"


def local(day: int, hour: int = 9, month: int = 1) -> dict:
    return {"dateTime": f"2030-{month:02d}-{day:02d}T{hour:02d}:00:00", "timeZone": ZONE}


def outlook_event(title: str, day: int, **extra) -> dict:
    return {"subject": title, "start": local(day), "end": local(day, 10), **extra}


def weekly(title: str = "weekly", count: int = 5, **extra) -> dict:
    return outlook_event(
        title,
        7,  # Monday 7 January 2030
        recurrence={
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {"type": "numbered", "startDate": "2030-01-07", "numberOfOccurrences": count},
        },
        **extra,
    )


def timed(title: str, day: int, odoo_id: int | None = None, **extra) -> SyncEvent:
    start = dt.datetime(2030, 1, day, 8, tzinfo=UTC)  # 09:00 Brussels
    return SyncEvent(
        title=title,
        start=start,
        stop=start + dt.timedelta(hours=1),
        timezone="Europe/Brussels",
        organizer_email=EMAIL,
        odoo_id=odoo_id,
        **extra,
    )


def creates(count: int, first: int = 1) -> list[PushOp]:
    return [
        PushOp(OpKind.CREATE, f"calendar.event,{i}", timed(f"event {i}", 1 + i % 28, odoo_id=i))
        for i in range(first, first + count)
    ]


def envelopes(ms) -> list:
    return ms.requests.filter(method="POST", path_regex=BATCH, in_batch=False)


def parts_of(envelope) -> list[dict]:
    return envelope.json()["requests"]


# --------------------------------------------------------------------------- pull


def test_full_listing_pages_and_hands_over_the_delta_link(ms, session, provider):
    for day in range(1, 8):
        ms.insert_event(EMAIL, outlook_event(f"o{day}", day))
    client = make_client(ms, session, provider, page_size=3)
    changes = client.list_changes("")
    assert sorted(e.title for e in changes.events) == [f"o{d}" for d in range(1, 8)]
    assert changes.full_resync and not changes.unreadable
    assert changes.next_cursor.startswith("/me/calendarView/delta?")  # relative: host-free
    pages = ms.requests.filter(method="GET", path_regex=DELTA)
    assert len(pages) == 3
    first = pages[0]
    assert first.arg("startDateTime") == "2029-11-01T00:00:00Z"
    assert first.arg("endDateTime") == "2031-01-01T00:00:00Z"
    assert all("odata.maxpagesize=3" in r.headers["Prefer"] for r in pages)
    assert all('outlook.timezone="UTC"' in r.headers["Prefer"] for r in pages)
    assert [bool(r.arg("$skiptoken")) for r in pages] == [False, True, True]
    event = next(e for e in changes.events if e.title == "o3")
    assert event.start == dt.datetime(2030, 1, 3, 8, tzinfo=UTC)
    assert event.timezone == "Europe/Brussels"  # Romance Standard Time, with the user's hint
    assert event.organizer_email == EMAIL and event.etag and event.ical_uid


def test_one_page_at_a_time_resumes_from_its_next_link(ms, session, provider):
    for day in range(1, 6):
        ms.insert_event(EMAIL, outlook_event(f"o{day}", day))
    page = make_client(ms, session, provider, page_size=2).list_page("")
    assert len(page.events) == 2 and not page.next_cursor
    assert page.next_page.startswith("/me/calendarView/delta?")  # relative, like the cursor
    # A new client (another process, after a crash) goes on from the stored page token.
    client = make_client(ms, session, provider, page_size=2)
    titles = [e.title for e in page.events]
    while page.next_page:
        page = client.list_page("", page.next_page)
        titles += [e.title for e in page.events]
    assert sorted(titles) == [f"o{d}" for d in range(1, 6)]
    assert page.next_cursor.startswith("/me/calendarView/delta?") and page.full_resync
    assert len(ms.requests.filter(method="GET", path_regex=DELTA)) == 3
    assert client.list_changes(page.next_cursor).events == []


def test_incremental_listing_follows_the_stored_delta_link(ms, session, provider):
    kept = [ms.insert_event(EMAIL, outlook_event(f"o{day}", day)) for day in range(1, 4)]
    client = make_client(ms, session, provider, page_size=2)
    cursor = client.list_changes("").next_cursor
    ms.requests.clear()
    ms.patch_event(EMAIL, kept[0]["id"], {"subject": "renamed"})
    ms.delete_event(EMAIL, kept[1]["id"])
    for day in (10, 11, 12):
        ms.insert_event(EMAIL, outlook_event(f"new{day}", day))
    changes = client.list_changes(cursor)
    by_id = {e.remote_id: e for e in changes.events}
    assert len(by_id) == 5 and not changes.full_resync
    assert by_id[kept[0]["id"]].title == "renamed"
    assert by_id[kept[1]["id"]].cancelled
    assert changes.next_cursor and changes.next_cursor != cursor
    assert ms.requests.filter(path_regex=DELTA)[0].arg("$deltatoken")
    assert client.list_changes(changes.next_cursor).events == []


def test_a_cursor_for_another_host_is_never_followed(client, ms):
    with pytest.raises(CursorExpired):
        client.list_changes("https://evil.example.com/v1.0/me/calendarView/delta?$deltatoken=x")
    assert ms.requests.count() == 0


def test_series_come_as_masters_with_exdates_and_exceptions_only(client, ms, delta_shape):
    series = ms.insert_event(EMAIL, weekly())
    occurrences = ms.instances(EMAIL, series["id"])
    ms.patch_event(
        EMAIL, occurrences[1]["id"], {"subject": "moved", "start": local(15), "end": local(15, 10)}
    )
    ms.delete_event(EMAIL, occurrences[2]["id"])
    changes = client.list_changes("")
    assert [e.title for e in changes.events] == ["weekly", "moved"]  # master first
    master, exception = changes.events
    assert master.remote_id == series["id"] and not master.is_occurrence
    assert master.recurrence == Recurrence(
        "FREQ=WEEKLY;COUNT=5;BYDAY=MO", exdates=(dt.datetime(2030, 1, 21, 8, tzinfo=UTC),)
    )
    assert exception.master_remote_id == series["id"]
    assert exception.original_start == dt.datetime(2030, 1, 14, 8, tzinfo=UTC)
    assert exception.start == dt.datetime(2030, 1, 15, 8, tzinfo=UTC)
    # One $batch reads the master and its instances; plain occurrences cost nothing more.
    assert len(envelopes(ms)) == 1


def test_a_series_renamed_in_outlook_comes_as_its_master_alone(ms, session, provider, delta_shape):
    series = ms.insert_event(EMAIL, weekly())
    client = make_client(ms, session, provider)
    cursor = client.list_changes("").next_cursor
    ms.patch_event(EMAIL, series["id"], {"subject": "renamed"})
    ms.requests.clear()
    changes = client.list_changes(cursor)
    assert [(e.remote_id, e.title) for e in changes.events] == [(series["id"], "renamed")]
    assert changes.unreadable == []


def test_an_occurrence_deleted_in_outlook_becomes_an_exdate_of_its_master(client, ms, delta_shape):
    series = ms.insert_event(EMAIL, weekly())
    cursor = client.list_changes("").next_cursor
    deleted = ms.instances(EMAIL, series["id"])[3]["id"]
    ms.delete_event(EMAIL, deleted)
    ms.requests.clear()
    changes = client.list_changes(cursor)
    # Graph gives no sign of the deleted occurrence (microsoft-graph-docs#4501): the series
    # comes again because its master changed, and its instances tell which slot is gone.
    assert not any(deleted in request.path for request in ms.requests), "no removal to check"
    (master,) = changes.events
    assert master.remote_id == series["id"]
    assert master.recurrence.exdates == (dt.datetime(2030, 1, 28, 8, tzinfo=UTC),)


def last_in_window() -> dict:
    """A weekly series of three whose first occurrence alone is in the window."""
    return {
        "subject": "year end",
        "start": local(30, month=12),  # Monday 30 December 2030; the window ends on 1 January
        "end": local(30, 10, month=12),
        "recurrence": {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {"type": "numbered", "startDate": "2030-12-30", "numberOfOccurrences": 3},
        },
    }


def test_the_last_occurrence_in_the_window_deleted_in_outlook_becomes_an_exdate(
    client, ms, delta_shape
):
    series = ms.insert_event(EMAIL, last_in_window())
    cursor = client.list_changes("").next_cursor
    ms.delete_event(EMAIL, ms.instances(EMAIL, series["id"])[0]["id"])
    # Nothing of the series is left in the window: Graph lists its master as removed, and the
    # check finds it still there.
    (master,) = client.list_changes(cursor).events
    assert master.remote_id == series["id"] and not master.cancelled
    assert master.recurrence.exdates == (dt.datetime(2030, 12, 30, 8, tzinfo=UTC),)


def test_a_removed_occurrence_reaches_the_series_through_series_ids(
    ms, session, provider, delta_shape
):
    ms.delta_occurrence_removals = True  # the occurrence's own @removed, nothing else
    try:
        series = ms.insert_event(EMAIL, last_in_window())
        client = make_client(ms, session, provider, series_ids=lambda: [series["id"]])
        cursor = client.list_changes("").next_cursor
        ms.delete_event(EMAIL, ms.instances(EMAIL, series["id"])[0]["id"])
        changes = client.list_changes(cursor)
    finally:
        ms.delta_occurrence_removals = False
    master = next(e for e in changes.events if e.remote_id == series["id"])
    assert master.recurrence.exdates == (dt.datetime(2030, 12, 30, 8, tzinfo=UTC),)


def test_a_deleted_linked_single_event_does_not_reread_every_series(ms, session, provider):
    series = ms.insert_event(EMAIL, weekly())
    single = ms.insert_event(EMAIL, outlook_event("one-off", 3))
    client = make_client(
        ms,
        session,
        provider,
        series_ids=lambda: [series["id"]],
        linked_ids=lambda ids: [rid for rid in ids if rid == single["id"]],
    )
    cursor = client.list_changes("").next_cursor
    ms.delete_event(EMAIL, single["id"])
    ms.requests.clear()
    changes = client.list_changes(cursor)
    assert [(e.remote_id, e.cancelled) for e in changes.events] == [(single["id"], True)]
    assert not any(series["id"] in req.path for req in ms.requests), "no series re-read"


def test_a_deleted_series_comes_back_as_a_cancelled_master(ms, session, provider, delta_shape):
    series = ms.insert_event(EMAIL, weekly())
    client = make_client(ms, session, provider, series_ids=lambda: [series["id"]])
    cursor = client.list_changes("").next_cursor
    ms.delete_event(EMAIL, series["id"])
    changes = client.list_changes(cursor)
    master = next(e for e in changes.events if e.remote_id == series["id"])
    assert master.cancelled


def test_a_removal_that_cannot_be_confirmed_keeps_the_cursor_until_it_can(client, ms, sleeps):
    event = ms.insert_event(EMAIL, outlook_event("cancelled trip", 4))
    cursor = client.list_changes("").next_cursor
    ms.delete_event(EMAIL, event["id"])
    fault = ms.faults.add(status=503, times=None, in_batch=True, path_regex=event["id"])
    changes = client.list_changes(cursor)
    assert not changes.complete and changes.events == [] and changes.unreadable == []
    ms.faults.remove(fault)
    changes = client.list_changes(cursor)  # the same delta, read again
    assert changes.complete
    assert [(e.remote_id, e.cancelled) for e in changes.events] == [(event["id"], True)]


def test_a_series_master_that_cannot_be_read_keeps_the_cursor(client, ms, sleeps):
    series = ms.insert_event(EMAIL, weekly())
    cursor = client.list_changes("").next_cursor
    ms.patch_event(EMAIL, series["id"], {"subject": "renamed"})
    fault = ms.faults.add(status=503, times=None, in_batch=True, path_regex=series["id"])
    changes = client.list_changes(cursor)
    assert not changes.complete and changes.events == []
    ms.faults.remove(fault)
    (master,) = client.list_changes(cursor).events
    assert master.title == "renamed"


def test_an_event_moved_out_of_the_window_is_not_deleted(client, ms):
    event = ms.insert_event(EMAIL, outlook_event("trip", 4))
    cursor = client.list_changes("").next_cursor
    ms.patch_event(
        EMAIL,
        event["id"],
        {"start": {"dateTime": "2032-01-04T09:00:00", "timeZone": ZONE},
         "end": {"dateTime": "2032-01-04T10:00:00", "timeZone": ZONE}},
    )  # fmt: skip
    changes = client.list_changes(cursor)
    (moved,) = changes.events
    assert moved.remote_id == event["id"] and not moved.cancelled
    assert moved.start == dt.datetime(2032, 1, 4, 8, tzinfo=UTC)


def test_cancelled_meeting_and_unreadable_items(client, ms):
    invite = ms.insert_event(EMAIL, outlook_event("standup", 2), organizer="bob@example.com")
    ms.cancel_meeting(EMAIL, invite["id"])
    ms.insert_event(EMAIL, outlook_event("fine", 3))
    changes = client.list_changes("")
    by_title = {e.title: e for e in changes.events}
    assert by_title["standup"].cancelled
    assert by_title["standup"].organizer_email == "bob@example.com"
    assert not by_title["fine"].cancelled and changes.unreadable == []


def test_fetch_find_by_odoo_id_and_instance_id(client, ms):
    series = ms.insert_event(EMAIL, weekly())
    occurrences = ms.instances(EMAIL, series["id"])
    ms.delete_event(EMAIL, occurrences[4]["id"])
    fetched = client.fetch(series["id"])
    assert fetched.recurrence.exdates == (dt.datetime(2030, 2, 4, 8, tzinfo=UTC),)
    slot = dt.datetime(2030, 1, 14, 8, tzinfo=UTC)
    assert client.instance_id(series["id"], slot, False) == occurrences[1]["id"]
    assert client.instance_id(series["id"], slot + dt.timedelta(hours=1), False) == ""
    assert client.fetch("AAMkAGI2TG93AAA=") is None  # malformed: cannot exist
    gone = ms.insert_event(EMAIL, outlook_event("gone", 3))
    ms.delete_event(EMAIL, gone["id"])
    assert client.fetch(gone["id"]) is None
    (result,) = client.apply([PushOp(OpKind.CREATE, "calendar.event,77", timed("x", 9, 77))])
    assert client.find_by_odoo_id(77).remote_id == result.event.remote_id
    assert client.find_by_odoo_id(78) is None


# --------------------------------------------------------------------------- push


def test_45_creates_go_in_3_batches_with_the_odoo_id(client, ms):
    ops = creates(45)
    results = client.apply(ops)
    assert all(r.ok for r in results)
    assert len(envelopes(ms)) == 3
    assert [len(parts_of(e)) for e in envelopes(ms)] == [20, 20, 5]
    assert len({r.event.remote_id for r in results}) == 45
    first = results[0].event
    assert first.odoo_id == 1 and first.title == "event 1" and first.etag
    assert ms.extended_property(EMAIL, first.remote_id, ODOO_ID_PROPERTY) == "1"
    sent = parts_of(envelopes(ms)[0])[0]
    assert sent["method"] == "POST" and sent["url"] == "/me/events"
    assert sent["body"]["transactionId"] and sent["headers"]["Content-Type"] == "application/json"
    assert len(ms.events(EMAIL)) == 45


def test_a_throttled_part_is_sent_again_alone(client, ms, sleeps):
    ms.faults.mailbox_concurrency(times=1, retry_after=7, nth=3, method="POST")
    results = client.apply(creates(5))
    assert all(r.ok for r in results)
    sizes = [len(parts_of(e)) for e in envelopes(ms)]
    assert sizes == [5, 1]
    assert sleeps == [7]
    assert len(ms.events(EMAIL)) == 5


def test_update_sends_if_match_and_a_stale_change_key_is_a_conflict(client, ms):
    (created,) = client.apply(creates(1))
    event = created.event
    ms.requests.clear()
    (updated,) = client.apply([PushOp(OpKind.UPDATE, "k", event.replace(title="renamed"))])
    assert updated.ok and updated.event.title == "renamed"
    assert updated.event.etag != event.etag
    part = parts_of(envelopes(ms)[0])[0]
    assert part["method"] == "PATCH" and part["headers"]["If-Match"] == f'W/"{event.etag}"'
    (stale,) = client.apply([PushOp(OpKind.UPDATE, "k", event.replace(title="again"))])
    assert stale.conflict and not stale.ok
    assert ms.get_event(EMAIL, event.remote_id)["subject"] == "renamed"


def test_reply_accepts_an_invitation(client, ms):
    invite = ms.insert_event(EMAIL, outlook_event("review", 8), organizer="bob@example.com")
    mine = Attendee(EMAIL, response=Response.ACCEPTED)
    event = timed("review", 8).replace(remote_id=invite["id"], attendees=(mine,))
    (result,) = client.apply([PushOp(OpKind.REPLY, "calendar.event,5", event)])
    assert result.ok
    part = parts_of(envelopes(ms)[0])[0]
    assert part["method"] == "POST" and part["url"].endswith("/accept")
    assert part["body"] == {"sendResponse": True}
    assert ms.get_event(EMAIL, invite["id"])["responseStatus"]["response"] == "accepted"
    own = [a for a in result.event.attendees if a.email == EMAIL]
    assert own and own[0].response == Response.ACCEPTED


def test_editing_a_meeting_organized_by_someone_else_is_refused_not_retried(client, ms):
    invite = ms.insert_event(EMAIL, outlook_event("review", 8), organizer="bob@example.com")
    event = timed("mine now", 8).replace(remote_id=invite["id"])
    (result,) = client.apply([PushOp(OpKind.UPDATE, "calendar.event,5", event)])
    assert isinstance(result.error, RemoteRejected) and not result.retryable
    assert result.error.status == 403 and result.error.reason == "ErrorAccessDenied"
    assert ms.requests.count(method="PATCH", in_batch=True) == 1  # once, never again


def test_series_round_trip_with_exdates_pushed_as_deleted_occurrences(client, ms):
    start = dt.datetime(2030, 1, 7, 8, tzinfo=UTC)
    series = timed("weekly", 7, odoo_id=None).replace(
        start=start,
        stop=start + dt.timedelta(hours=1),
        reminders=(Reminder(10), Reminder(30)),
        show_as=ShowAs.FREE,
        recurrence=Recurrence(
            "FREQ=WEEKLY;COUNT=4;BYDAY=MO", exdates=(dt.datetime(2030, 1, 14, 8, tzinfo=UTC),)
        ),
    )
    (created,) = client.apply([PushOp(OpKind.CREATE, "calendar.recurrence,3", series)])
    assert created.ok
    master_id = created.event.remote_id
    slots = [o["originalStart"] for o in ms.instances(EMAIL, master_id)]
    assert slots == ["2030-01-07T08:00:00Z", "2030-01-21T08:00:00Z", "2030-01-28T08:00:00Z"]
    raw = ms.get_event(EMAIL, master_id)
    assert raw["recurrence"]["pattern"]["daysOfWeek"] == ["monday"]
    assert raw["reminderMinutesBeforeStart"] == 30 and raw["showAs"] == "free"
    assert raw["originalStartTimeZone"] == ZONE
    pulled = client.fetch(master_id)
    assert pulled.recurrence == Recurrence(
        "FREQ=WEEKLY;COUNT=4;BYDAY=MO", exdates=(dt.datetime(2030, 1, 14, 8, tzinfo=UTC),)
    )


SERVER_KEPT = {"subject", "changeKey", "@odata.etag", "lastModifiedDateTime"}


def test_partial_update_leaves_what_odoo_did_not_change(client, ms):
    remote = ms.insert_event(
        EMAIL,
        outlook_event(
            "Planning",
            3,
            location={
                "displayName": "HQ",
                "address": {"street": "1 Main St", "city": "Brussels"},
            },
            attendees=[
                {"type": "optional", "emailAddress": {"address": "bob@example.org"}},
                {"type": "resource", "emailAddress": {"address": "room@example.org"}},
            ],
        ),
    )
    before = ms.get_event(EMAIL, remote["id"])
    current = client.fetch(remote["id"])
    op = PushOp(OpKind.UPDATE, "k", current.replace(title="Planning (v2)"), fields=("title",))
    (result,) = client.apply([op])
    assert result.ok
    after = ms.get_event(EMAIL, remote["id"])
    assert after["subject"] == "Planning (v2)"
    kept = {k: v for k, v in after.items() if k not in SERVER_KEPT}
    assert kept == {k: v for k, v in before.items() if k not in SERVER_KEPT}


def test_renaming_a_series_is_one_patch_without_reading_the_master(client, ms):
    master = ms.insert_event(EMAIL, weekly())
    current = client.fetch(master["id"])
    ms.requests.clear()
    op = PushOp(OpKind.UPDATE, "k", current.replace(title="renamed"), fields=("title",))
    assert client.apply([op])[0].ok
    parts = ms.requests.filter(in_batch=True)
    assert [(part.method, part.json()) for part in parts] == [("PATCH", {"subject": "renamed"})]
    assert {o["subject"] for o in ms.instances(EMAIL, master["id"])} == {"renamed"}


def test_renaming_a_series_keeps_its_exceptions(client, ms):
    master = ms.insert_event(EMAIL, weekly())
    occurrences = ms.instances(EMAIL, master["id"])
    ms.patch_event(EMAIL, occurrences[1]["id"], {"subject": "special"})
    current = client.fetch(master["id"])
    (result,) = client.apply([PushOp(OpKind.UPDATE, "k", current.replace(title="renamed"))])
    assert result.ok
    patch = parts_of(envelopes(ms)[-1])[0]["body"]
    assert "recurrence" not in patch and "start" not in patch and patch["subject"] == "renamed"
    subjects = [o["subject"] for o in ms.instances(EMAIL, master["id"])]
    assert subjects == ["renamed", "special", "renamed", "renamed", "renamed"]
    # Another IANA name for the same Windows zone is no change of time either.
    current = client.fetch(master["id"])
    paris = current.replace(title="again", timezone="Europe/Paris")
    assert client.apply([PushOp(OpKind.UPDATE, "k", paris)])[0].ok
    assert [o["subject"] for o in ms.instances(EMAIL, master["id"])][1] == "special"
    # A real change of time is sent, and Outlook then drops the exceptions, as it does.
    later = client.fetch(master["id"])
    moved = later.replace(
        start=later.start + dt.timedelta(hours=1), stop=later.stop + dt.timedelta(hours=1)
    )
    assert client.apply([PushOp(OpKind.UPDATE, "k", moved)])[0].ok
    assert "start" in parts_of(envelopes(ms)[-1])[0]["body"]
    assert [o["subject"] for o in ms.instances(EMAIL, master["id"])][1] == "again"


def test_an_occurrence_edited_alone_is_addressed_by_series_and_slot(client, ms):
    master = ms.insert_event(EMAIL, weekly())
    slot = dt.datetime(2030, 1, 21, 8, tzinfo=UTC)
    exception = timed("only this one", 21).replace(
        master_remote_id=master["id"], original_start=slot
    )
    (result,) = client.apply([PushOp(OpKind.UPDATE, "calendar.event,9", exception)])
    assert result.ok and result.event.master_remote_id == master["id"]
    subjects = [o["subject"] for o in ms.instances(EMAIL, master["id"])]
    assert subjects == ["weekly", "weekly", "only this one", "weekly", "weekly"]
    gone = exception.replace(original_start=dt.datetime(2030, 1, 28, 8, tzinfo=UTC))
    assert client.apply([PushOp(OpKind.DELETE, "calendar.event,10", gone)])[0].ok
    assert len(ms.instances(EMAIL, master["id"])) == 4


def test_ops_that_cannot_be_expressed_fail_alone(client, ms):
    bad = timed("hourly", 3, odoo_id=5).replace(recurrence=Recurrence("FREQ=HOURLY"))
    results = client.apply([*creates(1), PushOp(OpKind.CREATE, "calendar.event,5", bad)])
    assert results[0].ok
    assert isinstance(results[1].error, RemoteRejected) and not results[1].retryable
    assert "FREQ=HOURLY" in str(results[1].error)
    assert len(ms.events(EMAIL)) == 1


def test_network_failure_keeps_ops_queued(client, ms):
    ms.faults.add(drop_connection=True, times=None, path_regex=BATCH)
    results = client.apply(creates(2))
    assert all(r.retryable and isinstance(r.error, SyncError) for r in results)


def test_decode_batch_matches_answers_by_id_in_any_order():
    payload = {
        "responses": [
            {"id": "1", "status": 204, "headers": {}},
            {"id": "0", "status": 429, "headers": {"Retry-After": "3"}, "body": {"error": {}}},
            {"id": "7", "status": 200},
            {"id": "x", "status": 200},
        ]
    }
    first, second, third = decode_batch(payload, 3)
    assert (first.status, first.headers) == (429, {"Retry-After": "3"})
    assert second.status == 204 and third.status is None
