"""The small protocol every provider connector implements, and the types it exchanges."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .errors import SyncError
from .model import ChangeSet, SyncEvent


class OpKind(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    # The user's answer to an invitation they do not organize: ``event.attendees`` holds only
    # their own attendee; nothing else of the event may change (providers refuse it).
    REPLY = "reply"


@dataclass(frozen=True)
class PushOp:
    """One change to apply remotely.

    ``key`` identifies the Odoo side (e.g. ``"calendar.event,42"``) so results can be routed
    back; ``event.remote_id`` and ``event.etag`` identify the remote side for update/delete
    (the etag is sent as ``If-Match`` so concurrent remote edits are detected, not overwritten).

    ``fields`` (updates): the synced fields Odoo changed since the last agreed state, the only
    ones the connector sends, so what the remote event holds and Odoo cannot represent (its own
    time zone, conference data, a property this sync does not map) is kept; ``None`` sends the
    whole event (a create, or an update with no agreed state to compare with).
    """

    kind: OpKind
    key: str
    event: SyncEvent
    send_updates: str = "none"  # "all" | "external" | "none": whether the provider e-mails guests
    fields: tuple[str, ...] | None = None


@dataclass
class PushResult:
    key: str
    event: SyncEvent | None = None  # the remote state after the change (new id / etag)
    error: SyncError | None = None
    conflict: bool = False  # the etag no longer matched: the remote copy changed meanwhile
    retryable: bool = False  # transient failure: keep the record queued for the next run

    @property
    def ok(self) -> bool:
        return self.error is None and not self.conflict


class CalendarConnector(Protocol):
    def list_changes(self, cursor: str) -> ChangeSet:
        """Changes since ``cursor`` ("" = full listing of the sync window).

        Raises ``CursorExpired`` when the provider refuses the cursor.
        """

    def list_page(self, cursor: str, page_token: str = "") -> ChangeSet:
        """One page of the listing since ``cursor``: the first, or the one ``page_token`` (a
        previous page's ``next_page``) points at. The last page has no ``next_page`` and
        carries ``next_cursor``; ``list_changes`` is every page put together.
        """

    def apply(self, ops: Sequence[PushOp]) -> list[PushResult]:
        """Apply ops in as few requests as the provider allows; one result per op, in order."""

    def fetch(self, remote_id: str) -> SyncEvent | None:
        """The current remote state of one event, or None when it no longer exists."""

    def normalized(self, event: SyncEvent) -> SyncEvent:
        """``event`` as the provider would keep it (e.g. one reminder, no read-only fields).

        The engine merges normalized Odoo states against remote events, so what a provider
        cannot store never reads as a remote change that would wipe it in Odoo.
        """

    def instance_id(self, master_remote_id: str, original_start, all_day: bool) -> str | None:
        """The remote id of the occurrence of a series that was due at ``original_start``
        (aware UTC datetime, or a date for all-day series), or None if there is none."""


def every_page(connector: CalendarConnector, cursor: str, listing: str) -> ChangeSet:
    """``list_changes`` from ``list_page``: every page of a listing put together.

    A provider handing back a page token it already gave would loop forever: stop instead.
    """
    changes = connector.list_page(cursor)
    seen = set()
    while changes.next_page:
        if changes.next_page in seen:
            raise SyncError(f"{listing}: next page repeated, stopping")
        seen.add(changes.next_page)
        changes.extend(connector.list_page(cursor, changes.next_page))
    return changes
