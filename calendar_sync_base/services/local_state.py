"""How an Odoo record reads to the engine, beside what its fields say.

The Odoo layer turns a record into a neutral event; these functions add what only the remote
side holds, drop what the remote side cannot hold, and say what both sides agree on, so that
none of it ever reads as a change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from .matcher import LocalState
from .model import SyncEvent
from .protocol import CalendarConnector
from .snapshot import synced_values


def with_remote_only_fields(
    neutral: SyncEvent, remote: SyncEvent | None, keeps_timezone: bool
) -> SyncEvent:
    """``neutral`` (an Odoo record) with what only the remote side holds taken from
    ``remote`` (the remote event, or the agreed snapshot that kept it): the attendees' roles
    (optional, resource), which Odoo has no field for, and the event's own time zone, which
    Odoo keeps (``keeps_timezone``) only for series. They never read as Odoo changes then, and
    an attendee list Odoo sends back keeps them."""
    if remote is None:
        return neutral
    roles = {attendee.email.casefold(): attendee for attendee in remote.attendees}
    attendees = tuple(
        dataclasses.replace(attendee, optional=role.optional, resource=role.resource)
        if (role := roles.get(attendee.email.casefold()))
        else attendee
        for attendee in neutral.attendees
    )
    neutral = neutral.replace(attendees=attendees)
    if not keeps_timezone:
        neutral = neutral.replace(timezone=remote.timezone or neutral.timezone)
    return neutral


def without_lone_self(event: SyncEvent, user_email: str) -> SyncEvent:
    """An event whose only attendee is the user has no guests, as the remote sees it.

    Pulls add the user to every event they have remotely; without this, a guest-less event
    would look like a local attendee change and be pushed back with the user invited to
    their own event.
    """
    mine = user_email.lower()
    if len(event.attendees) == 1 and event.attendees[0].email.lower() == mine:
        return event.replace(attendees=())
    return event


def as_generated(occurrence: SyncEvent, first: SyncEvent, slot) -> bool:
    """Whether ``occurrence`` is what its series generates at ``slot`` (its original start):
    the series' ``first`` occurrence, moved to that slot. Odoo stamps the slot on
    occurrences it rewrites itself, so only a difference tells a user's edit."""
    generated = first.replace(start=slot, stop=slot + (first.stop - first.start))
    return synced_values(generated) == synced_values(occurrence)


def occurrence_base(state: LocalState, edited_alone: bool) -> LocalState:
    """An Odoo occurrence a remote exception is matched to for the first time.

    Still as its series generated it, it is its own merge base, certain even on a first sync:
    the exception's differences all apply to it, whatever the conflict policy. Edited alone
    in Odoo, both sides changed the occurrence and nothing says which change came first: no
    base, every difference is a conflict the policy decides (and the history records)."""
    if edited_alone:
        return dataclasses.replace(state, snapshot=None, certain_base=False)
    return dataclasses.replace(state, snapshot=state.event, certain_base=True)


def agreed_event(local: SyncEvent, remote: SyncEvent, push_back: Iterable[str]) -> SyncEvent:
    """The state both sides agree on after a sync: Odoo's (so Odoo's own normalisation never
    looks like a local edit), except for the fields Odoo still has to push, which keep the
    remote value so they go on reading as local edits until a push succeeds."""
    return local.replace(**{name: getattr(remote, name) for name in push_back})


def still_to_push(push_back: Iterable[str], queued: bool, pushed: bool) -> bool:
    """Whether a link stays queued: a pull never clears a pending push, only a push does."""
    return bool(tuple(push_back)) or (queued and not pushed)


def normalized_states(
    connector: CalendarConnector, states: Iterable[LocalState]
) -> list[LocalState]:
    """Local states as the provider would keep them, so what it cannot store (a second
    reminder, a read-only video link) never looks changed on the remote side."""
    return [
        dataclasses.replace(
            state,
            event=connector.normalized(state.event),
            snapshot=connector.normalized(state.snapshot) if state.snapshot else None,
        )
        for state in states
    ]


def same_content(connector: CalendarConnector, sent: SyncEvent, remote: SyncEvent) -> bool:
    """Whether the remote copy holds every synced field as ``sent`` (as the provider keeps
    them)."""
    return synced_values(connector.normalized(sent)) == synced_values(connector.normalized(remote))
