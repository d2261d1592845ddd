"""An in-memory remote calendar service and its connector, for the provider seam's tests.

``FakeCalendarServer`` holds one ``FakeCalendar`` per mailbox; ``FakeConnector`` is a
``CalendarConnector`` (calendar_sync_base/services/protocol.py) over one of them. It behaves
like the real services where the base relies on it: versions (etags) checked on update and
delete, a cursor that returns only what changed since it (deletions as cancelled events),
pages, an expired cursor (``CursorExpired``), a revoked access (``AuthExpired``), and only the
fields an update names are written. Pure Python: no Odoo, no network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Sequence

from calendar_sync_base.services.errors import AuthExpired, CursorExpired, RemoteRejected
from calendar_sync_base.services.model import UTC, ChangeSet, SyncEvent
from calendar_sync_base.services.protocol import OpKind, PushOp, PushResult, every_page

DEFAULT_PAGE_SIZE = 50


class FakeCalendar:
    """One mailbox's events, each with its version and the change sequence that wrote it."""

    def __init__(self, owner: str):
        self.owner = owner
        self.events: dict[str, SyncEvent] = {}
        self.changed_at: dict[str, int] = {}  # remote id -> sequence of its last change
        self.sequence = 0
        self.expired_before = 0  # cursors older than this sequence are refused
        self.revoked = False
        self.refused_updates: set[str] = set()  # remote ids whose updates are refused
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ what the owner does

    def insert(self, event: SyncEvent) -> SyncEvent:
        remote_id = f"fake-{next(self._ids)}"
        return self._write(
            event.replace(remote_id=remote_id, ical_uid=event.ical_uid or f"{remote_id}@fake")
        )

    def patch(self, remote_id: str, **changes) -> SyncEvent:
        return self._write(self.events[remote_id].replace(**changes))

    def delete(self, remote_id: str) -> None:
        self._write(self.events[remote_id].replace(cancelled=True))

    def live(self) -> list[SyncEvent]:
        return [event for event in self.events.values() if not event.cancelled]

    def expire_cursors(self) -> None:
        """The service forgets every cursor it gave (the next incremental listing is 410)."""
        self.expired_before = self.sequence + 1

    def _write(self, event: SyncEvent) -> SyncEvent:
        self.sequence += 1
        stored = event.replace(etag=f'"{self.sequence}"', last_modified=dt.datetime.now(UTC))
        self.events[event.remote_id] = stored
        self.changed_at[event.remote_id] = self.sequence
        return stored


class FakeCalendarServer:
    """Every mailbox of the fake service (one per process: the tests and Odoo share it)."""

    def __init__(self):
        self.calendars: dict[str, FakeCalendar] = {}

    def calendar(self, owner: str) -> FakeCalendar:
        return self.calendars.setdefault(owner, FakeCalendar(owner))

    def reset(self) -> None:
        self.calendars.clear()


SERVER = FakeCalendarServer()


class FakeConnector:
    """``CalendarConnector`` over one ``FakeCalendar``."""

    def __init__(self, calendar: FakeCalendar, page_size: int = DEFAULT_PAGE_SIZE):
        self.calendar = calendar
        self.page_size = page_size

    def check_access(self) -> None:
        """Raises ``AuthExpired`` once the access to the calendar is revoked."""
        if self.calendar.revoked:
            raise AuthExpired(f"access to {self.calendar.owner} revoked")

    # ------------------------------------------------------------------ listing

    def list_changes(self, cursor: str) -> ChangeSet:
        return every_page(self, cursor, "fake calendar listing")

    def list_page(self, cursor: str, page_token: str = "") -> ChangeSet:
        """A page token is ``<upto>:<offset>``: the listing reads what changed up to the
        sequence it started at, so later changes wait for the next listing."""
        self.check_access()
        since = int(cursor or 0)
        if cursor and since < self.calendar.expired_before:
            raise CursorExpired(f"cursor {cursor} expired")
        upto, offset = (
            map(int, page_token.split(":")) if page_token else (self.calendar.sequence, 0)
        )
        changed = sorted(
            (
                event
                for remote_id, event in self.calendar.events.items()
                if since < self.calendar.changed_at[remote_id] <= upto
                and (cursor or not event.cancelled)
            ),
            key=lambda event: self.calendar.changed_at[event.remote_id],
        )
        page = changed[offset : offset + self.page_size]
        more = offset + self.page_size < len(changed)
        return ChangeSet(
            events=page,
            next_page=f"{upto}:{offset + self.page_size}" if more else "",
            next_cursor="" if more else str(upto),
        )

    def fetch(self, remote_id: str) -> SyncEvent | None:
        self.check_access()
        event = self.calendar.events.get(remote_id)
        return None if event is None or event.cancelled else event

    # ------------------------------------------------------------------ pushing

    def apply(self, ops: Sequence[PushOp]) -> list[PushResult]:
        self.check_access()
        return [self._apply_one(op) for op in ops]

    def _apply_one(self, op: PushOp) -> PushResult:
        if op.kind == OpKind.CREATE:
            return PushResult(op.key, event=self.calendar.insert(op.event))
        stored = self.calendar.events.get(op.event.remote_id)
        if stored is None or stored.cancelled:
            if op.kind == OpKind.DELETE:
                return PushResult(op.key)  # already gone: what was asked
            return PushResult(op.key, error=RemoteRejected("not found", "notFound", 404))
        if op.event.etag and op.event.etag != stored.etag:
            return PushResult(op.key, conflict=True)
        if op.kind == OpKind.DELETE:
            self.calendar.delete(stored.remote_id)
            return PushResult(op.key)
        if stored.remote_id in self.calendar.refused_updates:
            return PushResult(op.key, error=RemoteRejected("403 forbidden", "forbidden", 403))
        if op.kind == OpKind.REPLY:
            return PushResult(op.key, event=self.calendar._write(_with_reply(stored, op.event)))
        names = op.fields or [field.name for field in dataclasses.fields(SyncEvent)]
        changes = {name: getattr(op.event, name) for name in names if name not in _IDENTITY}
        return PushResult(op.key, event=self.calendar.patch(stored.remote_id, **changes))

    # ------------------------------------------------------------------ shape

    def normalized(self, event: SyncEvent) -> SyncEvent:
        return event  # the fake keeps every synced field as given

    def instance_id(self, master_remote_id: str, original_start, all_day: bool) -> str | None:
        stamp = original_start.strftime("%Y%m%d" if all_day else "%Y%m%dT%H%M%SZ")
        return f"{master_remote_id}_{stamp}"


# Set by the service, never by a push.
_IDENTITY = {"remote_id", "ical_uid", "etag", "last_modified", "cancelled"}


def _with_reply(stored: SyncEvent, reply: SyncEvent) -> SyncEvent:
    """``stored`` with the answer of the one attendee ``reply`` holds."""
    answers = {attendee.email: attendee.response for attendee in reply.attendees}
    attendees = tuple(
        dataclasses.replace(attendee, response=answers[attendee.email])
        if attendee.email in answers
        else attendee
        for attendee in stored.attendees
    )
    return stored.replace(attendees=attendees)
