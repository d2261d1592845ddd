"""Find the Odoo event a remote event corresponds to."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .model import SyncEvent
from .timeutil import aware_utc

_WHITESPACE = re.compile(r"\s+")

MATCHED_BY_REMOTE_ID = "remote_id"
MATCHED_BY_ICAL_UID = "ical_uid"
MATCHED_BY_KEY = "key"


@dataclass
class LocalState:
    """One Odoo event as the engine sees it.

    ``key`` routes decisions back to the record (e.g. ``"calendar.event,42"``); ``snapshot`` is
    the state both sides agreed on at the last sync (None if never synced); ``dirty`` says Odoo
    changed it since; ``modified`` is when (for the newest-wins policy). ``certain_base``: the
    snapshot is no stored agreement but known for sure (an occurrence as its series generated
    it), so a first sync, which distrusts stored snapshots, still merges against it.
    """

    key: str
    event: SyncEvent
    snapshot: SyncEvent | None = None
    dirty: bool = False
    modified: dt.datetime | None = None
    certain_base: bool = False


def normalize_title(title: str) -> str:
    return _WHITESPACE.sub(" ", title or "").strip().casefold()


def match_key(event: SyncEvent) -> tuple:
    """Title, start, stop and all-day flag, spelled so that both sides' copies compare equal."""
    return (
        normalize_title(event.title),
        _instant(event.start),
        _instant(event.stop),
        bool(event.all_day),
    )


def _instant(value):
    if isinstance(value, dt.datetime):
        return aware_utc(value).replace(microsecond=0)
    return value


def _ical_key(event: SyncEvent) -> tuple:
    # Google gives every instance of a series the master's iCalUID: the original start tells
    # the instances (and the master, which has none) apart.
    return (event.ical_uid, _instant(event.original_start))


class Matcher:
    """Matches remote events to local candidates: remote id, then iCalUID, then key fields.

    Key matching (``match_keys``) is for first/reset syncs only: it is what prevents duplicates
    when two calendars that already hold the same meetings are connected. A candidate matched by
    iCalUID or key is claimed, so a second remote event cannot take it, and a candidate linked to
    another remote id is never taken by iCalUID or key (its link is authoritative).
    """

    def __init__(self, candidates: Iterable[LocalState], match_keys: bool = False):
        self.match_keys = match_keys
        self._by_remote_id: dict[str, LocalState] = {}
        self._by_ical: dict[tuple, list[LocalState]] = {}
        self._by_key: dict[tuple, list[LocalState]] = {}
        self._claimed: dict[str, str] = {}  # candidate key -> remote id it was matched to
        for state in candidates:
            event = state.event
            if event.remote_id:
                self._by_remote_id.setdefault(event.remote_id, state)
            if event.ical_uid:
                self._by_ical.setdefault(_ical_key(event), []).append(state)
            self._by_key.setdefault(match_key(event), []).append(state)

    def match(self, remote: SyncEvent) -> tuple[LocalState | None, str]:
        """``(candidate, how)``; how is "remote_id", "ical_uid", "key", or "" with no match."""
        found = self.by_remote_id(remote.remote_id)
        if found is not None:
            return found, MATCHED_BY_REMOTE_ID
        if remote.ical_uid:
            found = self._first_free(self._by_ical.get(_ical_key(remote), ()), remote)
            if found is not None:
                return found, MATCHED_BY_ICAL_UID
        if self.match_keys:
            found = self._first_free(self._by_key.get(match_key(remote), ()), remote)
            if found is not None:
                return found, MATCHED_BY_KEY
        return None, ""

    def by_remote_id(self, remote_id: str) -> LocalState | None:
        """The candidate linked to ``remote_id``: the only safe match for a deletion."""
        return self._by_remote_id.get(remote_id) if remote_id else None

    def _first_free(self, states: Iterable[LocalState], remote: SyncEvent) -> LocalState | None:
        for state in states:
            linked_to = state.event.remote_id or self._claimed.get(state.key, "")
            if linked_to and linked_to != remote.remote_id:
                continue
            self._claimed[state.key] = remote.remote_id or f"<unsaved:{id(remote)}>"
            return state
        return None
