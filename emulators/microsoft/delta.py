"""``/me/calendarView/delta``: skip tokens (pages) and delta tokens (rounds).

A delta token remembers the window and a snapshot ``instance id -> (event id, changeKey)`` of
what the client was given, plus the change sequence number at that time. The next round looks
only at events changed since (``StoredEvent.seq``), so its cost follows the number of changes.
Each skip token names one page of a prepared round, so fetching a nextLink twice (a retry after
a timeout or a 429) returns the same page.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from . import errors
from .store import Mailbox, occurrence_id

Window = tuple[dt.datetime, dt.datetime]
Entry = tuple[str, str]  # ("event" | "removed", id)


@dataclass
class DeltaToken:
    email: str
    window: Window
    snapshot: dict[str, tuple[str, str]]  # instance id -> (event id, change key)
    seq: int
    created: dt.datetime
    generation: int


@dataclass
class Round:
    """One prepared answer to a delta request, served page by page."""

    email: str
    entries: list[Entry]
    next_token: DeltaToken
    created: dt.datetime
    generation: int
    pages: dict[str, int] = field(default_factory=dict)  # skip token -> position


class DeltaTracker:
    """Tokens of all mailboxes. Methods run under the emulator's lock."""

    def __init__(self) -> None:
        self.tokens: dict[str, DeltaToken] = {}
        self.skip_tokens: dict[str, Round] = {}
        self.generations: dict[str, int] = {}  # email -> current generation

    def expire(self, email: str | None, emails: list[str]) -> None:
        for address in [email] if email else emails:
            self.generations[address] = self.generations.get(address, 0) + 1

    def _valid(self, item, email: str, now: dt.datetime, ttl: float | None) -> bool:
        if item.email != email or item.generation != self.generations.get(email, 0):
            return False
        return ttl is None or (now - item.created).total_seconds() <= ttl

    def delta_token(self, token: str, email: str, now, ttl) -> DeltaToken:
        found = self.tokens.get(token)
        if found is None or not self._valid(found, email, now, ttl):
            raise errors.sync_state_not_found(self.generations.get(email, 0))
        return found

    def page(self, skip_token: str, email: str, now, ttl) -> tuple[Round, int]:
        found = self.skip_tokens.get(skip_token)
        if found is None or not self._valid(found, email, now, ttl):
            raise errors.sync_state_not_found(self.generations.get(email, 0))
        return found, found.pages[skip_token]

    def start_round(self, email: str, entries: list[Entry], token: DeltaToken, now) -> Round:
        generation = self.generations.get(email, 0)
        token.generation = generation
        return Round(email, entries, token, now, generation)

    def skip_token_for(self, round_: Round, position: int) -> str:
        for token, at in round_.pages.items():
            if at == position:
                return token
        token = secrets.token_urlsafe(48)
        round_.pages[token] = position
        self.skip_tokens[token] = round_
        return token

    def finish(self, round_: Round) -> str:
        """The delta token of a fully served round (the same one if asked again)."""
        for token, known in self.tokens.items():
            if known is round_.next_token:
                return token
        token = secrets.token_urlsafe(48)
        self.tokens[token] = round_.next_token
        return token


def initial_round(
    mailbox: Mailbox, window: Window, seq: int, now, masters: bool = True
) -> tuple[list, DeltaToken]:
    """Every instance in the window; with ``masters``, a series' master comes right before
    its first instance (as observed Graph lists it)."""
    entries: list[Entry] = []
    snapshot: dict[str, tuple[str, str]] = {}
    for instance in mailbox.expanded(window):
        event = instance.event
        if masters and instance.key is not None and event.id not in snapshot:
            entries.append(("event", event.id))
            snapshot[event.id] = (event.id, event.change_key)
        entries.append(("event", instance.id))
        snapshot[instance.id] = (event.id, instance.change_key)
    return entries, DeltaToken(mailbox.email, window, snapshot, seq, now, 0)


def _current(mailbox: Mailbox, event, window: Window, masters: bool) -> list[tuple[str, str]]:
    """(id, change key) of what a delta shows of ``event`` in ``window``, master first."""
    instances = mailbox.event_instances(event, window)
    listed = [(instance.id, instance.change_key) for instance in instances]
    if masters and event.is_series and instances:
        listed.insert(0, (event.id, event.change_key))
    return listed


def _deleted_occurrence_ids(event) -> set[str]:
    if event.deleted or not event.is_series:
        return set()
    return {occurrence_id(event.raw, key) for key in event.cancelled}


def next_round(
    mailbox: Mailbox,
    token: DeltaToken,
    seq: int,
    now,
    masters: bool = True,
    occurrence_removals: bool = False,
) -> tuple[list, DeltaToken]:
    """What changed in the token's window since the token was issued.

    A deleted occurrence of a series that still exists gets no ``@removed`` unless
    ``occurrence_removals``: "No indication is given for a deleted occurrence" and "Series won't
    be split on multiple delta pages", found by experimentation
    (microsoft-graph-docs#4501). Its master changed, so the series comes again whole.
    """
    snapshot = dict(token.snapshot)
    by_event: dict[str, set[str]] = {}
    for instance_id, (event_id, _key) in snapshot.items():
        by_event.setdefault(event_id, set()).add(instance_id)
    entries: list[Entry] = []
    for event in list(mailbox.events.values()):
        if event.seq <= token.seq:
            continue
        current = _current(mailbox, event, token.window, masters)
        old_ids = by_event.get(event.id, set())
        current_ids = {instance_id for instance_id, _key in current}
        gone = sorted(old_ids - current_ids)
        for instance_id in gone:
            snapshot.pop(instance_id, None)
        if event.deleted and event.id in gone:
            # A deleted series the client was shown the master of: one removal, the master's.
            gone = [event.id]
        elif not occurrence_removals:
            gone = sorted(set(gone) - _deleted_occurrence_ids(event))
        entries.extend(("removed", instance_id) for instance_id in gone)
        for instance_id, change_key in current:
            if snapshot.get(instance_id, ("", ""))[1] != change_key:
                entries.append(("event", instance_id))
                snapshot[instance_id] = (event.id, change_key)
        if not gone and not current:
            # Graph reports events changed outside the window as removed (a known quirk,
            # microsoft-graph-docs#6599): clients must take the removal of an id they never
            # saw as a no-op. A series whose last occurrence in the window was deleted is such
            # a change too.
            entries.append(("removed", event.id))
    return entries, DeltaToken(mailbox.email, token.window, snapshot, seq, now, 0)
