"""Field-level three-way merge of one event, conflict policy and direction rules."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .model import SYNCED_FIELDS, Direction, SyncEvent
from .snapshot import synced_values
from .timeutil import as_aware


class ConflictPolicy(str, enum.Enum):
    """Who wins when both sides changed the same field to different values."""

    ODOO_WINS = "odoo"
    REMOTE_WINS = "remote"
    NEWEST_WINS = "newest"


# Fields that only make sense together. Merging them one by one could combine the remote's new
# start with Odoo's new stop (an event ending before it starts) or an all-day flag with datetime
# bounds, so when both sides touched the group, the whole group goes to one winner.
TIME_SLOT_FIELDS: tuple[str, ...] = ("start", "stop", "all_day", "timezone")
MERGE_GROUPS: tuple[tuple[str, ...], ...] = (
    TIME_SLOT_FIELDS,
    *((name,) for name in SYNCED_FIELDS if name not in TIME_SLOT_FIELDS),
)


@dataclass(frozen=True)
class ConflictResolution:
    """How the conflicts of one merge were decided, for the history: the rule applied, the
    winner, and the modification times "newest change wins" compared (None: unknown).
    ``without_base``: the sides were merged with no agreed state (a first sync or a reset),
    so they merely differed and nobody knows which one changed."""

    policy: ConflictPolicy
    remote_won: bool
    local_modified: dt.datetime | None = None
    remote_modified: dt.datetime | None = None
    without_base: bool = False


@dataclass(frozen=True)
class MergeResult:
    """``to_local``: field -> remote value to write in Odoo; ``to_remote``: fields Odoo must send;
    ``conflicts``: fields both sides changed differently (each also appears in the winner's flow).
    """

    to_local: dict[str, Any] = field(default_factory=dict)
    to_remote: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    resolution: ConflictResolution | None = None


def three_way_merge(
    base: SyncEvent | None,
    local: SyncEvent,
    remote: SyncEvent,
    policy: ConflictPolicy = ConflictPolicy.NEWEST_WINS,
    local_modified: dt.datetime | None = None,
    remote_modified: dt.datetime | None = None,
) -> MergeResult:
    """Compare both sides with the last agreed state ``base``.

    A side that changed a field against ``base`` carries it to the other side. With no base
    (first link of two existing events) nobody knows who changed what, so every difference is a
    conflict decided by ``policy``.
    """
    local_values = synced_values(local)
    remote_values = synced_values(remote)
    base_values = synced_values(base) if base is not None else None
    remote_wins = winner_is_remote(policy, local_modified, remote_modified)

    flows = merge_values(base_values, local_values, remote_values, MERGE_GROUPS, remote_wins)
    to_local = {name: getattr(remote, name) for name in flows.to_local}
    to_remote, conflicts = list(flows.to_remote), list(flows.conflicts)
    resolution = None
    if conflicts:
        resolution = ConflictResolution(
            ConflictPolicy(policy), remote_wins, local_modified, remote_modified, base is None
        )
    return MergeResult(
        to_local=_in_field_order(to_local),
        to_remote=_ordered(to_remote),
        conflicts=_ordered(conflicts),
        resolution=resolution,
    )


@dataclass(frozen=True)
class FieldFlows:
    """Field names going to Odoo, going to the remote, and in conflict (also in one flow)."""

    to_local: tuple[str, ...] = ()
    to_remote: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()


def merge_values(
    base: Mapping[str, Any] | None,
    local: Mapping[str, Any],
    remote: Mapping[str, Any],
    groups: Sequence[Sequence[str]],
    remote_wins: bool,
) -> FieldFlows:
    """The three-way merge of any record's values, group by group (a group goes whole to one
    side): a side that moved a group away from ``base`` carries it; both moved it, or no
    ``base``: a conflict, won by the remote when ``remote_wins``."""
    to_local: list[str] = []
    to_remote: list[str] = []
    conflicts: list[str] = []
    for group in groups:
        differing = [name for name in group if local[name] != remote[name]]
        if not differing:
            continue
        if base is None:
            local_changed = remote_changed = True
        else:
            local_changed = any(local[n] != base[n] for n in group)
            remote_changed = any(remote[n] != base[n] for n in group)
        if local_changed and remote_changed:
            conflicts.extend(differing)
            goes_to_local = remote_wins
        else:
            # Exactly one side moved away from base (both equal to base would mean no difference).
            goes_to_local = remote_changed
        (to_local if goes_to_local else to_remote).extend(differing)
    return FieldFlows(tuple(to_local), tuple(to_remote), tuple(conflicts))


def changed_groups(base: SyncEvent, local: SyncEvent) -> tuple[str, ...]:
    """The fields of every merge group ``local`` changed against ``base``, in field order.

    What a partial update sends: a group goes whole (a new start travels with its stop and
    zone), the rest stays as the remote has it.
    """
    base_values = synced_values(base)
    local_values = synced_values(local)
    changed = [
        name
        for group in MERGE_GROUPS
        if any(local_values[n] != base_values[n] for n in group)
        for name in group
    ]
    return _ordered(changed)


def apply_direction(result: MergeResult, direction: Direction) -> MergeResult:
    """Drop the flows the direction rule forbids (conflicts stay listed for the log)."""
    direction = Direction(direction)
    if direction is Direction.BOTH:
        return result
    if direction is Direction.TO_REMOTE:
        return replace(result, to_local={})
    if direction is Direction.TO_ODOO:
        return replace(result, to_remote=())
    return MergeResult()


def effective_policy(policy: ConflictPolicy, direction: Direction) -> ConflictPolicy:
    """On a one-way rule the source side wins every conflict.

    Otherwise a conflict won by the side that may not receive changes would leave both sides
    different with nothing carried anywhere.
    """
    if direction is Direction.TO_REMOTE:
        return ConflictPolicy.ODOO_WINS
    if direction is Direction.TO_ODOO:
        return ConflictPolicy.REMOTE_WINS
    return ConflictPolicy(policy)


def winner_is_remote(
    policy: ConflictPolicy, local_modified: dt.datetime | None, remote_modified: dt.datetime | None
) -> bool:
    policy = ConflictPolicy(policy)
    if policy is ConflictPolicy.ODOO_WINS:
        return False
    if policy is ConflictPolicy.REMOTE_WINS:
        return True
    # NEWEST_WINS: an unknown time loses to a known one; a tie goes to the remote, whose copy
    # is the one attendees were notified about.
    if local_modified is None:
        return True
    if remote_modified is None:
        return False
    return as_aware(remote_modified) >= as_aware(local_modified)


def _ordered(names: list[str]) -> tuple[str, ...]:
    return tuple(name for name in SYNCED_FIELDS if name in names)


def _in_field_order(values: dict[str, Any]) -> dict[str, Any]:
    return {name: values[name] for name in SYNCED_FIELDS if name in values}
