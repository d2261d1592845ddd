"""The planner the Odoo layer calls: what to write locally after a pull, what to push.

It only decides; the Odoo layer applies the decisions (with its "do not push back" context flag),
stores ids, etags and snapshots, and logs every change.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .matcher import MATCHED_BY_REMOTE_ID, LocalState, Matcher
from .merge import (
    ConflictPolicy,
    ConflictResolution,
    MergeResult,
    apply_direction,
    changed_groups,
    effective_policy,
    three_way_merge,
)
from .model import SYNCED_FIELDS, Direction, SyncEvent
from .protocol import OpKind, PushOp
from .recurrence import expand, parse_rrule, zone_info
from .timeutil import as_aware


@dataclass
class SyncRules:
    """Per-user rules. ``start``: events ending before it are neither imported nor exported
    (linked events keep syncing, so history is not torn apart)."""

    direction: Direction = Direction.BOTH
    policy: ConflictPolicy = ConflictPolicy.NEWEST_WINS
    start: dt.datetime | None = None

    @property
    def writes_local(self) -> bool:
        return self.direction in (Direction.BOTH, Direction.TO_ODOO)

    @property
    def writes_remote(self) -> bool:
        return self.direction in (Direction.BOTH, Direction.TO_REMOTE)


class PullActionKind(str, enum.Enum):
    CREATE_LOCAL = "create_local"
    UPDATE_LOCAL = "update_local"
    DELETE_LOCAL = "delete_local"
    LINK = "link"
    NOOP = "noop"


@dataclass
class PullAction:
    """One decision about one remote event.

    - CREATE_LOCAL: create a record from ``values`` (every synced field of the remote).
    - UPDATE_LOCAL: write ``values`` (possibly empty) on ``local`` and store the remote's etag.
    - LINK: store the remote id/etag on ``local`` (an existing event found by iCalUID or key),
      then write ``values``.
    - DELETE_LOCAL: the remote event was deleted/cancelled.
    - NOOP: leave Odoo alone.

    Whatever the kind, ``push_back`` lists the fields Odoo must send back (it changed them, or
    won a conflict): flag the record for push. After applying, ``remote`` is the new snapshot.
    """

    kind: PullActionKind
    remote: SyncEvent
    local: LocalState | None = None
    values: dict[str, Any] = field(default_factory=dict)
    push_back: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    resolution: ConflictResolution | None = None
    matched_by: str = ""


def plan_pull(
    remote_events: Iterable[SyncEvent],
    matcher: Matcher,
    rules: SyncRules,
    first_sync: bool = False,
) -> list[PullAction]:
    """Decide, for each remote event, what happens in Odoo.

    On a first/reset sync stored snapshots are not trusted (that is what a reset is for), so
    every difference is a conflict decided by the policy; a base known for certain
    (``LocalState.certain_base``) still holds.
    """
    if rules.direction is Direction.OFF:
        return []
    return [_plan_one_pull(remote, matcher, rules, first_sync) for remote in remote_events]


def _plan_one_pull(
    remote: SyncEvent, matcher: Matcher, rules: SyncRules, first_sync: bool
) -> PullAction:
    if remote.cancelled:
        return _plan_cancelled(remote, matcher, rules)
    local, how = matcher.match(remote)
    if local is None:
        if rules.writes_local and not ends_before(remote, rules.start):
            values = {name: getattr(remote, name) for name in SYNCED_FIELDS}
            return PullAction(PullActionKind.CREATE_LOCAL, remote, values=values)
        return PullAction(PullActionKind.NOOP, remote)

    merged = apply_direction(
        three_way_merge(
            merge_base(local, first_sync),
            local.event,
            remote,
            effective_policy(rules.policy, rules.direction),
            local.modified,
            remote.last_modified,
        ),
        rules.direction,
    )
    if how != MATCHED_BY_REMOTE_ID:
        kind = PullActionKind.LINK  # identity only on one-way-to-remote: values are empty
    elif rules.writes_local:
        kind = PullActionKind.UPDATE_LOCAL
    else:
        kind = PullActionKind.NOOP
    return _with_merge(PullAction(kind, remote, local, matched_by=how), merged)


def merge_base(local: LocalState, first_sync: bool) -> SyncEvent | None:
    """What ``local`` is merged against: the state both sides agreed on. A first sync or a
    reset distrusts stored snapshots (none, every difference goes to the rule), not a base
    known for certain."""
    if first_sync and not local.certain_base:
        return None
    return local.snapshot


def _plan_cancelled(remote: SyncEvent, matcher: Matcher, rules: SyncRules) -> PullAction:
    # Only a record linked to this very remote id is deleted: a cancelled event carries little
    # more than its id, and deleting a look-alike found by key would destroy unrelated data.
    # A deletion beats local edits: the remote deletion already notified the attendees.
    local = matcher.by_remote_id(remote.remote_id)
    if local is None or not rules.writes_local:
        return PullAction(
            PullActionKind.NOOP, remote, local, matched_by=MATCHED_BY_REMOTE_ID if local else ""
        )
    return PullAction(PullActionKind.DELETE_LOCAL, remote, local, matched_by=MATCHED_BY_REMOTE_ID)


def _with_merge(action: PullAction, merged: MergeResult) -> PullAction:
    action.values = dict(merged.to_local)
    action.push_back = merged.to_remote
    action.conflicts = merged.conflicts
    action.resolution = merged.resolution
    return action


class PushChange(str, enum.Enum):
    SAVE = "save"  # the record as Odoo has it: create it remotely, or update what changed
    DELETE = "delete"  # gone from Odoo (deleted, archived, no longer synced): delete the copy
    REPLY = "reply"  # someone else's invitation: only the user's own answer goes out


@dataclass(frozen=True)
class PushEntry:
    """One queued record for ``plan_push``. ``silent``: queued by a first sync or a reset,
    pushed without e-mailing the guests."""

    state: LocalState
    change: PushChange = PushChange.SAVE
    silent: bool = False


def plan_push(
    entries: Iterable[PushEntry],
    rules: SyncRules,
    send_updates: str = "none",
) -> list[PushOp]:
    """Remote operations for queued records, in their order.

    SAVE: unlinked -> CREATE (unless it ends before ``rules.start``), linked and dirty ->
    UPDATE of the fields changed since the snapshot (all of them without one); DELETE: linked
    -> DELETE; REPLY -> REPLY; anything else needs nothing. ``send_updates`` goes with every
    op but the silent ones.
    """
    if not rules.writes_remote:
        return []
    ops: list[PushOp] = []
    for entry in entries:
        op = _plan_one_push(entry, rules, "none" if entry.silent else send_updates)
        if op is not None:
            ops.append(op)
    return ops


def _plan_one_push(entry: PushEntry, rules: SyncRules, send_updates: str) -> PushOp | None:
    state = entry.state
    linked = bool(state.event.remote_id)
    if entry.change is PushChange.REPLY:
        return PushOp(OpKind.REPLY, state.key, state.event, send_updates)
    if entry.change is PushChange.DELETE:
        return PushOp(OpKind.DELETE, state.key, state.event, send_updates) if linked else None
    if not linked:
        if ends_before(state.event, rules.start):
            return None
        return PushOp(OpKind.CREATE, state.key, state.event, send_updates)
    if state.dirty:
        changed = None if state.snapshot is None else changed_groups(state.snapshot, state.event)
        return PushOp(OpKind.UPDATE, state.key, state.event, send_updates, fields=changed)
    return None


def ends_before(event: SyncEvent, start: dt.datetime | None) -> bool:
    """True when the event (all of its series, if recurring) is over before ``start``."""
    if start is None or event.stop is None:
        return False
    start = as_aware(start)
    if event.recurrence is not None:
        return _series_ends_before(event, start)
    return _end_instant(event.stop) <= start


def _series_ends_before(event: SyncEvent, start: dt.datetime) -> bool:
    try:
        spec = parse_rrule(event.recurrence.rrule)
    except ValueError:
        return False  # cannot tell: keep it rather than lose it
    duration = _duration(event)
    if duration is None or (spec.count is None and spec.until is None):
        return False  # endless, or bounds we cannot read
    try:
        zone = zone_info(event.timezone)
    except ValueError:
        return False
    if spec.until is not None:
        # No occurrence starts after UNTIL: a cheap upper bound, no expansion needed.
        last_start = _latest_start_allowed_by(spec.until, event.all_day, zone)
    else:
        occurrences = expand(spec, event.start, event.timezone or "UTC", (), limit=spec.count)
        if not occurrences:
            return True
        last_start = occurrences[-1]
    return _end_instant(last_start + duration) <= start


def _latest_start_allowed_by(until, all_day: bool, zone: dt.tzinfo):
    if isinstance(until, dt.datetime):
        if all_day:
            return until.date()
        return until if until.tzinfo is not None else until.replace(tzinfo=zone)
    if all_day:
        return until
    # A date UNTIL on a timed series covers that whole local day.
    return dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone)


def _duration(event: SyncEvent):
    try:
        return event.stop - event.start
    except TypeError:
        return None


def _end_instant(stop: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(stop, dt.datetime):
        return as_aware(stop)
    # An all-day stop is an exclusive local midnight with no zone of its own; the last zone on
    # Earth (UTC-12) reaches it last, so an event still touching ``start`` anywhere is kept.
    return dt.datetime.combine(stop, dt.time(), dt.timezone(dt.timedelta(hours=-12)))


@dataclass
class SyncCounts:
    """What one sync did, for the sync log and the user's notification."""

    pulled_created: int = 0
    pulled_updated: int = 0
    pulled_deleted: int = 0
    linked: int = 0
    pushed_created: int = 0
    pushed_updated: int = 0
    pushed_deleted: int = 0
    conflicts: int = 0
    errors: int = 0
    warnings: int = 0  # applied, but not exactly (a guessed time zone, a capped series)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def pulled(self) -> int:
        return self.pulled_created + self.pulled_updated

    @property
    def pushed(self) -> int:
        return self.pushed_created + self.pushed_updated

    @property
    def deleted(self) -> int:
        return self.pulled_deleted + self.pushed_deleted
