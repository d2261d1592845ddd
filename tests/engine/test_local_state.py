import datetime as dt

from calendar_sync_base.services.local_state import (
    agreed_event,
    as_generated,
    normalized_states,
    occurrence_base,
    same_content,
    still_to_push,
    with_remote_only_fields,
    without_lone_self,
)
from calendar_sync_base.services.matcher import LocalState
from calendar_sync_base.services.model import UTC, Attendee, Reminder, SyncEvent

START = dt.datetime(2024, 5, 6, 9, tzinfo=UTC)
ME = Attendee("me@example.com")
GUEST = Attendee("guest@example.com")
ODOO = SyncEvent(title="Review", start=START, timezone="UTC", attendees=(ME, GUEST))


class OneReminderConnector:
    """Keeps a single reminder, as Outlook does."""

    def normalized(self, event):
        return event.replace(reminders=event.reminders[:1])


def test_remote_roles_are_kept_on_odoos_attendees():
    remote = SyncEvent(attendees=(Attendee("GUEST@example.com", optional=True, resource=True),))
    event = with_remote_only_fields(ODOO, remote, keeps_timezone=True)
    assert event.attendees == (ME, Attendee("guest@example.com", optional=True, resource=True))


def test_single_events_take_the_remote_zone_series_keep_their_own():
    remote = SyncEvent(timezone="Europe/Brussels")
    assert with_remote_only_fields(ODOO, remote, keeps_timezone=False).timezone == (
        "Europe/Brussels"
    )
    assert with_remote_only_fields(ODOO, remote, keeps_timezone=True).timezone == "UTC"
    no_zone = SyncEvent(timezone="")
    assert with_remote_only_fields(ODOO, no_zone, keeps_timezone=False).timezone == "UTC"
    assert with_remote_only_fields(ODOO, None, keeps_timezone=False) is ODOO


def test_the_user_alone_is_no_guest():
    alone = ODOO.replace(attendees=(ME,))
    assert without_lone_self(alone, "Me@Example.com").attendees == ()
    assert without_lone_self(ODOO, "me@example.com").attendees == (ME, GUEST)
    assert without_lone_self(ODOO.replace(attendees=(GUEST,)), "me@example.com").attendees == (
        GUEST,
    )


def test_an_untouched_occurrence_is_its_own_base_for_certain():
    state = occurrence_base(LocalState("calendar.event,3", ODOO), edited_alone=False)
    assert state.snapshot == ODOO and state.key == "calendar.event,3"
    assert state.certain_base


def test_an_occurrence_edited_in_odoo_has_no_base():
    # Both sides changed it: every difference goes to the conflict rule.
    state = occurrence_base(LocalState("calendar.event,3", ODOO, snapshot=ODOO), edited_alone=True)
    assert state.snapshot is None and not state.certain_base


def test_agreed_state_keeps_the_remote_value_of_fields_odoo_still_pushes():
    remote = ODOO.replace(title="Remote title", location="Room 2")
    local = ODOO.replace(title="Odoo title", location="Room 1")
    agreed = agreed_event(local, remote, ("title",))
    assert (agreed.title, agreed.location) == ("Remote title", "Room 1")


def test_only_a_push_clears_a_queued_link():
    assert still_to_push((), queued=True, pushed=False)
    assert not still_to_push((), queued=True, pushed=True)
    assert not still_to_push((), queued=False, pushed=False)
    assert still_to_push(("title",), queued=False, pushed=True)


def test_states_and_content_compare_as_the_provider_keeps_them():
    two = ODOO.replace(reminders=(Reminder(10), Reminder(30)))
    one = ODOO.replace(reminders=(Reminder(10),))
    [state] = normalized_states(OneReminderConnector(), [LocalState("e,1", two, snapshot=two)])
    assert state.event == one and state.snapshot == one
    [unsynced] = normalized_states(OneReminderConnector(), [LocalState("e,1", two)])
    assert unsynced.snapshot is None
    assert same_content(OneReminderConnector(), two, one)
    assert not same_content(OneReminderConnector(), two, one.replace(title="Other"))


def test_an_occurrence_is_edited_alone_only_when_it_differs_from_its_series():
    first = ODOO.replace(stop=START + dt.timedelta(minutes=30))
    slot = START + dt.timedelta(days=1)
    same = first.replace(start=slot, stop=slot + dt.timedelta(minutes=30), odoo_id=9)
    assert as_generated(same, first, slot)
    assert not as_generated(same.replace(title="Review (moved)"), first, slot)
    assert not as_generated(same.replace(stop=slot + dt.timedelta(hours=1)), first, slot)
