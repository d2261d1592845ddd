"""exchangelib 5.x, unmodified, drives the EWS emulator: the calls a calendar sync makes."""

from __future__ import annotations

import time

import pytest
import requests
from exchangelib import (
    IMPERSONATION,
    NTLM,
    Attendee,
    CalendarItem,
    EWSDateTime,
    EWSTimeZone,
    ExtendedProperty,
    FaultTolerance,
    Mailbox,
)
from exchangelib.errors import (
    ErrorAccessDenied,
    ErrorCalendarEndDateIsEarlierThanStartDate,
    ErrorCalendarIsOrganizerForAccept,
    ErrorImpersonateUserDenied,
    ErrorInvalidSyncStateData,
    ErrorIrresolvableConflict,
    ErrorItemNotFound,
    ErrorItemSave,
    ErrorNonExistentMailbox,
    ErrorServerBusy,
    UnauthorizedError,
)
from exchangelib.items import SEND_TO_ALL_AND_SAVE_COPY, SEND_TO_NONE
from exchangelib.recurrence import (
    AbsoluteMonthlyPattern,
    AbsoluteYearlyPattern,
    DailyPattern,
    Recurrence,
    RelativeMonthlyPattern,
    RelativeYearlyPattern,
    WeeklyPattern,
)

from emulators.ews import EwsEmulator

from .ews_support import PASSWORDS, account, operations, seeded_emulator, soap

PARIS = EWSTimeZone("Europe/Paris")


@pytest.fixture
def emulator():
    with seeded_emulator() as running:
        yield running


def paris(*args) -> EWSDateTime:
    return EWSDateTime(*args, tzinfo=PARIS)


def event(acc, subject="Planning", day=1, **fields) -> CalendarItem:
    return CalendarItem(
        account=acc,
        folder=acc.calendar,
        subject=subject,
        start=paris(2024, 5, day, 10),
        end=paris(2024, 5, day, 11),
        **fields,
    )


class OdooId(ExtendedProperty):
    property_set_id = "66f5a359-4659-4830-9070-00047ec6ac6e"
    property_name = "odoo_id"
    property_type = "String"


# -- connection ------------------------------------------------------------------------------


def test_demo_mailbox_is_opened_by_impersonation_and_holds_coming_events():
    """``make demo``'s Exchange account, as Odoo opens it: the service account impersonates."""
    demo = EwsEmulator().start()
    try:
        demo.seed_demo()
        login = account(
            demo, "admin@example.com", "demo@example.com", IMPERSONATION, password="admin"
        )
        items = list(login.calendar.all().only("subject", "start", "organizer"))
        assert len(items) == 3
        assert all(item.organizer.email_address == "demo@example.com" for item in items)
        assert all(item.start > demo.now() for item in items)
    finally:
        demo.stop()


def test_version_is_negotiated_from_server_version_info(emulator):
    acc = account(emulator)
    assert str(acc.version.build) == "15.2.1118.7"
    assert acc.version.api_version == "Exchange2016"
    assert operations(emulator, "ConvertId") == 1  # exchangelib's version probe


@pytest.mark.parametrize(
    ("release", "api_version", "zone_elements"),
    [
        ("Exchange2016", "Exchange2016", ["StartTimeZone", "EndTimeZone"]),
        ("Exchange2013", "Exchange2013_SP1", ["StartTimeZone", "EndTimeZone"]),
        ("Exchange2010_SP2", "Exchange2010_SP2", ["StartTimeZone", "EndTimeZone"]),
        ("Exchange2007_SP1", "Exchange2007_SP1", ["MeetingTimeZone"]),
    ],
)
def test_older_releases_make_exchangelib_step_down(release, api_version, zone_elements):
    """ErrorInvalidServerVersion for newer request versions: exchangelib tries older ones and
    writes time zones the way that version knows (MeetingTimeZone before Exchange 2010)."""
    emulator = EwsEmulator(server_version=release).start()
    try:
        emulator.add_mailbox("alice@example.com", PASSWORDS["alice@example.com"])
        acc = account(emulator)
        assert acc.version.api_version == api_version
        new_york = EWSTimeZone("America/New_York")
        start = EWSDateTime(2024, 3, 7, 9, tzinfo=new_york)
        weekly = Recurrence(
            pattern=WeeklyPattern(interval=1, weekdays=[4]), start=start.date(), number=3
        )
        item = CalendarItem(
            account=acc,
            folder=acc.calendar,
            subject="x",
            start=start,
            end=start.replace(hour=10),
            recurrence=weekly,
        )
        item.save()
        assert [f for f in emulator.store.item(item.id).fields if "TimeZone" in f] == zone_elements
        seen = acc.calendar.view(start=start, end=start.replace(month=4))
        assert [o.start.astimezone(new_york).hour for o in seen] == [9, 9, 9]  # across DST
    finally:
        emulator.stop()


@pytest.mark.parametrize("auth_type", [NTLM, "basic"])
def test_ntlm_and_basic_handshakes_accept_the_password_only(emulator, auth_type):
    acc = account(emulator, auth_type=auth_type)
    assert acc.calendar.name == "Calendar"
    with pytest.raises(UnauthorizedError):
        account(emulator, auth_type=auth_type, password="wrong").calendar  # noqa: B018


def test_anonymous_request_is_challenged_for_ntlm_and_basic(emulator):
    answer = requests.post(emulator.endpoint, data=b"<x/>", timeout=5)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Negotiate, NTLM, Basic realm="127.0.0.1"'


def test_ntlm_accepts_a_domain_login(emulator):
    login, password = "EXAMPLE\\alice", "alice-pw"
    acc = account(emulator, login, "alice@example.com", auth_type=NTLM, password=password)
    assert acc.calendar.name == "Calendar"
    assert emulator.requests.last.context["mailbox"] == "alice@example.com"
    login = "OTHER\\alice"  # right password, unknown domain
    foreign = account(emulator, login, "alice@example.com", auth_type=NTLM, password=password)
    with pytest.raises(UnauthorizedError):
        foreign.calendar  # noqa: B018


def test_ntlm_challenge_carries_a_server_token(emulator):
    account(emulator, auth_type=NTLM).calendar  # noqa: B018
    tokens = [
        r for r in emulator.requests if r.headers.get("Authorization", "").startswith("NTLM ")
    ]
    assert len(tokens) >= 2  # NEGOTIATE then AUTHENTICATE on one connection
    assert len({r.client_address for r in tokens[:2]}) == 1


# -- single events ---------------------------------------------------------------------------


def test_create_read_update_delete(emulator):
    acc = account(emulator)
    item = event(
        acc,
        body="<p>Agenda</p>",
        location="Room 1",
        required_attendees=[Attendee(mailbox=Mailbox(email_address="bob@example.com"))],
        optional_attendees=[Attendee(mailbox=Mailbox(email_address="carol@example.com"))],
        resources=[Attendee(mailbox=Mailbox(email_address="room1@example.com"))],
    )
    item.save(send_meeting_invitations=SEND_TO_NONE)
    fetched = acc.calendar.get(id=item.id)
    assert (fetched.subject, fetched.location) == ("Planning", "Room 1")
    assert fetched.start == paris(2024, 5, 1, 10)
    assert fetched._start_timezone == PARIS
    assert [a.mailbox.email_address for a in fetched.required_attendees] == ["bob@example.com"]
    assert fetched.required_attendees[0].response_type == "Unknown"
    assert [a.mailbox.email_address for a in fetched.resources] == ["room1@example.com"]
    assert fetched.organizer.email_address == "alice@example.com"
    assert fetched.type == "Single"

    fetched.subject = "Planning (moved)"
    fetched.start, fetched.end = paris(2024, 5, 2, 14), paris(2024, 5, 2, 15)
    fetched.save(update_fields=["subject", "start", "end"])
    again = acc.calendar.get(id=item.id)
    assert again.subject == "Planning (moved)"
    assert again.start == paris(2024, 5, 2, 14)
    assert again.changekey != item.changekey

    again.delete(send_meeting_cancellations=SEND_TO_NONE)
    with pytest.raises(ErrorItemNotFound):
        acc.calendar.get(id=item.id)


def test_calendar_view_returns_events_of_the_window(emulator):
    acc = account(emulator)
    acc.bulk_create(acc.calendar, [event(acc, f"day {day}", day=day) for day in (1, 2, 9)])
    seen = acc.calendar.view(start=paris(2024, 5, 1), end=paris(2024, 5, 3))
    assert [item.subject for item in seen] == ["day 1", "day 2"]


def test_find_item_restrictions(emulator):
    acc = account(emulator)
    acc.bulk_create(acc.calendar, [event(acc, f"day {day}", day=day) for day in (1, 2, 9)])
    assert acc.calendar.filter(start__gte=paris(2024, 5, 2)).count() == 2
    assert acc.calendar.filter(subject__icontains="DAY 9").count() == 1
    assert acc.calendar.filter(subject__startswith="day").exclude(subject="day 2").count() == 2
    assert acc.calendar.filter(location__exists=True).count() == 0


def test_bulk_create_of_100_items_is_one_request_answered_in_order(emulator):
    acc = account(emulator)
    acc.calendar  # noqa: B018 - folder lookup outside the measured call
    emulator.requests.clear()
    items = [event(acc, f"event {n:03}", day=1 + n % 28) for n in range(100)]
    results = acc.bulk_create(acc.calendar, items, send_meeting_invitations=SEND_TO_NONE)
    assert len(emulator.requests) == 1
    assert operations(emulator, "CreateItem") == 1
    fetched = list(acc.fetch(ids=results))
    assert [item.subject for item in fetched] == [f"event {n:03}" for n in range(100)]


def test_bulk_calls_answer_one_message_per_item_in_order(emulator):
    acc = account(emulator)
    created = acc.bulk_create(acc.calendar, [event(acc, "a"), event(acc, "b")])
    missing = CalendarItem(id=created[0].id[::-1], changekey=created[0].changekey)
    fetched = list(acc.fetch(ids=[created[1], missing, created[0]]))
    assert fetched[0].subject == "b"
    assert isinstance(fetched[1], Exception)
    assert fetched[2].subject == "a"
    results = acc.bulk_delete(ids=[created[0], missing], send_meeting_cancellations=SEND_TO_NONE)
    assert results[0] is True
    assert isinstance(results[1], Exception)


# -- sync ------------------------------------------------------------------------------------


def test_sync_items_pages_and_resumes_from_a_stored_sync_state(emulator):
    acc = account(emulator)
    created = acc.bulk_create(acc.calendar, [event(acc, f"e{n}") for n in range(25)])
    emulator.requests.clear()
    changes = list(acc.calendar.sync_items(max_changes_returned=10))
    assert operations(emulator, "SyncFolderItems") == 3  # 10 + 10 + 5
    assert [kind for kind, _item in changes] == ["create"] * 25
    state = acc.calendar.item_sync_state

    first = acc.calendar.get(id=created[0].id)
    first.subject = "changed"
    first.save(update_fields=["subject"])
    acc.bulk_delete(ids=[created[1]])
    event(acc, "new").save()

    fresh = account(emulator)  # another process resuming from the stored state
    resumed = list(fresh.calendar.sync_items(sync_state=state))
    kinds = {kind: item for kind, item in resumed}
    assert sorted(kinds) == ["create", "delete", "update"]
    assert kinds["update"].subject == "changed"
    assert kinds["delete"].id == created[1].id
    assert kinds["create"].subject == "new"
    assert list(fresh.calendar.sync_items(sync_state=fresh.calendar.item_sync_state)) == []


def test_invalid_sync_state_is_refused(emulator):
    acc = account(emulator)
    with pytest.raises(ErrorInvalidSyncStateData):
        list(acc.calendar.sync_items(sync_state="H4sIAAAAAAAEAO29B2AcSZYlJi9tynt/"))
    list(acc.calendar.sync_items())
    state = acc.calendar.item_sync_state
    emulator.invalidate_sync_states("alice@example.com")
    with pytest.raises(ErrorInvalidSyncStateData):
        list(acc.calendar.sync_items(sync_state=state))


# -- recurrence ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "boundary", "expected_days"),
    [
        (
            DailyPattern(interval=2),
            {"number": 4},
            ["2024-05-01", "2024-05-03", "2024-05-05", "2024-05-07"],
        ),
        (
            WeeklyPattern(interval=1, weekdays=[1, 3], first_day_of_week=1),
            {"end": EWSDateTime(2024, 5, 10).date()},
            ["2024-05-01", "2024-05-06", "2024-05-08"],
        ),
        (
            AbsoluteMonthlyPattern(interval=1, day_of_month=31),
            {"number": 3},
            ["2024-05-31", "2024-06-30", "2024-07-31"],
        ),
        (
            RelativeMonthlyPattern(interval=2, weekday=5, week_number=5),
            {"number": 2},
            ["2024-05-31", "2024-07-26"],
        ),
        (
            AbsoluteYearlyPattern(day_of_month=15, month=6),
            {"number": 2},
            ["2024-06-15", "2025-06-15"],
        ),
        (
            RelativeYearlyPattern(weekday=1, week_number=1, month=9),
            {},  # no end
            ["2024-09-02", "2025-09-01"],
        ),
    ],
)
def test_recurrence_patterns_expand_in_calendar_view(emulator, pattern, boundary, expected_days):
    acc = account(emulator)
    start = paris(2024, 5, 1, 10)
    item = event(
        acc, "series", recurrence=Recurrence(pattern=pattern, start=start.date(), **boundary)
    )
    item.save()
    seen = acc.calendar.view(start=paris(2024, 5, 1), end=paris(2025, 12, 31))
    assert [o.start.astimezone(PARIS).date().isoformat() for o in seen] == expected_days
    assert all(o.start.astimezone(PARIS).hour == 10 for o in seen)  # wall time kept over DST
    assert {o.type for o in seen} == {"Occurrence"}


def test_modified_and_deleted_occurrences(emulator):
    acc = account(emulator)
    master = event(
        acc,
        "weekly",
        recurrence=Recurrence(
            pattern=WeeklyPattern(interval=1, weekdays=[3]),
            start=paris(2024, 5, 1).date(),
            number=4,
        ),
    )
    master.save()
    second = acc.calendar.get(id=master.id).occurrence(2)
    second.refresh()
    second.subject = "moved"
    second.start, second.end = paris(2024, 5, 9, 16), paris(2024, 5, 9, 17)
    second.save(update_fields=["subject", "start", "end"])
    third = acc.calendar.get(id=master.id).occurrence(3)
    third.refresh()
    third.delete()

    master = acc.calendar.get(id=master.id)
    assert master.type == "RecurringMaster"
    assert [o.start for o in master.modified_occurrences] == [paris(2024, 5, 9, 16)]
    assert [o.original_start for o in master.modified_occurrences] == [paris(2024, 5, 8, 10)]
    assert [o.start for o in master.deleted_occurrences] == [paris(2024, 5, 15, 10)]
    seen = acc.calendar.view(start=paris(2024, 5, 1), end=paris(2024, 6, 1))
    assert [(o.type, o.subject, o.start) for o in seen] == [
        ("Occurrence", "weekly", paris(2024, 5, 1, 10)),
        ("Exception", "moved", paris(2024, 5, 9, 16)),
        ("Occurrence", "weekly", paris(2024, 5, 22, 10)),
    ]
    changes = list(acc.calendar.sync_items())
    assert [(kind, item.type) for kind, item in changes] == [("create", "RecurringMaster")]


def test_a_new_pattern_drops_the_exceptions_of_the_series(emulator):
    acc = account(emulator)
    weekly = Recurrence(
        pattern=WeeklyPattern(interval=1, weekdays=[3]), start=paris(2024, 5, 1).date(), number=4
    )
    master = event(acc, "weekly", recurrence=weekly)
    master.save()
    acc.bulk_delete(ids=[acc.calendar.get(id=master.id).occurrence(2)])
    master = acc.calendar.get(id=master.id)
    assert len(master.deleted_occurrences) == 1
    master.recurrence = Recurrence(
        pattern=DailyPattern(interval=1), start=paris(2024, 5, 1).date(), number=3
    )
    master.save(update_fields=["recurrence"])
    master = acc.calendar.get(id=master.id)
    assert master.deleted_occurrences is None
    assert len(list(acc.calendar.view(start=paris(2024, 5, 1), end=paris(2024, 6, 1)))) == 3


def test_an_update_that_breaks_the_item_changes_nothing(emulator):
    acc = account(emulator)
    item = event(acc)
    item.save()
    broken = acc.calendar.get(id=item.id)
    broken.subject = "half applied?"
    broken.end = paris(2024, 5, 1, 9)  # before the start
    with pytest.raises(ErrorCalendarEndDateIsEarlierThanStartDate):
        broken.save(update_fields=["subject", "end"])
    kept = acc.calendar.get(id=item.id)
    assert (kept.subject, kept.changekey) == ("Planning", item.changekey)


def test_wall_time_of_a_series_follows_its_windows_time_zone(emulator):
    new_york = EWSTimeZone("America/New_York")
    acc = account(emulator)
    start = EWSDateTime(2024, 3, 7, 9, tzinfo=new_york)
    item = CalendarItem(
        account=acc,
        folder=acc.calendar,
        subject="stand-up",
        start=start,
        end=start.replace(hour=10),
        recurrence=Recurrence(pattern=DailyPattern(interval=1), start=start.date(), number=6),
    )
    item.save()
    stored = emulator.store.item(item.id).fields["StartTimeZone"]
    assert stored.get("Id") == "Eastern Standard Time"  # the Windows id exchangelib sends
    seen = acc.calendar.view(start=start, end=start.replace(day=20))
    assert [o.start.astimezone(new_york).hour for o in seen] == [9] * 6
    assert {o.start.hour for o in seen} == {14, 13}  # UTC moves at the DST change of 10 March
    master = acc.calendar.get(id=item.id)
    assert master.first_occurrence.start == start
    assert master.last_occurrence.start == start.replace(day=12)


def test_attendee_responses_reach_the_organizer(emulator):
    acc = account(emulator)
    item = event(
        acc,
        required_attendees=[Attendee(mailbox=Mailbox(email_address="bob@example.com"))],
        optional_attendees=[Attendee(mailbox=Mailbox(email_address="carol@example.com"))],
    )
    item.save()
    state = list(acc.calendar.sync_items()) and acc.calendar.item_sync_state
    emulator.respond(item.id, "bob@example.com", "Accept")
    emulator.respond(item.id, "carol@example.com", "Decline")
    [(kind, changed)] = list(acc.calendar.sync_items(sync_state=state))
    assert kind == "update"
    assert [a.response_type for a in changed.required_attendees] == ["Accept"]
    assert [a.response_type for a in changed.optional_attendees] == ["Decline"]


def test_a_meeting_is_delivered_to_the_attendee_who_answers_the_organizer(emulator):
    bob = account(emulator, "bob@example.com")
    meeting = event(
        bob, required_attendees=[Attendee(mailbox=Mailbox(email_address="alice@example.com"))]
    )
    meeting.save(send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
    alice = account(emulator)
    [copy] = list(alice.calendar.all())
    meeting = bob.calendar.get(id=meeting.id)
    assert (copy.uid, copy.organizer.email_address) == (meeting.uid, "bob@example.com")
    assert (copy.my_response_type, meeting.my_response_type) == ("NoResponseReceived", "Organizer")
    with pytest.raises(ErrorCalendarIsOrganizerForAccept):
        meeting.accept()
    copy.tentatively_accept()
    assert alice.calendar.get(id=copy.id).my_response_type == "Tentative"
    [answer] = bob.calendar.get(id=meeting.id).required_attendees
    assert answer.response_type == "Tentative"
    assert emulator.messages_sent[-1]["kind"] == "response"
    alice.calendar.get(id=copy.id).decline()
    assert not list(alice.calendar.all()), "a declined meeting leaves the calendar"
    [answer] = bob.calendar.get(id=meeting.id).required_attendees
    assert answer.response_type == "Decline"


def test_a_silent_meeting_is_not_delivered(emulator):
    bob = account(emulator, "bob@example.com")
    meeting = event(
        bob, required_attendees=[Attendee(mailbox=Mailbox(email_address="alice@example.com"))]
    )
    meeting.save(send_meeting_invitations=SEND_TO_NONE)
    assert not list(account(emulator).calendar.all())


def test_a_fault_can_target_one_operation_and_one_item(emulator):
    acc = account(emulator)
    first, second = event(acc, "first"), event(acc, "second", day=2)
    first.save()
    second.save()
    emulator.faults.server_busy(back_off_ms=5000, operation="UpdateItem", item_id=second.id)
    first.subject = "first (edited)"
    first.save(update_fields=["subject"])  # another item
    second.refresh()  # another operation
    second.subject = "second (edited)"
    with pytest.raises(ErrorServerBusy):
        second.save(update_fields=["subject"])
    second.save(update_fields=["subject"])  # the fault fired once
    assert acc.calendar.get(id=second.id).subject == "second (edited)"


def test_a_refused_item_fails_alone_until_the_refusal_stops(emulator):
    acc = account(emulator)
    items = [event(acc, "a"), event(acc, "b", day=2)]
    for item in items:
        item.save()
    handle = emulator.refuse("UpdateItem", items[0].id)
    for item in items:
        item.subject += " (edited)"
    answers = acc.bulk_update([(item, ["subject"]) for item in items])
    assert isinstance(answers[0], ErrorItemSave)
    assert not isinstance(answers[1], Exception)
    emulator.stop_refusing(handle)
    items[0].save(update_fields=["subject"])
    assert acc.calendar.get(id=items[0].id).subject == "a (edited)"


# -- extended properties, impersonation ------------------------------------------------------


def test_extended_property_round_trip(emulator):
    CalendarItem.register("odoo_id", OdooId)
    try:
        acc = account(emulator)
        item = event(acc, odoo_id="calendar.event,42")
        item.save()
        assert acc.calendar.get(id=item.id).odoo_id == "calendar.event,42"
        item.odoo_id = "calendar.event,43"
        item.save(update_fields=["odoo_id"])
        assert acc.calendar.get(id=item.id).odoo_id == "calendar.event,43"
        event(acc, "other", odoo_id="calendar.event,44").save()
        found = list(acc.calendar.filter(odoo_id="calendar.event,43"))
        assert [i.id for i in found] == [item.id]  # how a lost create is found again
    finally:
        CalendarItem.deregister("odoo_id")


def test_impersonation_addresses_the_impersonated_mailbox(emulator):
    admin_as_alice = account(emulator, "admin@example.com", "alice@example.com", IMPERSONATION)
    item = event(admin_as_alice, "for alice")
    item.save()
    assert emulator.store.item(item.id).mailbox == "alice@example.com"
    assert account(emulator).calendar.get(id=item.id).subject == "for alice"
    with pytest.raises(ErrorAccessDenied):
        account(emulator, "bob@example.com").calendar.get(id=item.id)


def test_impersonating_an_unknown_mailbox_is_refused(emulator):
    nobody = account(emulator, "admin@example.com", "nobody@example.com", IMPERSONATION)
    with pytest.raises(ErrorNonExistentMailbox):
        nobody.calendar  # noqa: B018


def test_delegate_access_needs_a_grant(emulator):
    bob_on_alice = account(emulator, "bob@example.com", "alice@example.com")
    with pytest.raises(ErrorAccessDenied):
        bob_on_alice.calendar  # noqa: B018
    emulator.grant_delegate("alice@example.com", "bob@example.com")
    delegated = account(emulator, "bob@example.com", "alice@example.com")
    event(delegated, "by bob").save()
    assert [i.subject for i in account(emulator).calendar.all()] == ["by bob"]


def test_impersonation_is_refused_without_the_right(emulator):
    bob_as_alice = account(emulator, "bob@example.com", "alice@example.com", IMPERSONATION)
    with pytest.raises(ErrorImpersonateUserDenied):
        bob_as_alice.calendar  # noqa: B018


# -- throttling, conflicts, invitations ------------------------------------------------------


def test_server_busy_back_off_is_honoured(emulator):
    acc = account(emulator, retry_policy=FaultTolerance(max_wait=30))
    acc.calendar  # noqa: B018
    emulator.faults.server_busy(back_off_ms=800)
    emulator.requests.clear()
    began = time.monotonic()
    event(acc).save()
    elapsed = time.monotonic() - began
    assert [r.status for r in emulator.requests] == [500, 200]
    assert elapsed >= 0.8


def test_server_busy_reaches_a_fail_fast_client(emulator):
    acc = account(emulator)
    acc.calendar  # noqa: B018
    emulator.faults.server_busy(back_off_ms=5000)
    with pytest.raises(ErrorServerBusy) as raised:
        event(acc).save()
    assert raised.value.back_off == 5


def test_stale_change_key_fails_never_overwrite_and_is_counted_by_auto_resolve(emulator):
    acc = account(emulator)
    item = event(acc)
    item.save()
    mine, theirs = acc.calendar.get(id=item.id), acc.calendar.get(id=item.id)
    theirs.subject = "edited in Outlook"
    theirs.save(update_fields=["subject"])
    mine.subject = "edited in Odoo"
    with pytest.raises(ErrorIrresolvableConflict):
        acc.bulk_update([(mine, ["subject"])], conflict_resolution="NeverOverwrite")
    assert acc.calendar.get(id=item.id).subject == "edited in Outlook"

    acc.bulk_update([(mine, ["subject", "location"])], conflict_resolution="AutoResolve")
    answer = emulator.requests.last.context["response_body"]
    assert b"<t:Count>1</t:Count>" in answer  # the subject conflicted, the location did not
    assert acc.calendar.get(id=item.id).subject == "edited in Odoo"


def test_invitations_are_counted_per_send_mode(emulator):
    acc = account(emulator)
    bob = [Attendee(mailbox=Mailbox(email_address="bob@example.com"))]
    quiet = [event(acc, f"quiet {n}", required_attendees=bob) for n in range(3)]
    acc.bulk_create(acc.calendar, quiet, send_meeting_invitations=SEND_TO_NONE)
    assert emulator.messages_sent == []
    loud = [event(acc, f"loud {n}", required_attendees=bob) for n in range(3)]
    created = acc.bulk_create(
        acc.calendar, loud, send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY
    )
    assert [(m["kind"], m["recipients"], m["saved_copy"]) for m in emulator.messages_sent] == [
        ("invitation", ["bob@example.com"], True)
    ] * 3
    acc.bulk_delete(ids=created[:1], send_meeting_cancellations=SEND_TO_ALL_AND_SAVE_COPY)
    assert emulator.messages_sent[-1]["kind"] == "cancellation"


# -- what exchangelib never sends: hand-written requests ---------------------------------------

CREATE = (
    "<m:CreateItem{mode}><m:Items><t:CalendarItem><t:Subject>raw</t:Subject>"
    "<t:Start>{start}</t:Start><t:End>2024-05-01T11:00:00Z</t:End>"
    "</t:CalendarItem></m:Items></m:CreateItem>"
)


def test_unknown_request_server_version_is_a_soap_fault(emulator):
    body = "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
    body += '<m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>'
    assert "<m:ResponseCode>NoError</m:ResponseCode>" in soap(emulator, body).text
    refused = soap(emulator, body, version="Exchange2099")
    assert refused.status_code == 500
    assert ">a:ErrorInvalidServerVersion</faultcode>" in refused.text


@pytest.mark.parametrize(
    ("mode", "start", "code"),
    [
        ("", "2024-05-01T10:00:00Z", "ErrorSendMeetingInvitationsRequired"),
        (
            ' SendMeetingInvitations="SendToNone"',
            "2024-05-01T12:00:00Z",
            "ErrorCalendarEndDateIsEarlierThanStartDate",
        ),
        (' SendMeetingInvitations="SendToNone"', "2024-05-01T10:00:00Z", "NoError"),
    ],
)
def test_create_item_checks_calendar_rules(emulator, mode, start, code):
    answer = soap(emulator, CREATE.format(mode=mode, start=start))
    assert answer.status_code == 200
    assert f"<m:ResponseCode>{code}</m:ResponseCode>" in answer.text
