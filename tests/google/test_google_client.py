"""GoogleCalendarClient against the Google Calendar emulator (no network beyond loopback)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from calendar_sync_base.services.errors import (
    AuthExpired,
    RemoteRejected,
    Throttled,
)
from calendar_sync_base.services.model import Attendee, Recurrence, Reminder, Response, SyncEvent
from calendar_sync_base.services.protocol import OpKind, PushOp

from .conftest import EMAIL, make_client

UTC = dt.timezone.utc  # noqa: UP017 - the code under test must run on Python 3.10
BATCH = r"^/batch/calendar/v3$"
EVENTS = r"^/calendar/v3/calendars/[^/]+/events"


def timed(title: str, day: int, odoo_id: int | None = None, **extra) -> SyncEvent:
    start = dt.datetime(2030, 1, day, 9, tzinfo=UTC)
    return SyncEvent(
        title=title,
        start=start,
        stop=start + dt.timedelta(hours=1),
        timezone="Europe/Brussels",
        odoo_id=odoo_id,
        **extra,
    )


def google_body(title: str, day: int, **extra) -> dict:
    return {
        "summary": title,
        "start": {"dateTime": f"2030-02-{day:02d}T10:00:00+01:00", "timeZone": "Europe/Brussels"},
        "end": {"dateTime": f"2030-02-{day:02d}T11:00:00+01:00", "timeZone": "Europe/Brussels"},
        **extra,
    }


def creates(count: int, first_odoo_id: int = 1) -> list[PushOp]:
    return [
        PushOp(OpKind.CREATE, f"calendar.event,{i}", timed(f"event {i}", 1 + i % 28, odoo_id=i))
        for i in range(first_odoo_id, first_odoo_id + count)
    ]


def envelopes(google) -> list:
    return google.requests.filter(method="POST", path_regex=BATCH, in_batch=False)


def parts_of(envelope) -> int:
    return envelope.body.count(b"Content-Type: application/http")


# --------------------------------------------------------------------------- pull


def test_full_listing_pages_and_hands_over_the_sync_token(google, session, provider):
    for day in range(1, 8):
        google.insert_event(EMAIL, google_body(f"g{day}", day))
    window = dt.datetime(2029, 1, 1, tzinfo=UTC)
    client = make_client(google, session, provider, page_size=3, window_start=window)
    changes = client.list_changes("")
    assert sorted(e.title for e in changes.events) == [f"g{d}" for d in range(1, 8)]
    assert changes.full_resync and changes.next_cursor
    lists = google.requests.filter(method="GET", path_regex=EVENTS)
    assert len(lists) == 3
    assert all(r.arg("timeMin") == "2029-01-01T00:00:00Z" for r in lists)
    assert all(r.arg("showDeleted") == "true" and r.arg("maxResults") == "3" for r in lists)
    assert [bool(r.arg("pageToken")) for r in lists] == [False, True, True]
    event = changes.events[0]
    assert event.timezone == "Europe/Brussels" and event.organizer_email == EMAIL


def test_one_page_at_a_time_resumes_from_its_page_token(google, session, provider):
    for day in range(1, 6):
        google.insert_event(EMAIL, google_body(f"g{day}", day))
    window = dt.datetime(2029, 1, 1, tzinfo=UTC)
    first = make_client(google, session, provider, page_size=2, window_start=window)
    page = first.list_page("")
    assert len(page.events) == 2 and page.next_page and not page.next_cursor
    # A new client (another process, after a crash, with a window computed later) goes on
    # from the stored page token: the listing keeps its own window.
    later = window + dt.timedelta(seconds=5)
    client = make_client(google, session, provider, page_size=2, window_start=later)
    titles = [e.title for e in page.events]
    while page.next_page:
        page = client.list_page("", page.next_page)
        titles += [e.title for e in page.events]
    assert sorted(titles) == [f"g{d}" for d in range(1, 6)]
    assert page.next_cursor and page.full_resync
    lists = google.requests.filter(method="GET", path_regex=EVENTS)
    assert len(lists) == 3
    assert all(r.arg("timeMin") == "2029-01-01T00:00:00Z" for r in lists)
    assert client.list_changes(page.next_cursor).events == []


def test_incremental_listing_pages_with_the_sync_token_and_no_time_min(google, session, provider):
    kept = [google.insert_event(EMAIL, google_body(f"g{day}", day)) for day in range(1, 4)]
    client = make_client(
        google, session, provider, page_size=2, window_start=dt.datetime(2029, 1, 1, tzinfo=UTC)
    )
    cursor = client.list_changes("").next_cursor
    google.requests.clear()
    google.patch_event(EMAIL, kept[0]["id"], {"summary": "renamed"})
    google.delete_event(EMAIL, kept[1]["id"])
    for day in (10, 11, 12):
        google.insert_event(EMAIL, google_body(f"new{day}", day))
    changes = client.list_changes(cursor)
    by_id = {e.remote_id: e for e in changes.events}
    assert len(by_id) == 5 and not changes.full_resync
    assert by_id[kept[0]["id"]].title == "renamed"
    assert by_id[kept[1]["id"]].cancelled
    assert changes.next_cursor and changes.next_cursor != cursor
    lists = google.requests.filter(method="GET", path_regex=EVENTS)
    assert len(lists) == 3
    assert all(r.arg("syncToken") == cursor and r.arg("timeMin") is None for r in lists)
    assert client.list_changes(changes.next_cursor).events == []


def test_fetch_instances_and_find_by_odoo_id(client, google):
    series = google.insert_event(
        EMAIL,
        google_body(
            "weekly",
            3,
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=4", "EXDATE;TZID=Europe/Brussels:20300210T100000"],
            extendedProperties={"private": {"odoo_id": "77"}},
        ),
    )
    fetched = client.fetch(series["id"])
    assert fetched.recurrence == Recurrence(
        "FREQ=WEEKLY;COUNT=4", (dt.datetime(2030, 2, 10, 9, tzinfo=UTC),)
    )
    occurrences = client.instances(series["id"])
    assert [o.original_start.day for o in occurrences] == [3, 17, 24]
    assert all(o.master_remote_id == series["id"] for o in occurrences)
    assert client.find_by_odoo_id(77).remote_id == series["id"]
    assert client.find_by_odoo_id(78) is None
    google.delete_event(EMAIL, series["id"])
    assert client.fetch(series["id"]) is None
    assert client.fetch("unknown12345") is None


def test_fetch_uses_the_calendar_zone_for_events_without_one(client, google):
    created = google.insert_event(
        EMAIL,
        {
            "summary": "bare",
            "start": {"dateTime": "2030-01-01T10:00:00Z"},
            "end": {"dateTime": "2030-01-01T11:00:00Z"},
        },
    )
    assert client.fetch(created["id"]).timezone == "Europe/Brussels"


def test_default_reminders_resolve_the_same_way_in_fetch_and_list(google, session, provider):
    created = google.insert_event(EMAIL, google_body("defaults", 2))
    fetched = make_client(google, session, provider).fetch(created["id"])
    [listed] = make_client(google, session, provider).list_changes("").events
    assert fetched.reminders == listed.reminders == (Reminder(10, "popup"),)
    assert google.requests.count(path_regex="/users/me/calendarList/") == 1


# --------------------------------------------------------------------------- push


def test_120_creates_go_in_three_batch_requests(google, session, provider):
    client = make_client(google, session, provider, batch_size=50)
    ops = creates(120)
    results = client.apply(ops)
    assert [r.key for r in results] == [op.key for op in ops]
    assert all(r.ok and r.event.remote_id and r.event.etag for r in results)
    assert [parts_of(e) for e in envelopes(google)] == [50, 50, 20]
    assert session.request_count == 3
    assert google.requests.count(in_batch=False) == 3
    assert google.requests.count(method="POST", path_regex=EVENTS, in_batch=True) == 120
    stored = google.events(EMAIL)
    assert len(stored) == 120
    assert {e["extendedProperties"]["private"]["odoo_id"] for e in stored} == {
        str(i) for i in range(1, 121)
    }
    assert {r.event.odoo_id for r in results} == set(range(1, 121))


def test_batch_size_is_capped_at_googles_limit(google, session, provider):
    assert make_client(google, session, provider, batch_size=5000).batch_size == 1000
    with pytest.raises(ValueError):
        make_client(google, session, provider, batch_size=0)


def test_partial_update_leaves_what_odoo_did_not_change(client, google):
    remote = google.insert_event(
        EMAIL,
        google_body(
            "Planning",
            3,
            attendees=[{"email": "room@example.org", "resource": True, "comment": "booked"}],
            reminders={"useDefault": True},
            conferenceData={"conferenceId": "abc-defg-hij"},
        ),
    )
    current = client.fetch(remote["id"])
    op = PushOp(OpKind.UPDATE, "k", current.replace(title="Planning (v2)"), fields=("title",))
    [result] = client.apply([op])
    assert result.ok
    after = google.get_event(EMAIL, remote["id"])
    ignored = {"summary", "etag", "updated", "sequence"}
    assert {k: v for k, v in after.items() if k not in ignored} == {
        k: v for k, v in remote.items() if k not in ignored
    }
    assert after["summary"] == "Planning (v2)"


def test_guest_list_sent_keeps_what_google_holds_for_guests_who_stay(client, google):
    remote = google.insert_event(
        EMAIL,
        google_body(
            "Planning",
            4,
            attendees=[
                {"email": "bob@example.org", "responseStatus": "tentative", "comment": "late"},
                {"email": "eve@example.org", "additionalGuests": 2},
            ],
        ),
    )
    current = client.fetch(remote["id"])
    carol = Attendee("carol@example.org", name="Carol")
    bob = Attendee("bob@example.org")  # Odoo's copy: no comment, an older answer
    edited = current.replace(attendees=(bob, carol))
    [result] = client.apply([PushOp(OpKind.UPDATE, "k", edited, fields=("attendees",))])
    assert result.ok
    attendees = {a["email"]: a for a in google.get_event(EMAIL, remote["id"])["attendees"]}
    assert set(attendees) == {"bob@example.org", "carol@example.org"}
    assert attendees["bob@example.org"]["comment"] == "late"
    assert attendees["bob@example.org"]["responseStatus"] == "tentative"
    assert attendees["carol@example.org"]["displayName"] == "Carol"


def test_update_and_delete_send_if_match_and_detect_conflicts(client, google):
    [created] = [r.event for r in client.apply(creates(1))]
    google.patch_event(EMAIL, created.remote_id, {"summary": "changed in Google"})
    stale = created.replace(title="changed in Odoo")
    [result] = client.apply([PushOp(OpKind.UPDATE, "k", stale, send_updates="all")])
    assert result.conflict and not result.ok and not result.error
    assert google.get_event(EMAIL, created.remote_id)["summary"] == "changed in Google"
    part = google.requests.filter(method="PATCH", in_batch=True)[-1]
    assert part.headers["If-Match"] == created.etag and part.arg("sendUpdates") == "all"

    current = client.fetch(created.remote_id)
    [result] = client.apply([PushOp(OpKind.UPDATE, "k", current.replace(title="ours"))])
    assert result.ok and result.event.title == "ours" and result.event.etag != current.etag
    [result] = client.apply([PushOp(OpKind.DELETE, "k", result.event, send_updates="external")])
    assert result.ok
    assert google.requests.filter(method="DELETE", in_batch=True)[-1].arg("sendUpdates") == (
        "externalOnly"
    )
    # Deleting again (410) or deleting an unknown id (404) reaches the goal: success.
    gone = [
        PushOp(OpKind.DELETE, "again", result.event or current.replace(etag="")),
        PushOp(OpKind.DELETE, "unknown", current.replace(remote_id="unknown12345", etag="")),
    ]
    assert all(r.ok for r in client.apply(gone))


def test_rate_limited_parts_alone_are_retried(google, session, provider, sleeps):
    client = make_client(google, session, provider, batch_size=10)
    google.faults.rate_limit(times=1, reason="userRateLimitExceeded", method="POST", nth=3)
    google.faults.rate_limit(times=1, status=429, method="POST", nth=5, retry_after=2)
    results = client.apply(creates(10))
    assert all(r.ok for r in results)
    assert [parts_of(e) for e in envelopes(google)] == [10, 2]
    assert len(google.events(EMAIL)) == 10  # nothing created twice
    assert sleeps == [2]  # the part's Retry-After was honoured
    assert session.request_count == 2


def test_persistent_throttling_keeps_the_parts_queued(google, session, provider, sleeps):
    client = make_client(google, session, provider, batch_size=10)
    google.faults.rate_limit(times=None, method="POST", nth=2)
    results = client.apply(creates(3))
    assert results[0].ok
    for result in results[1:]:
        assert not result.ok and result.retryable and isinstance(result.error, Throttled)
    assert [parts_of(e) for e in envelopes(google)] == [3, 2, 2, 2]  # 1 + max_retries
    assert len(sleeps) == session.max_retries


def test_daily_quota_is_not_retried_now_but_stays_queued(google, session, provider, sleeps):
    client = make_client(google, session, provider)
    google.faults.rate_limit(times=None, reason="quotaExceeded", method="POST")
    [result] = client.apply(creates(1))
    assert result.retryable and isinstance(result.error, Throttled) and sleeps == []


def test_unmappable_op_fails_alone_before_sending(client, google):
    bad = PushOp(OpKind.CREATE, "bad", SyncEvent(title="no times"))
    no_id = PushOp(OpKind.UPDATE, "no-id", timed("x", 1))
    bad_result, no_id_result, good = client.apply([bad, no_id, *creates(1)])
    assert bad_result.error.field == "start" and no_id_result.error.field == "remote_id"
    assert good.ok and parts_of(envelopes(google)[0]) == 1


def test_create_with_unknown_outcome_not_found_is_sent_again(google, session, provider):
    client = make_client(google, session, provider)
    google.faults.backend_error(times=1, status=500, method="POST")
    [result] = client.apply(creates(1, first_odoo_id=600))
    assert result.ok and len(google.events(EMAIL)) == 1


def test_lost_batch_answer_is_recovered_by_lookup(google, session, provider):
    client = make_client(google, session, provider)
    google.faults.add(drop_connection=True, method="POST", path_regex=BATCH)
    [result] = client.apply(creates(1, first_odoo_id=700))
    assert result.ok and len(google.events(EMAIL)) == 1


def test_client_chosen_id_makes_a_repeated_create_idempotent(client, google):
    event = timed("chosen", 5, odoo_id=900, remote_id="odoo0000900")
    [first] = client.apply([PushOp(OpKind.CREATE, "k", event)])
    assert first.ok and first.event.remote_id == "odoo0000900"
    [again] = client.apply([PushOp(OpKind.CREATE, "k", event)])
    assert again.ok and again.event.remote_id == "odoo0000900"
    assert len(google.events(EMAIL)) == 1
    clash = event.replace(odoo_id=901)
    [other] = client.apply([PushOp(OpKind.CREATE, "k2", clash)])
    assert isinstance(other.error, RemoteRejected) and other.error.status == 409


def test_recurring_event_round_trip_through_google(client, google):
    series = timed(
        "weekly",
        7,
        odoo_id=1,
        recurrence=Recurrence("FREQ=WEEKLY;COUNT=5", (dt.datetime(2030, 1, 14, 9, tzinfo=UTC),)),
    )
    [result] = client.apply([PushOp(OpKind.CREATE, "k", series)])
    assert result.ok and result.event.recurrence == series.recurrence
    occurrences = client.instances(result.event.remote_id)
    assert len(occurrences) == 4
    moved = occurrences[1].replace(
        start=occurrences[1].start + dt.timedelta(hours=2),
        stop=occurrences[1].stop + dt.timedelta(hours=2),
    )
    [result] = client.apply([PushOp(OpKind.UPDATE, "occ", moved)])
    assert result.ok and result.event.master_remote_id == occurrences[1].master_remote_id
    assert result.event.start == moved.start and "recurrence" not in (
        google.requests.filter(method="PATCH", in_batch=True)[-1].json()
    )
    assert client.fetch(moved.remote_id).start == moved.start


# --------------------------------------------------------------------------- auth


def test_batch_parts_answered_401_refresh_once_then_keep_the_ops_queued(google, session, provider):
    client = make_client(google, session, provider, batch_size=2)
    google.expire_access_tokens()
    assert all(r.ok for r in client.apply(creates(2)))  # refreshed once, parts sent again
    assert provider.calls.count(True) == 1

    google.requests.clear()
    provider.revoked = True
    results = client.apply(creates(5, first_odoo_id=10))
    assert all(isinstance(r.error, AuthExpired) and r.retryable for r in results)
    assert len(envelopes(google)) == 2  # the first chunk and its one retry; then it stops
    assert len(google.events(EMAIL)) == 2


def test_the_access_token_never_travels_in_a_url(client, google, provider):
    google.insert_event(EMAIL, google_body("one", 1))
    result = client.apply(creates(3))
    client.list_changes("")
    client.fetch(result[0].event.remote_id)
    client.instances(result[0].event.remote_id)
    client.find_by_odoo_id(1)
    for request in google.requests:
        assert "access_token" not in request.query and "oauth_token" not in request.query
        assert provider.token not in request.path
        assert provider.token not in json.dumps(request.query)
        if not request.in_batch:
            assert request.headers["Authorization"] == f"Bearer {provider.token}"
    for envelope in envelopes(google):
        assert provider.token.encode() not in envelope.body  # only in the outer header


def test_reply_patches_only_the_attendee_list_with_the_users_answer(client, google):
    body = google_body("Board", 3, attendees=[
        {"email": "boss@example.com", "responseStatus": "accepted"},
        {"email": EMAIL, "responseStatus": "needsAction"},
    ])  # fmt: skip
    created = google.insert_event(EMAIL, body, organizer="boss@example.com")
    reply = SyncEvent(
        remote_id=created["id"], attendees=(Attendee(EMAIL, response=Response.DECLINED),)
    )
    [result] = client.apply([PushOp(OpKind.REPLY, "calendar.event,1", reply)])
    assert result.ok, result.error
    patch = google.requests.filter(method="PATCH", in_batch=True)[-1]
    assert set(patch.json()) == {"attendees"}
    answers = {
        a["email"]: a["responseStatus"] for a in google.get_event(EMAIL, created["id"])["attendees"]
    }
    assert answers == {"boss@example.com": "accepted", EMAIL: "declined"}


def test_instance_ids_follow_googles_format(client):
    start = dt.datetime(2027, 3, 29, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert client.instance_id("abc123", start, False) == "abc123_20270329T070000Z"
    assert client.instance_id("abc123", dt.date(2027, 3, 29), True) == "abc123_20270329"


def test_owner_email_is_the_primary_calendar_id(client):
    assert client.owner_email() == EMAIL
