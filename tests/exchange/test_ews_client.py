"""The EWS connector against the EWS emulator: exchangelib itself sends every request."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import pytest

from calendar_sync_base.services.errors import (
    ConfigurationError,
    CursorExpired,
    SyncError,
    Throttled,
)
from calendar_sync_base.services.model import UTC, Attendee, Recurrence, Response, SyncEvent
from calendar_sync_base.services.protocol import OpKind, PushOp
from calendar_sync_base.services.recurrence import format_rrule, parse_rrule
from calendar_sync_exchange.services.ews_account import offered_auth_schemes
from tests.emulators.ews_support import operations
from tests.exchange.conftest import schema_problems, settings_for

ALICE = "alice@example.com"


def meeting(title="Planning", day=1, odoo_id=None, **fields) -> SyncEvent:
    start = dt.datetime(2024, 5, day, 8, tzinfo=UTC)
    return SyncEvent(
        title=title,
        start=start,
        stop=start + dt.timedelta(hours=1),
        timezone="Europe/Paris",
        organizer_email=ALICE,
        odoo_id=odoo_id,
        **fields,
    )


def create(client, *events, silent=True):
    mode = "none" if silent else "all"
    ops = [
        PushOp(OpKind.CREATE, f"k{n}", event, send_updates=mode) for n, event in enumerate(events)
    ]
    results = client.apply(ops)
    assert all(result.ok for result in results), results
    return [result.event for result in results]


def listing(client, cursor=""):
    changes = client.list_changes(cursor)
    return {event.remote_id: event for event in changes.events}, changes


# -- pull ------------------------------------------------------------------------------------


def test_first_listing_goes_page_by_page_and_resumes_from_a_page_token(make_client, ews):
    client = make_client(client_options={"page_size": 10})
    created = create(client, *(meeting(f"e{n}", odoo_id=n) for n in range(25)))
    ews.requests.clear()
    first = client.list_page("")
    assert (len(first.events), first.next_cursor, first.full_resync) == (10, "", True)
    resumed = make_client(client_options={"page_size": 10})  # another process
    rest = resumed.list_page("", first.next_page)
    last = resumed.list_page("", rest.next_page)
    assert last.next_cursor and not last.next_page
    events = first.events + rest.events + last.events
    assert sorted(e.remote_id for e in events) == sorted(e.remote_id for e in created)
    assert {e.odoo_id for e in events} == set(range(25))
    assert operations(ews, "SyncFolderItems") == 3
    assert operations(ews, "GetItem") == 3  # one per page, never one per item


def test_incremental_listing_reports_updates_and_deletions(client):
    kept, gone = create(client, meeting("kept"), meeting("gone", day=2))
    _, changes = listing(client)
    client.apply(
        [
            PushOp(OpKind.UPDATE, "u", kept.replace(title="renamed"), fields=("title",)),
            PushOp(OpKind.DELETE, "d", gone),
        ]
    )
    events, again = listing(client, changes.next_cursor)
    assert events[kept.remote_id].title == "renamed"
    assert events[gone.remote_id].cancelled
    assert not again.full_resync and again.next_cursor


def test_invalid_sync_state_is_cursor_expired_and_a_full_listing_follows(client, ews):
    create(client, meeting())
    _, changes = listing(client)
    ews.invalidate_sync_states(ALICE)
    with pytest.raises(CursorExpired):
        client.list_page(changes.next_cursor)
    events, full = listing(client)
    assert full.full_resync and len(events) == 1


def test_items_read_back_as_they_were_pushed(client):
    event = meeting(
        description="<p>Agenda</p>",
        location="Room 1",
        attendees=(
            Attendee("bob@example.com"),
            Attendee("carol@example.com", optional=True),
            Attendee("room1@example.com", resource=True),
        ),
    )
    all_day = SyncEvent(
        title="Offsite",
        start=dt.date(2024, 5, 3),
        stop=dt.date(2024, 5, 5),
        all_day=True,
        timezone="Europe/Paris",
    )
    timed, day = create(client, event, all_day)
    events, _ = listing(client)
    read = events[timed.remote_id]
    assert (read.description, read.location, read.timezone) == (
        "<p>Agenda</p>",
        "Room 1",
        "Europe/Paris",
    )
    assert (read.start, read.stop) == (event.start, event.stop)
    assert {(a.email, a.optional, a.resource, a.organizer) for a in read.attendees} == {
        (ALICE, False, False, True),
        ("bob@example.com", False, False, False),
        ("carol@example.com", True, False, False),
        ("room1@example.com", False, True, False),
    }
    assert read.ical_uid == timed.ical_uid and read.etag == timed.etag
    assert (events[day.remote_id].start, events[day.remote_id].stop) == (
        all_day.start,
        all_day.stop,
    )
    assert events[day.remote_id].all_day


# -- push ------------------------------------------------------------------------------------


def test_a_thousand_creates_take_ceil_1000_over_100_create_item_calls(client, ews):
    client.calendar  # noqa: B018 - folder lookup outside the measured push
    ews.requests.clear()
    guests = (Attendee("bob@example.com"),)
    created = create(
        client, *(meeting(f"e{n}", day=1 + n % 28, attendees=guests) for n in range(1000))
    )
    assert operations(ews, "CreateItem") == math.ceil(1000 / 100)
    assert operations(ews, "GetItem") == 10  # the UIDs of each batch
    assert len({event.remote_id for event in created}) == 1000
    assert ews.messages_sent == []  # pushed silently: SendToNone


def test_a_push_that_is_not_silent_invites_the_guests(client, ews):
    create(client, meeting(attendees=(Attendee("bob@example.com"),)), silent=False)
    assert [(m["kind"], m["recipients"]) for m in ews.messages_sent] == [
        ("invitation", ["bob@example.com"])
    ]


def test_bulk_update_and_delete_answer_each_op(client, ews):
    first, second = create(client, meeting("a"), meeting("b", day=2))
    ews.requests.clear()
    missing = first.replace(remote_id=first.remote_id[::-1])
    results = client.apply(
        [
            PushOp(OpKind.UPDATE, "1", first.replace(title="A"), fields=("title",)),
            PushOp(OpKind.UPDATE, "2", missing.replace(title="x"), fields=("title",)),
            PushOp(OpKind.DELETE, "3", second),
            PushOp(OpKind.DELETE, "4", missing),
        ]
    )
    assert results[0].ok and results[0].event.etag != first.etag
    assert results[1].error is not None and not results[1].retryable
    assert results[2].ok and results[3].ok  # already gone is done
    assert operations(ews, "UpdateItem") == 1 and operations(ews, "DeleteItem") == 1


def test_stale_change_key_is_a_conflict_and_outlook_keeps_its_edit(client):
    [event] = create(client, meeting())
    outlook = client.apply(
        [PushOp(OpKind.UPDATE, "outlook", event.replace(title="theirs"), fields=("title",))]
    )[0].event
    [result] = client.apply(
        [PushOp(OpKind.UPDATE, "odoo", event.replace(title="mine"), fields=("title",))]
    )
    assert result.conflict and not result.ok
    assert client.fetch(event.remote_id).title == "theirs"
    assert client.fetch(event.remote_id).etag == outlook.etag


def test_one_poison_item_never_stops_the_rest_of_its_bulk_call(client, ews):
    """exchangelib raises ErrorAccessDenied and ErrorIrresolvableConflict out of the call;
    Exchange answered each item on its own, and each op gets its own answer."""
    kept, denied, stale = create(client, meeting("a"), meeting("b", day=2), meeting("c", day=3))
    ews.refuse("UpdateItem", denied.remote_id, code="ErrorAccessDenied")
    client.apply([PushOp(OpKind.UPDATE, "outlook", stale.replace(title="theirs"))])
    ews.requests.clear()
    results = client.apply(
        [
            PushOp(OpKind.UPDATE, str(n), event.replace(title="mine"), fields=("title",))
            for n, event in enumerate((denied, kept, stale))
        ]
    )
    assert not results[0].ok and not results[0].retryable
    assert "denied" in str(results[0].error)
    assert results[1].ok and client.fetch(kept.remote_id).title == "mine"
    assert results[2].conflict and client.fetch(stale.remote_id).title == "theirs"
    assert operations(ews, "UpdateItem") == 1


def test_a_create_whose_answer_was_lost_is_adopted_not_duplicated(client, ews):
    client.calendar  # noqa: B018
    ews.faults.add(lose_answer=True, times=1)  # the CreateItem is applied, its answer lost
    [result] = client.apply([PushOp(OpKind.CREATE, "k", meeting(odoo_id=42))])
    assert result.ok and result.event.odoo_id == 42
    assert (
        len(ews.store.live_items(ews.store.mailbox(ALICE).distinguished("calendar").folder_id)) == 1
    )


# -- throttling ------------------------------------------------------------------------------


def test_server_busy_waits_the_back_off_exchange_asks_for(make_client, ews):
    waits = []
    client = make_client(client_options={"sleep": waits.append})
    client.calendar  # noqa: B018
    ews.faults.server_busy(back_off_ms=1500)
    create(client, meeting())
    assert waits == [1.5]


def test_server_busy_past_the_deadline_gives_up_at_once(make_client, ews):
    now = [100.0]
    client = make_client(client_options={"deadline": 101.0, "clock": lambda: now[0]})
    client.calendar  # noqa: B018
    ews.faults.server_busy(back_off_ms=5000)
    with pytest.raises(Throttled):
        client.list_page("")
    assert [r.status for r in ews.requests][-1] == 500  # busy once, not asked again
    assert [r.status for r in ews.requests].count(500) == 1


# -- invitations -----------------------------------------------------------------------------


def test_answer_to_an_invitation_reaches_the_organizer(make_client, ews):
    bob = make_client("bob@example.com")
    invited = meeting("Board", attendees=(Attendee(ALICE),)).replace(
        organizer_email="bob@example.com"
    )
    [sent] = create(bob, invited, silent=False)
    alice = make_client()
    events, _ = listing(alice)
    [invitation] = events.values()
    assert (invitation.title, invitation.organizer_email) == ("Board", "bob@example.com")
    [mine] = [a for a in invitation.attendees if a.email == ALICE]
    assert mine.response == Response.NEEDS_ACTION
    ews.requests.clear()
    accepted = invitation.replace(attendees=(replace(mine, response=Response.ACCEPTED),))
    [result] = alice.apply([PushOp(OpKind.REPLY, "r", accepted)])
    assert result.ok, result
    [reply] = [r for r in ews.requests if r.context.get("operation") == "CreateItem"]
    assert b"<t:AcceptItem>" in reply.body and b'MessageDisposition="SendAndSaveCopy"' in reply.body
    assert result.event.etag == alice.fetch(invitation.remote_id).etag
    [answer] = [a for a in bob.fetch(sent.remote_id).attendees if a.email == ALICE]
    assert answer.response == Response.ACCEPTED
    [mine] = [a for a in alice.fetch(invitation.remote_id).attendees if a.email == ALICE]
    assert mine.response == Response.ACCEPTED
    declined = invitation.replace(attendees=(replace(mine, response=Response.DECLINED),))
    [result] = alice.apply([PushOp(OpKind.REPLY, "r", declined)])
    assert result.ok and alice.fetch(invitation.remote_id) is None, "a declined meeting leaves"


def test_the_organizer_cannot_answer_his_own_meeting(client):
    [own] = create(client, meeting("Mine", attendees=(Attendee("bob@example.com"),)))
    me = Attendee(ALICE, response=Response.ACCEPTED)
    [result] = client.apply([PushOp(OpKind.REPLY, "r", own.replace(attendees=(me,)))])
    assert "ErrorCalendarIsOrganizerForAccept" in str(result.error)
    assert not result.retryable


# -- recurrences -----------------------------------------------------------------------------


def test_series_with_a_moved_and_a_deleted_occurrence(client):
    series = meeting("weekly", recurrence=Recurrence("FREQ=WEEKLY;COUNT=4;BYDAY=WE"), odoo_id=7)
    [master] = create(client, series)
    second = dt.datetime(2024, 5, 8, 8, tzinfo=UTC)
    third = dt.datetime(2024, 5, 15, 8, tzinfo=UTC)
    moved_id = client.instance_id(master.remote_id, second, False)
    deleted_id = client.instance_id(master.remote_id, third, False)
    moved = meeting("moved", day=9, master_remote_id=master.remote_id, original_start=second)
    results = client.apply(
        [
            PushOp(
                OpKind.UPDATE,
                "x",
                moved.replace(remote_id=moved_id),
                fields=("title", "start", "stop"),
            ),
            PushOp(OpKind.DELETE, "y", master.replace(remote_id=deleted_id)),
        ]
    )
    assert all(result.ok for result in results), results
    events, _ = listing(client)
    pulled = events[master.remote_id]
    assert pulled.recurrence == Recurrence("FREQ=WEEKLY;COUNT=4;BYDAY=WE", exdates=(third,))
    [exception] = [e for e in events.values() if e.master_remote_id == master.remote_id]
    assert (exception.title, exception.original_start) == ("moved", second)
    assert exception.start == moved.start
    assert client.instance_id(master.remote_id, second, False) == exception.remote_id
    assert client.instance_id(master.remote_id, third, False) is None
    assert client.fetch(exception.remote_id).master_remote_id == master.remote_id


def test_master_update_with_a_new_exdate_deletes_that_occurrence_and_keeps_exceptions(client, ews):
    rule = "FREQ=WEEKLY;COUNT=4;BYDAY=WE"
    [master] = create(client, meeting("weekly", recurrence=Recurrence(rule)))
    second = dt.datetime(2024, 5, 8, 8, tzinfo=UTC)
    third = dt.datetime(2024, 5, 15, 8, tzinfo=UTC)
    moved = meeting("moved", day=9, master_remote_id=master.remote_id, original_start=second)
    moved = moved.replace(remote_id=client.instance_id(master.remote_id, second, False))
    [result] = client.apply([PushOp(OpKind.UPDATE, "x", moved, fields=("title", "start"))])
    master = client.fetch(master.remote_id)
    ews.requests.clear()
    excluded = master.replace(title="weekly (edited)", recurrence=Recurrence(rule, (third,)))
    op = PushOp(OpKind.UPDATE, "m", excluded, fields=("title", "recurrence"))
    [result] = client.apply([op])
    assert result.ok, result
    [update] = sent(ews, "UpdateItem")
    assert b"Recurrence" not in update.body, "an unchanged pattern is not written again"
    [delete] = sent(ews, "DeleteItem")
    assert b'<t:OccurrenceItemId RecurringMasterId="' in delete.body
    assert b'InstanceIndex="3"' in delete.body
    live = client.fetch(master.remote_id)
    assert live.recurrence == Recurrence(rule, exdates=(third,))
    assert result.event.etag == live.etag, "our own push is not pulled back as a change"
    events, _ = listing(client)
    [exception] = [e for e in events.values() if e.master_remote_id == master.remote_id]
    assert (exception.title, exception.original_start) == ("moved", second), "kept"
    ews.requests.clear()
    [again] = client.apply([replace(op, event=excluded.replace(etag=result.event.etag))])
    assert again.ok and not operations(ews, "DeleteItem"), "an exdate is deleted once"


def sent(ews, operation):
    return [r for r in ews.requests if r.context.get("operation") == operation]


def test_series_created_with_an_exdate_has_that_occurrence_deleted(client):
    rule = "FREQ=DAILY;COUNT=3"
    second = dt.datetime(2024, 5, 2, 8, tzinfo=UTC)
    [master] = create(client, meeting("daily", recurrence=Recurrence(rule, (second,))))
    live = client.fetch(master.remote_id)
    assert live.recurrence == Recurrence(rule, exdates=(second,))
    assert master.etag == live.etag


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;INTERVAL=2;COUNT=4",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;WKST=SU;COUNT=6",
        "FREQ=MONTHLY;BYMONTHDAY=31,-1;BYSETPOS=1;COUNT=3",
        "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1;COUNT=3",
        "FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=15;COUNT=2",
        "FREQ=YEARLY;BYMONTH=9;BYDAY=1MO",
    ],
)
def test_every_ews_pattern_round_trips(client, rule):
    [master] = create(client, meeting("series", recurrence=Recurrence(rule)))
    assert client.fetch(master.remote_id).recurrence.rrule == format_rrule(parse_rrule(rule))


def test_a_rule_ews_cannot_hold_is_refused_with_its_reason(client):
    odd = meeting(recurrence=Recurrence("FREQ=MONTHLY;BYDAY=MO,WE;BYSETPOS=2;COUNT=3"))
    [result] = client.apply([PushOp(OpKind.CREATE, "k", odd)])
    assert result.error is not None and not result.retryable
    assert "EWS" in str(result.error)


# -- access ----------------------------------------------------------------------------------


def test_per_user_credentials_reach_only_their_own_mailbox(make_client, ews):
    own = make_client(access="delegate", username=ALICE, password="alice-pw", auth="ntlm")
    [event] = create(own, meeting())
    assert ews.store.item(event.remote_id).mailbox == ALICE
    assert ews.requests.last.context["mailbox"] == ALICE


def test_impersonation_refused_or_unknown_mailbox_is_a_plain_configuration_error(make_client):
    bob_as_alice = make_client(username="bob@example.com", password="bob-pw")
    with pytest.raises(ConfigurationError, match="ApplicationImpersonation"):
        bob_as_alice.list_page("")
    with pytest.raises(ConfigurationError, match="no mailbox nobody@example.com"):
        make_client("nobody@example.com").list_page("")


# -- schema ----------------------------------------------------------------------------------


def test_every_body_of_a_sync_session_follows_the_ews_schema(client, ews, schema):
    [master] = create(client, meeting("s", recurrence=Recurrence("FREQ=DAILY;COUNT=3"), odoo_id=1))
    [single] = create(client, meeting(attendees=(Attendee("bob@example.com"),)))
    _, changes = listing(client)
    slot = dt.datetime(2024, 5, 2, 8, tzinfo=UTC)
    occurrence = client.instance_id(master.remote_id, slot, False)
    client.apply(
        [
            PushOp(OpKind.UPDATE, "u", single.replace(title="x", etag="stale"), fields=("title",)),
            PushOp(OpKind.DELETE, "d", master.replace(remote_id=occurrence)),
        ]
    )
    listing(client, changes.next_cursor)
    client.find_by_odoo_id(1)
    problems = schema_problems(ews, schema)
    assert not problems, "\n".join(problems[:5])


def test_every_body_of_the_answers_to_invitations_follows_the_ews_schema(make_client, ews, schema):
    """AcceptItem, TentativelyAcceptItem and DeclineItem (CreateItem) and their read-backs."""
    bob, alice = make_client("bob@example.com"), make_client()
    for day in (1, 2, 3):
        invited = meeting(f"Board {day}", day, attendees=(Attendee(ALICE),))
        create(bob, invited.replace(organizer_email="bob@example.com"), silent=False)
    events, _ = listing(alice)
    ews.requests.clear()
    answers = (Response.ACCEPTED, Response.TENTATIVE, Response.DECLINED)
    replies = [
        PushOp(
            OpKind.REPLY, str(answer), event.replace(attendees=(Attendee(ALICE, response=answer),))
        )
        for event, answer in zip(
            sorted(events.values(), key=lambda e: e.start), answers, strict=True
        )
    ]
    assert all(result.ok for result in alice.apply(replies))
    bodies = b"".join(r.body for r in ews.requests if r.context.get("operation") == "CreateItem")
    for element in (b"<t:AcceptItem>", b"<t:TentativelyAcceptItem>", b"<t:DeclineItem>"):
        assert element in bodies
    problems = schema_problems(ews, schema)
    assert not problems, "\n".join(problems[:5])


def test_the_url_test_reads_the_offered_authentications_without_credentials(ews):
    settings = settings_for(ews, mailbox="", username="", password="")
    assert offered_auth_schemes(settings) == ["Negotiate", "NTLM", "Basic"]
    ews.auth_methods = ("Basic",)
    with pytest.raises(ConfigurationError, match="does not offer NTLM"):
        offered_auth_schemes(replace(settings, auth="ntlm"))
    with pytest.raises(SyncError, match="could not be reached"):
        offered_auth_schemes(replace(settings, endpoint="http://127.0.0.1:9/EWS/Exchange.asmx"))
