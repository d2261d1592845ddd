"""What a queued link sends: the decisions taken before ``engine.plan_push``.

The Odoo layer reads each queued link and its record into a ``QueuedLink``; ``queue_decision``
says how to read it into a push entry, or that there is nothing to send.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .matcher import LocalState
from .model import SyncEvent


class QueueDecision(str, enum.Enum):
    # The Odoo record is gone, or Odoo's own remote copy is no longer synced: delete it.
    DELETE_REMOTE = "delete_remote"
    # No longer synced and the remote copy is not Odoo's: leave it, unqueue the link.
    FORGET = "forget"
    # An occurrence edited alone, not addressed yet: find its remote occurrence first.
    ADDRESS_EXCEPTION = "address_exception"
    # The user's own record: create, update, or delete it remotely if it is archived.
    SEND = "send"
    # An invitation the user does not organize: their own answer, if it changed.
    REPLY = "reply"


@dataclass(frozen=True)
class QueuedLink:
    """A link waiting to be pushed, as the queue decision needs it."""

    record_exists: bool
    remote_id: str = ""
    stopped: bool = False
    created_by_odoo: bool = False  # the remote copy is Odoo's (origin "push")
    occurrence: bool = False  # its record is one occurrence of a series
    organized_by_user: bool = False


def queue_decision(link: QueuedLink) -> QueueDecision:
    if not link.record_exists or (link.stopped and link.created_by_odoo and link.remote_id):
        return QueueDecision.DELETE_REMOTE
    if link.stopped:
        return QueueDecision.FORGET
    if not link.remote_id and link.occurrence:
        return QueueDecision.ADDRESS_EXCEPTION
    return QueueDecision.SEND if link.organized_by_user else QueueDecision.REPLY


def deleted_state(key: str, remote_id: str, etag: str) -> LocalState:
    """A record Odoo no longer has: only its remote identity is left to delete."""
    return LocalState(
        key=key,
        event=SyncEvent(remote_id=remote_id, etag=etag),
        snapshot=None,
        dirty=True,
        modified=None,
    )


def reply_event(event: SyncEvent, agreed: SyncEvent | None, user_email: str) -> SyncEvent | None:
    """An invitation the user does not organize: only their own answer may go out.

    Returns the event carrying just that attendee, or None when the answer is the one last
    agreed (then there is nothing this user may push).
    """
    mine = user_email.lower()
    own = [attendee for attendee in event.attendees if attendee.email.lower() == mine]
    agreed_own = [a for a in agreed.attendees if a.email.lower() == mine] if agreed else []
    if not own or [a.response for a in own] == [a.response for a in agreed_own]:
        return None
    return event.replace(attendees=tuple(own))
