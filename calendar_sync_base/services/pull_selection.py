"""Which remote events of a listing a pull applies, and in what order.

The Odoo layer reads what it stored about each remote id (``KnownLink``) and the versions it
skipped before; these functions decide the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .matcher import LocalState
from .model import ChangeSet, SyncEvent


@dataclass(frozen=True)
class KnownLink:
    """What a pull needs to know of the link already stored for one remote id.

    ``record_exists`` false: its Odoo record was deleted and the push has yet to delete the
    remote copy. ``stopped``: the user switched synchronization off for this event.
    ``guests_withheld``: its guests stay in Odoo only (neither sent nor read back).
    """

    etag: str = ""
    record_exists: bool = True
    stopped: bool = False
    guests_withheld: bool = False


def remote_version(event: SyncEvent) -> str:
    """What changes whenever the remote item does (etag or change key, else its time)."""
    if event.etag:
        return event.etag
    return event.last_modified.isoformat() if event.last_modified else ""


def still_skipped(skipped_versions: Mapping[str, str], event: SyncEvent) -> bool:
    """Skipped before at this very version: unchanged remotely, so it would fail again."""
    version = remote_version(event)
    return bool(version and skipped_versions.get(event.remote_id) == version)


def own_echo(link: KnownLink | None, event: SyncEvent) -> bool:
    """Our own push coming back: the remote copy is exactly the one we stored.

    Not for series: a connector may derive a master's excluded dates from its occurrences,
    which change without the master's own version changing (Graph's changeKey).
    """
    return bool(link and event.etag and link.etag == event.etag and not event.recurrence)


def without_withheld_guests(event: SyncEvent, withheld: bool) -> SyncEvent:
    """The event without guests when its link keeps them in Odoo only (neither sent nor
    read back, so they are never lost on either side)."""
    return event.replace(attendees=()) if withheld else event


def events_to_apply(
    events: Iterable[SyncEvent],
    links: Mapping[str, KnownLink],
    skipped_versions: Mapping[str, str],
) -> tuple[list[SyncEvent], list[SyncEvent]]:
    """The remote events a page applies: ``(series and single events, exceptions)``.

    Left out: events whose Odoo record waits for its remote deletion, our own pushes coming
    back, events the user stopped syncing, and items skipped before at the same version.
    The series come first so that the exceptions, applied after them, find the occurrences
    they created.
    """
    kept = []
    for event in events:
        link = links.get(event.remote_id)
        if link and (not link.record_exists or link.stopped):
            continue
        if own_echo(link, event) or still_skipped(skipped_versions, event):
            continue
        kept.append(without_withheld_guests(event, bool(link and link.guests_withheld)))
    series = [event for event in kept if not event.master_remote_id]
    exceptions = [event for event in kept if event.master_remote_id]
    return series, exceptions


def addressable(events: Iterable[SyncEvent], candidates: Iterable[LocalState]) -> list[SyncEvent]:
    """The exceptions an Odoo record answers to by remote id (linked, or the occurrence of
    a linked series): an exception of a series Odoo does not have would become a stray
    single event."""
    known = {state.event.remote_id for state in candidates}
    return [event for event in events if event.remote_id in known]


def unknown_zone_warnings(changes: ChangeSet) -> list[tuple[SyncEvent, str]]:
    """``(event, zone)`` for each listed event read in a fallback zone; a cancelled event
    has no times to check."""
    events = {event.remote_id: event for event in changes.events}
    return [
        (events[remote_id], zone)
        for remote_id, zone in changes.unknown_timezones.items()
        if remote_id in events and not events[remote_id].cancelled
    ]
