import pytest

from calendar_sync_base.services.model import Attendee, Response, SyncEvent
from calendar_sync_base.services.push_queue import (
    QueueDecision,
    QueuedLink,
    deleted_state,
    queue_decision,
    reply_event,
)

ME = "Me@Example.com"
ORGANIZER = Attendee("boss@example.com", response=Response.ACCEPTED, organizer=True)


def invitation(response):
    return SyncEvent(
        title="Board",
        remote_id="r1",
        attendees=(ORGANIZER, Attendee("me@example.com", response=response)),
    )


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (QueuedLink(record_exists=False, remote_id="r1"), QueueDecision.DELETE_REMOTE),
        # A deleted record never pushed is still "deleted": plan_push then sends nothing.
        (QueuedLink(record_exists=False), QueueDecision.DELETE_REMOTE),
        (
            QueuedLink(True, "r1", stopped=True, created_by_odoo=True),
            QueueDecision.DELETE_REMOTE,
        ),
        (QueuedLink(True, "r1", stopped=True), QueueDecision.FORGET),  # the remote's own copy
        (QueuedLink(True, "", stopped=True, created_by_odoo=True), QueueDecision.FORGET),
        (QueuedLink(True, "", occurrence=True), QueueDecision.ADDRESS_EXCEPTION),
        (
            QueuedLink(True, "", occurrence=True, organized_by_user=True),
            QueueDecision.ADDRESS_EXCEPTION,
        ),
        (QueuedLink(True, "r1_x", occurrence=True, organized_by_user=True), QueueDecision.SEND),
        (QueuedLink(True, "", organized_by_user=True), QueueDecision.SEND),
        (QueuedLink(True, "r1"), QueueDecision.REPLY),
    ],
)
def test_queue_decision(link, expected):
    assert queue_decision(link) is expected


def test_deleted_state_carries_only_the_remote_identity():
    state = deleted_state("calendar.sync.link,7", "r1", "e3")
    assert state.key == "calendar.sync.link,7"
    assert state.event == SyncEvent(remote_id="r1", etag="e3")
    assert (state.snapshot, state.dirty) == (None, True)


def test_reply_carries_only_the_users_changed_answer():
    reply = reply_event(invitation(Response.DECLINED), invitation(Response.ACCEPTED), ME)
    assert reply.attendees == (Attendee("me@example.com", response=Response.DECLINED),)
    assert reply.title == "Board" and reply.remote_id == "r1"


def test_an_answer_never_agreed_is_sent():
    reply = reply_event(invitation(Response.TENTATIVE), None, ME)
    assert [a.response for a in reply.attendees] == [Response.TENTATIVE]


def test_no_reply_when_the_answer_is_the_agreed_one_or_the_user_is_not_invited():
    assert reply_event(invitation(Response.ACCEPTED), invitation(Response.ACCEPTED), ME) is None
    assert reply_event(SyncEvent(attendees=(ORGANIZER,)), None, ME) is None
    # Removed from the guest list: there is no answer of theirs left to send.
    uninvited = SyncEvent(title="Board", remote_id="r1", attendees=(ORGANIZER,))
    assert reply_event(uninvited, invitation(Response.ACCEPTED), ME) is None
