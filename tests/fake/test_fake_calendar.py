"""The fake provider's calendar service and connector (test_addons/calendar_sync_test/services):
a provider like the others, so it keeps the promises of ``CalendarConnector``."""

import datetime as dt

import pytest

from calendar_sync_base.services.errors import AuthExpired, CursorExpired, TimeBudgetExceeded
from calendar_sync_base.services.model import (
    UTC,
    Attendee,
    Recurrence,
    Response,
    SyncEvent,
)
from calendar_sync_base.services.protocol import OpKind, PushOp
from calendar_sync_test.services.fake_calendar import (
    PUSH_ATTEMPTS,
    FakeCalendarServer,
    FakeConnector,
    NoAnswer,
)

OWNER = "alice@example.com"
START = dt.datetime(2027, 3, 22, 8, tzinfo=UTC)


@pytest.fixture
def server():
    return FakeCalendarServer()


@pytest.fixture
def calendar(server):
    return server.calendar(OWNER)


@pytest.fixture
def connector(server):
    return FakeConnector(server, OWNER, server.grant(OWNER), page_size=2)


def event(title="Meeting", **values):
    values = {"organizer_email": OWNER, **values}
    return SyncEvent(title=title, start=START, stop=START + dt.timedelta(hours=1), **values)


def series(calendar, count=3):
    return calendar.insert(
        event(
            "Standup",
            timezone="Europe/Brussels",
            recurrence=Recurrence(f"FREQ=DAILY;COUNT={count}"),
        )
    )


def op(kind, remote, key="calendar.event,1", fields=None, **changes):
    return PushOp(kind, key, remote.replace(**changes), fields=fields)


# ---------------------------------------------------------------------------------- listing


def test_a_full_listing_comes_in_pages_and_ends_with_a_cursor(calendar, connector):
    for number in range(5):
        calendar.insert(event(f"Event {number}"))
    calendar.delete(calendar.insert(event("Gone")).remote_id)
    pages = [connector.list_page("")]
    while pages[-1].next_page:
        pages.append(connector.list_page("", pages[-1].next_page))
    assert [len(page.events) for page in pages] == [2, 2, 1]
    assert [page.next_cursor for page in pages[:-1]] == ["", ""]
    assert pages[-1].next_cursor, "the last page gives the cursor"
    titles = [item.title for page in pages for item in page.events]
    assert titles == [f"Event {number}" for number in range(5)], "no cancelled event"
    assert [request.page_token for request in calendar.requests] == ["", "7:2", "7:4"]


def test_a_listing_started_reads_no_later_change(calendar, connector):
    for number in range(3):
        calendar.insert(event(f"Event {number}"))
    first = connector.list_page("")
    calendar.insert(event("Later"))
    second = connector.list_page("", first.next_page)
    assert [item.title for item in second.events] == ["Event 2"]
    assert [item.title for item in connector.list_changes(second.next_cursor).events] == ["Later"]


def test_a_cursor_returns_only_changes_deletions_cancelled(calendar, connector):
    kept = calendar.insert(event("Kept"))
    gone = calendar.insert(event("Gone"))
    cursor = connector.list_changes("").next_cursor
    calendar.patch(kept.remote_id, title="Kept (renamed)")
    calendar.delete(gone.remote_id)
    changes = connector.list_changes(cursor)
    assert [(item.title, item.cancelled) for item in changes.events] == [
        ("Kept (renamed)", False),
        ("Gone", True),
    ]
    assert connector.list_changes(changes.next_cursor).events == []


def test_an_expired_cursor_is_refused_and_a_full_listing_still_works(calendar, connector):
    calendar.insert(event())
    cursor = connector.list_changes("").next_cursor
    calendar.expire_cursors()
    with pytest.raises(CursorExpired):
        connector.list_page(cursor)
    assert len(connector.list_changes("").events) == 1


def test_a_revoked_grant_is_refused_everywhere(server, calendar, connector):
    remote = calendar.insert(event())
    server.revoke(OWNER)
    for call in (
        lambda: connector.list_page(""),
        lambda: connector.fetch(remote.remote_id),
        lambda: connector.apply([op(OpKind.DELETE, remote)]),
    ):
        with pytest.raises(AuthExpired, match="invalid_grant"):
            call()
    other = FakeConnector(server, OWNER, server.grant("bob@example.com"))
    with pytest.raises(AuthExpired):
        other.list_page("")


# ---------------------------------------------------------------------------------- pushing


def test_create_update_delete_with_versions(calendar, connector):
    [created] = connector.apply([PushOp(OpKind.CREATE, "k", event("New", odoo_id=7))])
    remote = created.event
    assert (remote.odoo_id, remote.etag) == (7, calendar.events[remote.remote_id].etag)
    [updated] = connector.apply([op(OpKind.UPDATE, remote, fields=("title",), title="Renamed")])
    assert updated.ok and updated.event.title == "Renamed"
    [stale] = connector.apply([op(OpKind.UPDATE, remote, title="Stale")])
    assert stale.conflict, "the etag Odoo knew is no longer the event's"
    [deleted] = connector.apply([op(OpKind.DELETE, updated.event)])
    assert deleted.ok and connector.fetch(remote.remote_id) is None
    [again] = connector.apply([op(OpKind.DELETE, updated.event)])
    assert again.ok, "already gone: what was asked"


def test_an_update_writes_only_the_fields_it_names(calendar, connector):
    remote = calendar.insert(event(location="Room 4", timezone="Asia/Tokyo"))
    [result] = connector.apply(
        [op(OpKind.UPDATE, remote, fields=("title",), title="Agenda", location="", timezone="UTC")]
    )
    assert (result.event.title, result.event.location, result.event.timezone) == (
        "Agenda",
        "Room 4",
        "Asia/Tokyo",
    )


def test_only_the_organizer_changes_an_event_an_attendee_replies(calendar, connector):
    remote = calendar.insert(
        event(
            organizer_email="boss@example.com",
            attendees=(Attendee("boss@example.com", organizer=True), Attendee(OWNER)),
        )
    )
    [refused] = connector.apply([op(OpKind.UPDATE, remote, title="Mine")])
    assert (refused.error.status, refused.error.reason) == (403, "forbiddenForNonOrganizer")
    answer = remote.replace(attendees=(Attendee(OWNER, response=Response.ACCEPTED),))
    [replied] = connector.apply([PushOp(OpKind.REPLY, "k", answer)])
    assert [a.response for a in replied.event.attendees] == [
        Response.NEEDS_ACTION,
        Response.ACCEPTED,
    ]
    assert replied.event.title == "Meeting"


def test_a_refused_event_fails_alone(calendar, connector):
    refused = calendar.insert(event("Refused"))
    fine = calendar.insert(event("Fine"))
    calendar.refused_updates.add(refused.remote_id)
    results = connector.apply(
        [
            op(OpKind.UPDATE, refused, "a", title="Refused (edited)"),
            op(OpKind.UPDATE, fine, "b", title="Fine (edited)"),
        ]
    )
    assert [(r.ok, r.retryable) for r in results] == [(False, False), (True, False)]
    assert results[0].error.status == 403


def test_a_throttled_push_is_sent_again_then_left_for_the_next_run(calendar, connector):
    calendar.throttled_pushes = 1
    [result] = connector.apply([PushOp(OpKind.CREATE, "k", event())])
    assert result.ok and len(calendar.live()) == 1
    calendar.throttled_pushes = PUSH_ATTEMPTS
    [result] = connector.apply([PushOp(OpKind.CREATE, "k", event())])
    assert result.retryable and len(calendar.live()) == 1


def test_an_unanswered_push_stays_queued_and_changes_nothing(calendar, connector):
    remote = calendar.insert(event())
    calendar.unanswered_pushes = True
    [result] = connector.apply([op(OpKind.UPDATE, remote, title="Lost")])
    assert result.retryable and isinstance(result.error, NoAnswer)
    assert calendar.get(remote.remote_id).title == "Meeting"


# ---------------------------------------------------------------------------------- series


def test_a_series_expands_in_its_zone_without_excluded_dates(calendar):
    master = series(calendar)
    assert [o.start for o in calendar.occurrences(master.remote_id)] == [
        START + dt.timedelta(days=day) for day in range(3)
    ]
    calendar.patch(master.remote_id, recurrence=Recurrence("FREQ=DAILY;COUNT=3", (START,)))
    assert len(calendar.occurrences(master.remote_id)) == 2


def test_an_update_of_an_occurrence_makes_a_listed_exception(calendar, connector):
    master = series(calendar)
    cursor = connector.list_changes("").next_cursor
    second = START + dt.timedelta(days=1)
    instance_id = connector.instance_id(master.remote_id, second, False)
    occurrence = connector.fetch(instance_id)
    assert (occurrence.master_remote_id, occurrence.original_start) == (master.remote_id, second)
    moved = second + dt.timedelta(hours=2)
    [result] = connector.apply(
        [op(OpKind.UPDATE, occurrence, fields=("title", "start"), title="Moved", start=moved)]
    )
    assert result.ok
    [exception] = connector.list_changes(cursor).events
    assert (exception.remote_id, exception.master_remote_id) == (instance_id, master.remote_id)
    assert [(o.start, o.title) for o in calendar.occurrences(master.remote_id)] == [
        (START, "Standup"),
        (moved, "Moved"),
        (START + dt.timedelta(days=2), "Standup"),
    ]
    assert [e.title for e in calendar.live()] == ["Standup"], "an exception is not an event"


def test_deleting_a_master_cancels_its_exceptions(calendar):
    master = series(calendar)
    instance_id = f"{master.remote_id}_20270323T080000Z"
    calendar.patch(instance_id, title="Moved")
    calendar.delete(master.remote_id)
    assert calendar.events[instance_id].cancelled
    assert calendar.get(f"{master.remote_id}_20270324T080000Z") is None


def test_an_instance_id_outside_the_series_names_nothing(calendar, connector):
    master = series(calendar)
    [result] = connector.apply(
        [PushOp(OpKind.UPDATE, "k", event(remote_id=f"{master.remote_id}_20300101T080000Z"))]
    )
    assert result.error.status == 404
    assert connector.instance_id("m", dt.date(2027, 3, 22), True) == "m_20270322"


# ---------------------------------------------------------------------------------- latency


class Clock:
    """A session's clock and sleep that only count the seconds waited."""

    def __init__(self):
        self.now = 0.0
        self.sleep = self.advance

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


def test_a_slow_service_is_waited_for_within_the_deadline_only(server, calendar):
    clock = Clock()
    session = type("Session", (), {"deadline": 5.0, "clock": clock, "sleep": clock.sleep})
    connector = FakeConnector(server, OWNER, server.grant(OWNER), session=session)
    calendar.latency = 2.0
    connector.list_page("")
    assert clock.now == 2.0
    calendar.latency = 4.0
    with pytest.raises(TimeBudgetExceeded):
        connector.list_page("")
    assert clock.now == 5.0, "stopped at the deadline, not after the answer"
