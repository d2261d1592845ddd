"""An in-memory remote calendar service and its connector, for the provider seam's tests.

``FakeCalendarServer`` holds one ``FakeCalendar`` per mailbox and the access grants it gave;
``FakeConnector`` is a ``CalendarConnector`` (calendar_sync_base/services/protocol.py) over
one mailbox. It behaves like the real services where the base relies on it:

- versions (etags) checked on update and delete, and only the fields an update names written;
- a cursor that returns only what changed since it (deletions as cancelled events), pages
  whose token outlives the process, cursors the service forgets (``CursorExpired``);
- series: a master with its RRULE and excluded dates; each occurrence has an instance id
  (``<master>_<UTC start>``) that an update turns into an exception, listed with its
  master and original start; deleting a master cancels its exceptions;
- invitations: only the organizer may change an event, an attendee only answers (a reply);
- grants per mailbox that the service may revoke (``AuthExpired``);
- push requests it throttles (retried by the connector), leaves unanswered, or refuses
  for one event (403); a latency on every request, which the connector waits out within
  its session's deadline (``TimeBudgetExceeded`` past it);
- the requests it received, for the tests to read.

Pure Python: no Odoo, no network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import secrets
import time
from collections.abc import Sequence

from calendar_sync_base.services.errors import (
    AuthExpired,
    CursorExpired,
    RemoteRejected,
    SyncError,
    Throttled,
    TimeBudgetExceeded,
)
from calendar_sync_base.services.model import SYNCED_FIELDS, UTC, ChangeSet, SyncEvent
from calendar_sync_base.services.protocol import OpKind, PushOp, PushResult, every_page
from calendar_sync_base.services.recurrence import expand

DEFAULT_PAGE_SIZE = 50
# Times the connector sends a throttled push again before leaving it for the next run.
PUSH_ATTEMPTS = 3


@dataclasses.dataclass(frozen=True)
class Request:
    """One request the service received: ``kind`` "list", "fetch", "create", "update",
    "delete" or "reply"; a listing's ``cursor`` and ``page_token``."""

    kind: str
    remote_id: str = ""
    cursor: str = ""
    page_token: str = ""


class NoAnswer(SyncError):
    """The service never answered a push request (the connection dropped)."""


def instance_id(master_remote_id: str, original_start) -> str:
    """The id of the occurrence of ``master_remote_id`` due at ``original_start``."""
    if isinstance(original_start, dt.datetime):
        return f"{master_remote_id}_{original_start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{master_remote_id}_{original_start:%Y%m%d}"


class FakeCalendar:
    """One mailbox's events, each with its version and the change sequence that wrote it."""

    def __init__(self, owner: str):
        self.owner = owner
        self.events: dict[str, SyncEvent] = {}
        self.changed_at: dict[str, int] = {}  # remote id -> sequence of its last change
        self.sequence = 0
        self.expired_before = 0  # cursors older than this sequence are refused
        self.refused_updates: set[str] = set()  # remote ids whose updates are refused
        self.throttled_pushes = 0  # push requests still to answer "too many requests"
        self.unanswered_pushes = False  # push requests get no answer at all
        self.latency = 0.0  # seconds the service takes to answer each request
        self.requests: list[Request] = []
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ what the owner does

    def insert(self, event: SyncEvent) -> SyncEvent:
        remote_id = f"fake-{next(self._ids)}"
        return self._write(
            event.replace(remote_id=remote_id, ical_uid=event.ical_uid or f"{remote_id}@fake")
        )

    def patch(self, remote_id: str, **changes) -> SyncEvent:
        return self._write(self.get(remote_id).replace(**changes))

    def delete(self, remote_id: str) -> None:
        """Cancel the event; a series master takes its exceptions along."""
        for event in list(self.events.values()):
            if event.master_remote_id == remote_id and not event.cancelled:
                self._write(event.replace(cancelled=True))
        self._write(self.get(remote_id).replace(cancelled=True))

    def live(self) -> list[SyncEvent]:
        """Events and series masters still there (exceptions are part of their series)."""
        return [
            event
            for event in self.events.values()
            if not event.cancelled and not event.master_remote_id
        ]

    def get(self, remote_id: str) -> SyncEvent | None:
        """The stored event, or the occurrence ``remote_id`` names in a live series."""
        return self.events.get(remote_id) or self._occurrence(remote_id)

    def occurrences(self, master_id: str) -> list[SyncEvent]:
        """The live occurrences of a series, exceptions as they were changed, by start."""
        master = self.events[master_id]
        found = [self.get(instance_id(master_id, start)) for start in self._starts(master)]
        return [event for event in found if not event.cancelled]

    def expire_cursors(self) -> None:
        """The service forgets every cursor it gave (the next incremental listing is 410)."""
        self.expired_before = self.sequence + 1

    # ------------------------------------------------------------------ storage

    def _write(self, event: SyncEvent) -> SyncEvent:
        self.sequence += 1
        stored = event.replace(etag=f'"{self.sequence}"', last_modified=dt.datetime.now(UTC))
        self.events[event.remote_id] = stored
        self.changed_at[event.remote_id] = self.sequence
        return stored

    def _starts(self, master: SyncEvent) -> list:
        recurrence = master.recurrence
        return expand(recurrence.rrule, master.start, master.timezone, recurrence.exdates)

    def _occurrence(self, remote_id: str) -> SyncEvent | None:
        """The occurrence of a live series ``remote_id`` names, as its master makes it."""
        master_id, _sep, _stamp = remote_id.rpartition("_")
        master = self.events.get(master_id)
        if not master or master.cancelled or not master.recurrence:
            return None
        for start in self._starts(master):
            if instance_id(master_id, start) == remote_id:
                return master.replace(
                    remote_id=remote_id,
                    recurrence=None,
                    master_remote_id=master_id,
                    original_start=start,
                    start=start,
                    stop=start + (master.stop - master.start),
                )
        return None


class FakeCalendarServer:
    """Every mailbox of the fake service and the grants it gave (one per process: the tests
    and Odoo share it)."""

    def __init__(self):
        self.calendars: dict[str, FakeCalendar] = {}
        self.grants: dict[str, str] = {}  # access token -> mailbox

    def calendar(self, owner: str) -> FakeCalendar:
        return self.calendars.setdefault(owner, FakeCalendar(owner))

    def grant(self, owner: str) -> str:
        """A new access token to ``owner``'s mailbox."""
        token = secrets.token_urlsafe(16)
        self.grants[token] = owner
        return token

    def revoke(self, owner: str) -> None:
        """Every grant to ``owner``'s mailbox stops working."""
        self.grants = {token: who for token, who in self.grants.items() if who != owner}

    def reset(self) -> None:
        self.calendars.clear()
        self.grants.clear()


SERVER = FakeCalendarServer()


class FakeConnector:
    """``CalendarConnector`` over one ``FakeCalendar``, reached with an access token; a
    ``session`` (``ResilientSession``) gives the deadline and clock its requests keep to."""

    def __init__(
        self,
        server: FakeCalendarServer,
        owner: str,
        token: str,
        page_size: int = DEFAULT_PAGE_SIZE,
        session=None,
    ):
        self.server = server
        self.calendar = server.calendar(owner)
        self.token = token
        self.page_size = page_size
        self.deadline = session.deadline if session else None
        self.clock = session.clock if session else time.monotonic
        self.sleep = session.sleep if session else time.sleep

    def check_access(self) -> None:
        """One request: its answer comes after the service's latency (never past the
        deadline: ``TimeBudgetExceeded``); ``AuthExpired`` unless the token is a live grant
        to the calendar."""
        self._wait_for_answer()
        if self.server.grants.get(self.token) != self.calendar.owner:
            raise AuthExpired(f"invalid_grant: no access to {self.calendar.owner}")

    def _wait_for_answer(self) -> None:
        latency = self.calendar.latency
        if not latency:
            return
        time_left = float("inf") if self.deadline is None else self.deadline - self.clock()
        if latency > time_left:
            self.sleep(max(time_left, 0.0))
            raise TimeBudgetExceeded(f"{self.calendar.owner}: no answer within the deadline")
        self.sleep(latency)

    # ------------------------------------------------------------------ listing

    def list_changes(self, cursor: str) -> ChangeSet:
        return every_page(self, cursor, "fake calendar listing")

    def list_page(self, cursor: str, page_token: str = "") -> ChangeSet:
        """A page token is ``<upto>:<offset>``: the listing reads what changed up to the
        sequence it started at, so later changes wait for the next listing."""
        self.check_access()
        calendar = self.calendar
        calendar.requests.append(Request("list", cursor=cursor, page_token=page_token))
        since = int(cursor or 0)
        if cursor and since < calendar.expired_before:
            raise CursorExpired(f"cursor {cursor} expired")
        upto, offset = map(int, page_token.split(":")) if page_token else (calendar.sequence, 0)
        changed = sorted(
            (
                event
                for remote_id, event in calendar.events.items()
                if since < calendar.changed_at[remote_id] <= upto
                and (cursor or not event.cancelled)
            ),
            key=lambda event: calendar.changed_at[event.remote_id],
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
        self.calendar.requests.append(Request("fetch", remote_id))
        event = self.calendar.get(remote_id)
        return None if event is None or event.cancelled else event

    # ------------------------------------------------------------------ pushing

    def apply(self, ops: Sequence[PushOp]) -> list[PushResult]:
        """One push request for ``ops``; sent again while throttled, up to
        ``PUSH_ATTEMPTS`` times (the service asks for no delay)."""
        for _attempt in range(PUSH_ATTEMPTS):
            self.check_access()
            try:
                return self._push(ops)
            except Throttled as error:
                throttled = error
            except NoAnswer as error:
                return [PushResult(op.key, error=error, retryable=True) for op in ops]
        return [PushResult(op.key, error=throttled, retryable=True) for op in ops]

    def _push(self, ops: Sequence[PushOp]) -> list[PushResult]:
        calendar = self.calendar
        if calendar.unanswered_pushes:
            raise NoAnswer("the fake calendar did not answer")
        if calendar.throttled_pushes:
            calendar.throttled_pushes -= 1
            raise Throttled("429 too many requests")
        results = []
        for op in ops:
            calendar.requests.append(Request(op.kind.value, op.event.remote_id))
            results.append(self._apply_one(op))
        return results

    def _apply_one(self, op: PushOp) -> PushResult:
        calendar = self.calendar
        if op.kind == OpKind.CREATE:
            return PushResult(op.key, event=calendar.insert(op.event))
        stored = calendar.get(op.event.remote_id)
        if stored is None or stored.cancelled:
            if op.kind == OpKind.DELETE:
                return PushResult(op.key)  # already gone: what was asked
            return PushResult(op.key, error=RemoteRejected("not found", "notFound", 404))
        if op.event.etag and op.event.etag != stored.etag:
            return PushResult(op.key, conflict=True)
        if op.kind == OpKind.DELETE:
            calendar.delete(stored.remote_id)
            return PushResult(op.key)
        if op.kind == OpKind.REPLY:
            return PushResult(op.key, event=calendar._write(_with_reply(stored, op.event)))
        refusal = self._refusal(stored)
        if refusal:
            return PushResult(op.key, error=refusal)
        names = SYNCED_FIELDS if op.fields is None else op.fields
        changes = {name: getattr(op.event, name) for name in names}
        return PushResult(op.key, event=calendar._write(stored.replace(**changes)))

    def _refusal(self, stored: SyncEvent) -> RemoteRejected | None:
        """Why the service refuses to change ``stored``, if it does."""
        if stored.remote_id in self.calendar.refused_updates:
            return RemoteRejected("403 forbidden", "forbidden", 403)
        if stored.organizer_email not in ("", self.calendar.owner):
            return RemoteRejected(
                "403 only the organizer changes the event", "forbiddenForNonOrganizer", 403
            )
        return None

    # ------------------------------------------------------------------ shape

    def normalized(self, event: SyncEvent) -> SyncEvent:
        return event  # the fake keeps every synced field as given

    def instance_id(self, master_remote_id: str, original_start, all_day: bool) -> str:  # pylint: disable=unused-argument
        return instance_id(master_remote_id, original_start)


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
