import datetime as dt

import pytest
from hypothesis import given, settings

from calendar_sync_base.services.merge import (
    ConflictPolicy,
    ConflictResolution,
    MergeResult,
    apply_direction,
    effective_policy,
    three_way_merge,
)
from calendar_sync_base.services.model import SYNCED_FIELDS, UTC, Direction, SyncEvent
from calendar_sync_base.services.snapshot import synced_values

from .strategies import sync_events

PROPERTY = settings(max_examples=80, deadline=None, database=None)
EARLY = dt.datetime(2024, 1, 1, 10, tzinfo=UTC)
LATE = dt.datetime(2024, 1, 1, 11, tzinfo=UTC)

BASE = SyncEvent(
    title="Review",
    start=dt.datetime(2024, 5, 6, 9, tzinfo=UTC),
    stop=dt.datetime(2024, 5, 6, 10, tzinfo=UTC),
    location="Room 1",
)


def differing_fields(a: SyncEvent, b: SyncEvent) -> set[str]:
    va, vb = synced_values(a), synced_values(b)
    return {name for name in SYNCED_FIELDS if va[name] != vb[name]}


def test_field_changed_on_one_side_flows_to_the_other():
    local = BASE.replace(location="Room 2")
    remote = BASE.replace(title="Design review")
    result = three_way_merge(BASE, local, remote, ConflictPolicy.ODOO_WINS)
    assert result == MergeResult(to_local={"title": "Design review"}, to_remote=("location",))


def test_same_change_on_both_sides_is_no_conflict():
    both = BASE.replace(title="Same")
    assert three_way_merge(BASE, both, both, ConflictPolicy.ODOO_WINS) == MergeResult()


@pytest.mark.parametrize(
    ("policy", "local_modified", "remote_modified", "remote_wins"),
    [
        (ConflictPolicy.ODOO_WINS, EARLY, LATE, False),
        (ConflictPolicy.REMOTE_WINS, LATE, EARLY, True),
        (ConflictPolicy.NEWEST_WINS, LATE, EARLY, False),
        (ConflictPolicy.NEWEST_WINS, EARLY, LATE, True),
        (ConflictPolicy.NEWEST_WINS, EARLY, EARLY, True),  # tie -> remote
        (ConflictPolicy.NEWEST_WINS, None, None, True),
        (ConflictPolicy.NEWEST_WINS, EARLY, None, False),  # known beats unknown
        (ConflictPolicy.NEWEST_WINS, dt.datetime(2024, 1, 1, 12), LATE, False),  # naive = UTC
    ],
)
def test_conflict_resolution(policy, local_modified, remote_modified, remote_wins):
    local = BASE.replace(title="Local title")
    remote = BASE.replace(title="Remote title")
    result = three_way_merge(BASE, local, remote, policy, local_modified, remote_modified)
    assert result.conflicts == ("title",)
    if remote_wins:
        assert result.to_local == {"title": "Remote title"} and result.to_remote == ()
    else:
        assert result.to_local == {} and result.to_remote == ("title",)
    assert result.resolution == ConflictResolution(
        policy, remote_wins, local_modified, remote_modified
    )


def test_a_merge_without_conflict_has_no_resolution():
    result = three_way_merge(BASE, BASE.replace(location="Room 2"), BASE, ConflictPolicy.ODOO_WINS)
    assert result.to_remote == ("location",) and result.resolution is None


def test_without_base_every_difference_is_a_conflict():
    local = BASE.replace(location="Room 2")
    remote = BASE.replace(title="Design review")
    result = three_way_merge(None, local, remote, ConflictPolicy.REMOTE_WINS)
    assert result.conflicts == ("title", "location")
    assert result.to_local == {"title": "Design review", "location": "Room 1"}
    assert result.resolution.without_base, "the history says no agreed state told who changed"


def test_a_conflict_against_a_base_says_so():
    result = three_way_merge(BASE, BASE.replace(title="Local"), BASE.replace(title="Remote"))
    assert not result.resolution.without_base


def test_time_fields_move_together():
    # Odoo moved the start, the remote moved the stop: a field-by-field merge would produce
    # a slot neither side wrote. The whole slot goes to the winner.
    local = BASE.replace(start=dt.datetime(2024, 5, 6, 8, tzinfo=UTC))
    remote = BASE.replace(stop=dt.datetime(2024, 5, 6, 11, tzinfo=UTC))
    result = three_way_merge(BASE, local, remote, ConflictPolicy.REMOTE_WINS)
    assert result.to_local == {"start": BASE.start, "stop": remote.stop}
    assert set(result.conflicts) == {"start", "stop"}


def test_apply_direction():
    result = MergeResult(to_local={"title": "x"}, to_remote=("location",), conflicts=("title",))
    assert apply_direction(result, Direction.BOTH) == result
    assert apply_direction(result, Direction.TO_REMOTE).to_local == {}
    assert apply_direction(result, Direction.TO_REMOTE).to_remote == ("location",)
    assert apply_direction(result, Direction.TO_ODOO).to_remote == ()
    assert apply_direction(result, Direction.TO_ODOO).to_local == {"title": "x"}
    off = apply_direction(result, Direction.OFF)
    assert (off.to_local, off.to_remote) == ({}, ())


def test_one_way_rules_let_the_source_win():
    assert effective_policy(ConflictPolicy.REMOTE_WINS, Direction.TO_REMOTE) is (
        ConflictPolicy.ODOO_WINS
    )
    assert effective_policy(ConflictPolicy.ODOO_WINS, Direction.TO_ODOO) is (
        ConflictPolicy.REMOTE_WINS
    )
    assert effective_policy(ConflictPolicy.ODOO_WINS, Direction.BOTH) is ConflictPolicy.ODOO_WINS


@PROPERTY
@given(sync_events(), sync_events())
def test_merge_with_base_equal_local_yields_remote(local, remote):
    result = three_way_merge(local, local, remote, ConflictPolicy.ODOO_WINS)
    assert result.to_remote == () and result.conflicts == ()
    assert synced_values(local.replace(**result.to_local)) == synced_values(remote)


@PROPERTY
@given(sync_events(), sync_events())
def test_merge_with_base_equal_remote_sends_local(local, remote):
    result = three_way_merge(remote, local, remote, ConflictPolicy.REMOTE_WINS)
    assert result.to_local == {} and result.conflicts == ()
    assert set(result.to_remote) == differing_fields(local, remote)


@PROPERTY
@given(sync_events(), sync_events(), sync_events(), sync_events())
def test_every_difference_goes_exactly_one_way(base, local, remote, any_policy_seed):
    policy = list(ConflictPolicy)[len(any_policy_seed.title) % 3]
    result = three_way_merge(base, local, remote, policy, EARLY, LATE)
    assert not set(result.to_local) & set(result.to_remote)
    assert set(result.to_local) | set(result.to_remote) == differing_fields(local, remote)
    assert set(result.conflicts) <= differing_fields(local, remote)
    # After both flows are applied the two sides agree.
    merged_local = local.replace(**result.to_local)
    merged_remote = remote.replace(**{name: getattr(local, name) for name in result.to_remote})
    assert synced_values(merged_local) == synced_values(merged_remote)
