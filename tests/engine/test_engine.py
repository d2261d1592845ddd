import datetime as dt

import pytest

from calendar_sync_base.services.engine import (
    PullActionKind,
    PushChange,
    PushEntry,
    SyncCounts,
    SyncRules,
    ends_before,
    plan_pull,
    plan_push,
)
from calendar_sync_base.services.local_state import occurrence_base
from calendar_sync_base.services.matcher import LocalState, Matcher
from calendar_sync_base.services.merge import ConflictPolicy
from calendar_sync_base.services.model import SYNCED_FIELDS, UTC, Direction, Recurrence, SyncEvent
from calendar_sync_base.services.protocol import OpKind

START = dt.datetime(2024, 5, 6, 9, tzinfo=UTC)
STOP = dt.datetime(2024, 5, 6, 10, tzinfo=UTC)
SYNCED = SyncEvent(title="Review", start=START, stop=STOP, location="Room 1")


def linked(key="e,1", remote_id="r1", dirty=False, **changes) -> LocalState:
    event = SYNCED.replace(remote_id=remote_id, **changes)
    return LocalState(key=key, event=event, snapshot=SYNCED, dirty=dirty)


def pull(remote_events, candidates, rules=None, first_sync=False, match_keys=False):
    matcher = Matcher(candidates, match_keys=match_keys)
    return plan_pull(remote_events, matcher, rules or SyncRules(), first_sync)


def test_default_rules():
    rules = SyncRules()
    assert (rules.direction, rules.policy, rules.start) == (
        Direction.BOTH,
        ConflictPolicy.NEWEST_WINS,
        None,
    )


def test_unmatched_remote_is_created_with_every_synced_field():
    remote = SYNCED.replace(remote_id="r9")
    [action] = pull([remote], [])
    assert action.kind is PullActionKind.CREATE_LOCAL
    assert set(action.values) == set(SYNCED_FIELDS)
    assert action.values["title"] == "Review" and action.local is None


def test_old_unmatched_remote_is_not_imported():
    old = SYNCED.replace(remote_id="r9")
    rules = SyncRules(start=dt.datetime(2024, 6, 1, tzinfo=UTC))
    assert pull([old], [], rules)[0].kind is PullActionKind.NOOP


def test_remote_change_updates_local_and_local_change_is_pushed_back():
    state = linked(dirty=True, location="Room 2")
    remote = SYNCED.replace(remote_id="r1", title="Design review")
    [action] = pull([remote], [state])
    assert action.kind is PullActionKind.UPDATE_LOCAL
    assert action.values == {"title": "Design review"}
    assert action.push_back == ("location",)
    assert action.matched_by == "remote_id" and action.local is state


def test_conflict_won_by_odoo_is_pushed_back():
    state = linked(dirty=True, title="Odoo title")
    remote = SYNCED.replace(remote_id="r1", title="Remote title")
    rules = SyncRules(policy=ConflictPolicy.ODOO_WINS)
    [action] = pull([remote], [state], rules)
    assert action.values == {} and action.push_back == ("title",)
    assert action.conflicts == ("title",)


def test_cancelled_remote_deletes_only_its_linked_record():
    state = linked()
    look_alike = LocalState("e,2", SYNCED)
    actions = pull(
        [SyncEvent(remote_id="r1", cancelled=True), SYNCED.replace(remote_id="r2", cancelled=True)],
        [state, look_alike],
        match_keys=True,
    )
    assert [a.kind for a in actions] == [PullActionKind.DELETE_LOCAL, PullActionKind.NOOP]
    assert actions[0].local is state


def test_first_sync_links_look_alikes_instead_of_duplicating():
    existing = LocalState("e,5", SYNCED.replace(location="Room 2"), dirty=True)
    remote = SYNCED.replace(remote_id="r1", last_modified=dt.datetime(2024, 1, 1, tzinfo=UTC))
    rules = SyncRules(policy=ConflictPolicy.ODOO_WINS)
    [action] = pull([remote], [existing], rules, first_sync=True, match_keys=True)
    assert action.kind is PullActionKind.LINK and action.matched_by == "key"
    assert action.push_back == ("location",) and action.conflicts == ("location",)


def test_ical_match_links():
    existing = LocalState("e,5", SYNCED.replace(ical_uid="uid-1"))
    [action] = pull([SYNCED.replace(remote_id="r1", ical_uid="uid-1")], [existing])
    assert action.kind is PullActionKind.LINK and action.matched_by == "ical_uid"


def test_first_sync_ignores_stale_snapshots():
    # A reset: the stored snapshot says "remote changed the title", but it is not trusted.
    state = LocalState(
        "e,1", SYNCED.replace(remote_id="r1", title="Odoo"), snapshot=SYNCED.replace(title="Odoo")
    )
    remote = SYNCED.replace(remote_id="r1")
    rules = SyncRules(policy=ConflictPolicy.ODOO_WINS)
    [action] = pull([remote], [state], rules, first_sync=True)
    assert action.conflicts == ("title",) and action.push_back == ("title",)


def generated_occurrence(**changes) -> LocalState:
    """An Odoo occurrence as its series generated it, matched to a remote exception."""
    event = SYNCED.replace(remote_id="r1_20240506", **changes)
    return occurrence_base(LocalState("e,7", event, modified=NOW), edited_alone=False)


NOW = dt.datetime(2024, 5, 6, 12, tzinfo=UTC)
MOVED = SYNCED.replace(
    remote_id="r1_20240506",
    title="Review (moved)",
    start=START + dt.timedelta(hours=2),
    stop=STOP + dt.timedelta(hours=2),
    last_modified=NOW - dt.timedelta(hours=1),
)


@pytest.mark.parametrize("policy", list(ConflictPolicy))
def test_first_sync_applies_a_remote_exception_to_the_occurrence_odoo_generated(policy):
    # Odoo's occurrence is a fresh copy (newer than the remote edit): it must not win.
    [action] = pull([MOVED], [generated_occurrence()], SyncRules(policy=policy), first_sync=True)
    assert action.kind is PullActionKind.UPDATE_LOCAL
    assert action.values == {"title": "Review (moved)", "start": MOVED.start, "stop": MOVED.stop}
    assert action.push_back == () and action.conflicts == ()


def test_first_sync_lets_the_rule_decide_an_occurrence_edited_on_both_sides():
    edited = LocalState("e,7", SYNCED.replace(remote_id="r1_20240506", title="Review (Odoo)"))
    state = occurrence_base(edited, edited_alone=True)
    rules = SyncRules(policy=ConflictPolicy.ODOO_WINS)
    [action] = pull([MOVED], [state], rules, first_sync=True)
    assert action.values == {}
    assert action.push_back == ("title", "start", "stop")
    assert action.resolution.without_base and not action.resolution.remote_won


def test_direction_to_remote_writes_nothing_locally():
    state = linked()
    remote_change = SYNCED.replace(remote_id="r1", title="Remote edit")
    rules = SyncRules(direction=Direction.TO_REMOTE, policy=ConflictPolicy.REMOTE_WINS)
    actions = pull(
        [
            remote_change,
            SyncEvent(remote_id="r1x", title="new"),
            SyncEvent(remote_id="r1", cancelled=True),
        ],
        [state],
        rules,
    )
    assert [a.kind for a in actions] == [PullActionKind.NOOP] * 3
    assert all(a.values == {} and a.push_back == () for a in actions)


def test_direction_to_remote_lets_odoo_win_conflicts_whatever_the_policy():
    state = linked(dirty=True, title="Odoo edit")
    remote_change = SYNCED.replace(remote_id="r1", title="Remote edit")
    rules = SyncRules(direction=Direction.TO_REMOTE, policy=ConflictPolicy.REMOTE_WINS)
    [action] = pull([remote_change], [state], rules)
    assert action.kind is PullActionKind.NOOP and action.values == {}
    assert action.push_back == ("title",) and action.conflicts == ("title",)


def test_direction_to_odoo_never_pushes_back():
    state = linked(dirty=True, location="Room 2")
    remote = SYNCED.replace(remote_id="r1", title="New")
    rules = SyncRules(direction=Direction.TO_ODOO, policy=ConflictPolicy.ODOO_WINS)
    [action] = pull([remote], [state], rules)
    assert action.values == {"title": "New"} and action.push_back == ()


def test_direction_off_plans_nothing():
    rules = SyncRules(direction=Direction.OFF)
    assert pull([SYNCED.replace(remote_id="r1")], [], rules) == []
    assert plan_push([PushEntry(LocalState("e,1", SYNCED))], rules, "none") == []


def test_plan_push():
    new = LocalState("e,1", SYNCED)
    edited = linked("e,2", "r2", dirty=True)
    clean = linked("e,3", "r3")
    gone = linked("e,4", "r4")
    never_pushed_and_gone = LocalState("e,5", SYNCED)
    ops = plan_push(
        [
            PushEntry(new),
            PushEntry(edited),
            PushEntry(clean),
            PushEntry(gone, PushChange.DELETE),
            PushEntry(never_pushed_and_gone, PushChange.DELETE),
        ],
        SyncRules(),
        send_updates="all",
    )
    assert [(op.kind, op.key) for op in ops] == [
        (OpKind.CREATE, "e,1"),
        (OpKind.UPDATE, "e,2"),
        (OpKind.DELETE, "e,4"),
    ]
    assert all(op.send_updates == "all" for op in ops)


def test_replies_go_out_in_queue_order_whatever_the_link_or_the_dates():
    answer = LocalState("e,1", SYNCED.replace(remote_id="r1"))
    edited = linked("e,2", "r2", dirty=True)
    old_answer = LocalState("e,3", SYNCED.replace(remote_id="r3"))
    rules = SyncRules(start=dt.datetime(2024, 6, 1, tzinfo=UTC))
    ops = plan_push(
        [
            PushEntry(answer, PushChange.REPLY),
            PushEntry(edited),
            PushEntry(old_answer, PushChange.REPLY),
        ],
        rules,
    )
    assert [(op.kind, op.key) for op in ops] == [
        (OpKind.REPLY, "e,1"),
        (OpKind.UPDATE, "e,2"),
        (OpKind.REPLY, "e,3"),
    ]
    assert (
        plan_push([PushEntry(answer, PushChange.REPLY)], SyncRules(direction=Direction.OFF)) == []
    )


def test_silent_entries_email_no_guest():
    entries = [
        PushEntry(LocalState("e,1", SYNCED), silent=True),
        PushEntry(LocalState("e,2", SYNCED)),
    ]
    ops = plan_push(entries, SyncRules(), send_updates="all")
    assert [(op.key, op.send_updates) for op in ops] == [("e,1", "none"), ("e,2", "all")]


def test_update_sends_only_what_changed_since_the_snapshot():
    renamed = linked("e,1", "r1", dirty=True, title="Review (moved)")
    moved = linked("e,2", "r2", dirty=True, start=START + dt.timedelta(hours=1))
    untouched = linked("e,3", "r3", dirty=True)
    ops = plan_push([PushEntry(renamed), PushEntry(moved), PushEntry(untouched)], SyncRules())
    assert [op.fields for op in ops] == [
        ("title",),
        ("start", "stop", "all_day", "timezone"),  # a time slot travels whole
        (),
    ]


def test_update_without_snapshot_sends_the_whole_event():
    state = LocalState("e,1", SYNCED.replace(remote_id="r1"), snapshot=None, dirty=True)
    (op,) = plan_push([PushEntry(state)], SyncRules())
    assert op.fields is None


def test_creates_and_deletes_carry_no_field_list():
    ops = plan_push(
        [PushEntry(LocalState("e,1", SYNCED)), PushEntry(linked("e,2", "r2"), PushChange.DELETE)],
        SyncRules(),
    )
    assert [(op.kind, op.fields) for op in ops] == [(OpKind.CREATE, None), (OpKind.DELETE, None)]


def test_plan_push_respects_start_and_direction():
    old = LocalState("e,1", SYNCED)
    old_but_linked = linked("e,2", "r2", dirty=True)
    rules = SyncRules(start=dt.datetime(2024, 6, 1, tzinfo=UTC))
    assert [op.key for op in plan_push([PushEntry(old), PushEntry(old_but_linked)], rules)] == [
        "e,2"
    ]
    assert plan_push([PushEntry(old)], SyncRules(direction=Direction.TO_ODOO)) == []


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (SYNCED, True),
        (SYNCED.replace(stop=dt.datetime(2024, 6, 1, 0, 30, tzinfo=UTC)), False),
        (SyncEvent(start=dt.date(2024, 5, 31), stop=dt.date(2024, 6, 1), all_day=True), False),
        (SyncEvent(start=dt.date(2024, 5, 30), stop=dt.date(2024, 5, 31), all_day=True), True),
        (SYNCED.replace(recurrence=Recurrence("FREQ=WEEKLY")), False),
        (SYNCED.replace(recurrence=Recurrence("FREQ=WEEKLY;COUNT=3")), True),
        (SYNCED.replace(recurrence=Recurrence("FREQ=WEEKLY;COUNT=5")), False),
        (SYNCED.replace(recurrence=Recurrence("FREQ=DAILY;UNTIL=20240520T090000Z")), True),
        (SYNCED.replace(recurrence=Recurrence("FREQ=DAILY;UNTIL=20240601")), False),
        (SYNCED.replace(recurrence=Recurrence("NOT A RULE")), False),
    ],
)
def test_ends_before(event, expected):
    # 2024-06-01 00:00 UTC; weekly from 6 May: the 4th occurrence is 27 May, the 5th 3 June.
    assert ends_before(event, dt.datetime(2024, 6, 1, tzinfo=UTC)) is expected


def test_sync_counts_totals():
    counts = SyncCounts(
        pulled_created=1, pulled_updated=1, pulled_deleted=1, pushed_created=1, errors=1
    )
    assert counts.as_dict() == {
        "pulled_created": 1,
        "pulled_updated": 1,
        "pulled_deleted": 1,
        "linked": 0,
        "pushed_created": 1,
        "pushed_updated": 0,
        "pushed_deleted": 0,
        "conflicts": 0,
        "errors": 1,
        "warnings": 0,
    }
    assert (counts.pulled, counts.pushed, counts.deleted) == (2, 1, 1)
    busy = SyncCounts(pulled_created=2, pushed_created=1, pushed_updated=1, pulled_deleted=1,
                      pushed_deleted=2, linked=1, conflicts=2, errors=1)  # fmt: skip
    assert (busy.pulled, busy.pushed, busy.deleted) == (2, 2, 3)
