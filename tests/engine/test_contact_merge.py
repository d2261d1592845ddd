"""Contacts both ways: a listing sorted against the links, the per-field merge, the agreed
snapshot and what is imported."""

import dataclasses

from calendar_sync_base.services.contact import (
    Contact,
    ContactChanges,
    ContactOp,
    ContactOpKind,
    LinkState,
    RemoteContact,
    plan_contacts,
)
from calendar_sync_base.services.contact_merge import (
    agreed_snapshot,
    importable,
    merge_contact,
    sort_changes,
)
from calendar_sync_base.services.merge import ConflictPolicy

BASE = Contact(given_name="Ada", surname="Lovelace", job_title="Analyst", mobile_phone="1")


def test_own_writes_are_skipped_and_removals_and_unlinked_sorted():
    links = {1: LinkState("r1", BASE, etag="k1"), 2: LinkState("r2", BASE, etag="k2")}
    changes = ContactChanges(
        changed=(RemoteContact("r1", "k1"), RemoteContact("r2", "new"), RemoteContact("r3")),
        removed=("r1", "unknown"),
    )
    pull = sort_changes(changes, links)
    assert list(pull.merges) == [2]
    assert pull.removed == [1]
    assert [item.remote_id for item in pull.unlinked] == ["r3"]


def test_each_side_carries_its_own_fields_and_conflicts_follow_the_policy():
    local = dataclasses.replace(BASE, job_title="Odoo", mobile_phone="2")
    remote = dataclasses.replace(BASE, job_title="Outlook", surname="King")
    odoo = merge_contact(BASE, local, remote, ConflictPolicy.ODOO_WINS)
    assert odoo.to_local["surname"] == "King"
    assert "job_title" in odoo.to_remote and "mobile_phone" in odoo.to_remote
    assert odoo.conflicts == ("job_title",)
    theirs = merge_contact(BASE, local, remote, ConflictPolicy.REMOTE_WINS)
    assert theirs.to_local["job_title"] == "Outlook"


def test_the_name_goes_whole_to_one_side():
    remote = Contact(given_name="Ada", surname="King", job_title="Analyst", mobile_phone="1")
    merge = merge_contact(BASE, BASE, remote, ConflictPolicy.NEWEST_WINS)
    assert merge.to_local == {"surname": "King"}


def test_agreed_snapshot_keeps_the_remote_value_only_where_odoo_must_send():
    written = Contact(surname="Lovelace", job_title="Odoo", notes="kept")
    remote = Contact(surname="Lovelace", job_title="Outlook", notes="typed remotely")
    snapshot = agreed_snapshot(written, remote, ("job_title",))
    assert (snapshot.job_title, snapshot.notes) == ("Outlook", "kept")
    [op] = plan_contacts({1: written}, {1: LinkState("r1", snapshot)})
    assert op.fields == ("job_title",)  # a partial update: the user's notes stay


def test_importable_leaves_stamped_foreign_and_planned_contacts():
    items = [
        RemoteContact("mine", stamp=7),
        RemoteContact("other-db", foreign=True),
        RemoteContact("matched"),
        RemoteContact("made-by-user"),
    ]
    ops = [ContactOp(ContactOpKind.UPDATE, 3, BASE, "matched")]
    assert [i.remote_id for i in importable(items, ops)] == ["made-by-user"]
