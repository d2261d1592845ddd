"""Contacts both ways: what a listing of the remote folder brings back to Odoo.

Before the push (``contact.plan_contacts``), a sync both ways reads what changed remotely:

- a linked contact changed remotely (not our own write coming back: same change key) is
  merged field by field with Odoo's contact against the link's snapshot, as events are
  (``merge.merge_values``, the account's conflict policy deciding); the fields taken from the
  remote are written on the partner, the others Odoo pushes back;
- a linked contact deleted remotely ends its link (``removed``): the partner is left as it is;
- an unlinked contact is a candidate for the plan (adopted when stamped by us, matched on a
  first sync) and, when nothing in the plan takes it and no database stamped it, made by the
  user in the folder: ``importable``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .contact import Contact, ContactChanges, ContactOp, Key, LinkState, RemoteContact
from .merge import ConflictPolicy, ConflictResolution, merge_values, winner_is_remote

# The name goes whole to one side: Odoo keeps it as one text (or a company's name).
NAME_FIELDS = ("is_company", "given_name", "middle_name", "surname", "title", "suffix",
               "company_name")  # fmt: skip
CONTACT_MERGE_GROUPS: tuple[tuple[str, ...], ...] = (
    NAME_FIELDS,
    *((f.name,) for f in dataclasses.fields(Contact) if f.name not in NAME_FIELDS),
)


@dataclass
class ContactPull:
    """A listing sorted against the links: ``merges`` (key -> the remote contact to merge),
    ``removed`` (keys whose remote contact is gone), ``unlinked`` (the others)."""

    merges: dict[Key, RemoteContact] = field(default_factory=dict)
    removed: list[Key] = field(default_factory=list)
    unlinked: list[RemoteContact] = field(default_factory=list)


@dataclass(frozen=True)
class ContactMerge:
    """``to_local``: field -> remote value for Odoo; ``to_remote``: fields Odoo sends back."""

    to_local: dict[str, Any] = field(default_factory=dict)
    to_remote: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    resolution: ConflictResolution | None = None


def sort_changes(changes: ContactChanges, links: Mapping[Key, LinkState]) -> ContactPull:
    """What each item of ``changes`` is to the links (our own writes coming back skipped)."""
    by_remote_id = {link.remote_id: key for key, link in links.items()}
    pull = ContactPull()
    for item in changes.changed:
        key = by_remote_id.get(item.remote_id)
        if key is None:
            pull.unlinked.append(item)
        elif item.etag != links[key].etag:
            pull.merges[key] = item
    pull.removed = [by_remote_id[rid] for rid in changes.removed if rid in by_remote_id]
    return pull


def merge_contact(
    base: Contact | None,
    local: Contact,
    remote: Contact,
    policy: ConflictPolicy,
    local_modified: dt.datetime | None = None,
    remote_modified: dt.datetime | None = None,
) -> ContactMerge:
    """The three-way merge of one contact (values compared as the remote keeps them)."""
    remote_wins = winner_is_remote(policy, local_modified, remote_modified)
    flows = merge_values(
        _values(base) if base is not None else None,
        _values(local),
        _values(remote),
        CONTACT_MERGE_GROUPS,
        remote_wins,
    )
    resolution = None
    if flows.conflicts:
        resolution = ConflictResolution(
            ConflictPolicy(policy), remote_wins, local_modified, remote_modified
        )
    return ContactMerge(
        {name: getattr(remote, name) for name in flows.to_local},
        flows.to_remote,
        flows.conflicts,
        resolution,
    )


def agreed_snapshot(written: Contact, remote: Contact, to_remote: Sequence[str]) -> Contact:
    """The link's snapshot after a merge: Odoo's contact after its write, except the fields
    Odoo still has to send (``to_remote``), which keep the remote value. So a field Odoo
    cannot hold (a person's company, an address it has no slot for) stays as the user typed
    it remotely, and is sent only when it changes in Odoo."""
    return dataclasses.replace(written, **{name: getattr(remote, name) for name in to_remote})


def importable(unlinked: Sequence[RemoteContact], ops: Sequence[ContactOp]) -> list[RemoteContact]:
    """The unlinked contacts the user made in the folder: no stamp of any database, and not
    taken by the plan (matched, adopted)."""
    taken = {op.remote_id for op in ops}
    return [
        item
        for item in unlinked
        if item.stamp is None and not item.foreign and item.remote_id not in taken
    ]


def _values(contact: Contact) -> dict[str, Any]:
    return {f.name: getattr(contact, f.name) for f in dataclasses.fields(Contact)}
