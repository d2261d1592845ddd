"""Contacts: the neutral contact, its field map (OroCRM's), first-sync matching and the plan.

Odoo -> remote: the remote copy follows Odoo's contact (the fields that changed since the
link's snapshot), and is deleted when the partner no longer syncs (archived, deleted, no
longer the user's). Both ways, remote edits come back first (``contact_merge``). A connector
implements ``ContactConnector`` over its own API.

The field map follows OroCRM's Outlook / Exchange synchronization: first / middle / last name
split from a person's name (a company: its company name), title (prefix) and suffix, notes,
every e-mail, phones (work, mobile, fax), job position, birthday, company, and addresses by
type (invoice -> business, delivery -> home, other -> other).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import SyncError

# Name suffixes a person's name may end with (compared without dots, case-insensitively).
NAME_SUFFIXES = frozenset(
    {"jr", "sr", "ii", "iii", "iv", "v", "phd", "md", "esq", "dds", "cpa", "mba"}
)
ADDRESS_SLOTS = ("business", "home", "other")
# An Odoo partner's address type -> the contact's address (the partner's own address of type
# "contact" is its business address).
ADDRESS_SLOT_OF_TYPE = {
    "contact": "business",
    "invoice": "business",
    "delivery": "home",
    "other": "other",
}


@dataclass(frozen=True)
class Address:
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""

    def __bool__(self) -> bool:
        return any(dataclasses.astuple(self))


@dataclass(frozen=True)
class Contact:
    """A person or a company as an address book holds it. Text is never ``None``."""

    is_company: bool = False
    given_name: str = ""
    middle_name: str = ""
    surname: str = ""
    title: str = ""  # the name's prefix ("Dr.", "Mrs.")
    suffix: str = ""  # "Jr.", "III"
    company_name: str = ""
    job_title: str = ""
    emails: tuple[str, ...] = ()
    business_phones: tuple[str, ...] = ()
    mobile_phone: str = ""
    business_fax: str = ""
    birthday: dt.date | None = None
    notes: str = ""
    addresses: tuple[tuple[str, Address], ...] = ()  # (slot, address), slots in ADDRESS_SLOTS

    def address(self, slot: str) -> Address:
        return dict(self.addresses).get(slot, Address())

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (the link's snapshot); ``from_json`` reads it back."""
        data = dataclasses.asdict(self)
        data["birthday"] = self.birthday.isoformat() if self.birthday else None
        data["addresses"] = {slot: dataclasses.asdict(a) for slot, a in self.addresses}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Contact:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        for name in ("emails", "business_phones"):
            values[name] = tuple(values.get(name) or ())
        birthday = values.get("birthday")
        values["birthday"] = dt.date.fromisoformat(birthday) if birthday else None
        addresses = values.get("addresses") or {}
        values["addresses"] = tuple(
            (slot, Address(**addresses[slot])) for slot in ADDRESS_SLOTS if slot in addresses
        )
        return cls(**values)


# --------------------------------------------------------------------------- field map


def split_person_name(name: str) -> tuple[str, str, str, str]:
    """``(given, middle, surname, suffix)`` of a person's full name, as OroCRM splits it:
    the first word is the given name, the last the surname, those between the middle name;
    a known suffix ("Jr.", "III") at the end is kept apart. One word is a surname."""
    words = (name or "").split()
    suffix = ""
    if len(words) > 2 and words[-1].rstrip(".").replace(".", "").lower() in NAME_SUFFIXES:
        suffix = words.pop()
        if words[-1].endswith(","):
            words[-1] = words[-1].rstrip(",")
    if not words:
        return "", "", "", suffix
    if len(words) == 1:
        return "", "", words[0], suffix
    return words[0], " ".join(words[1:-1]), words[-1], suffix


def address_slots(
    own_type: str, own: Address, children: Iterable[tuple[str, Address]]
) -> tuple[tuple[str, Address], ...]:
    """The contact's addresses: its own address in its type's slot, then its child addresses
    (invoice -> business, delivery -> home, other -> other), the first of a slot winning."""
    slots: dict[str, Address] = {}
    for kind, address in [(own_type, own), *children]:
        slot = ADDRESS_SLOT_OF_TYPE.get(kind)
        if slot and address and slot not in slots:
            slots[slot] = address
    return tuple((slot, slots[slot]) for slot in ADDRESS_SLOTS if slot in slots)


def contact_emails(values: Iterable[str]) -> tuple[str, ...]:
    """Every address once (first spelling kept), in order, empty ones dropped."""
    seen, out = set(), []
    for value in values:
        address = (value or "").strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return tuple(out)


# --------------------------------------------------------------------------- matching


def matching_names(contact: Contact) -> tuple[str, str]:
    """OroCRM's name keys, normalised: (first, last); a company is ("", its name)."""
    if contact.is_company or not (contact.given_name or contact.surname):
        return "", contact.company_name.strip().casefold()
    return contact.given_name.strip().casefold(), contact.surname.strip().casefold()


def same_person(ours: Contact, theirs: Contact) -> bool:
    """OroCRM's first-sync keys: first and last name equal and, where both have e-mails,
    one shared address."""
    names = matching_names(ours)
    if not any(names) or names != matching_names(theirs):
        return False
    mine = {e.casefold() for e in ours.emails}
    other = {e.casefold() for e in theirs.emails}
    return not (mine and other) or bool(mine & other)


# --------------------------------------------------------------------------- plan


Key = Hashable  # the Odoo side's identity of a contact (the partner id), opaque here


class ContactOpKind(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class LinkOrigin(str, enum.Enum):
    CREATED = "created"  # Odoo created the remote contact (it carries Odoo's stamp)
    MATCHED = "matched"  # an existing remote contact linked on a first sync (never stamped)
    IMPORTED = "imported"  # made by the user in the remote folder, a partner created for it


@dataclass(frozen=True)
class RemoteContact:
    """A remote contact as listed: ``stamp`` is the Odoo key its extended property holds
    (``None``: no stamp of this database); ``foreign``: stamped by another database."""

    remote_id: str
    etag: str = ""
    contact: Contact = field(default_factory=Contact)
    stamp: Key | None = None
    foreign: bool = False
    modified: dt.datetime | None = None


@dataclass(frozen=True)
class ContactChanges:
    """One listing of the folder: contacts created or changed, ids removed, and the cursor
    for the next one; ``full`` when it listed the whole folder (no cursor, or an expired one)."""

    changed: tuple[RemoteContact, ...] = ()
    removed: tuple[str, ...] = ()
    next_cursor: str = ""
    full: bool = True


@dataclass(frozen=True)
class LinkState:
    remote_id: str
    snapshot: Contact | None = None
    origin: LinkOrigin = LinkOrigin.CREATED
    etag: str = ""


@dataclass(frozen=True)
class ContactOp:
    kind: ContactOpKind
    key: Key
    contact: Contact | None = None  # create / update: the whole contact, as Odoo has it
    remote_id: str = ""  # update / delete
    origin: LinkOrigin = LinkOrigin.CREATED
    fields: tuple[str, ...] = ()  # update: only these fields are sent (none: all of them)


@dataclass
class ContactResult:
    key: Key
    remote_id: str = ""
    etag: str = ""
    error: SyncError | None = None
    retryable: bool = False  # transient: the op comes again on the next run
    gone: bool = False  # the remote contact no longer exists (update / delete)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class DatabaseStamp:
    """The stamp a database writes on the contacts it creates (``<database uuid>:<partner
    id>``, in an extended property): a contact another database stamped is never ours."""

    database_tag: str

    def of(self, key: int) -> str:
        return f"{self.database_tag}:{key}"

    def key_of(self, stamp: str | None) -> int | None:
        """The partner id a stamp of this database names; None for another's or none."""
        prefix = f"{self.database_tag}:"
        if not stamp or not stamp.startswith(prefix) or not stamp[len(prefix) :].isdigit():
            return None
        return int(stamp[len(prefix) :])


class ContactConnector(Protocol):
    def list_contacts(self) -> list[RemoteContact]:
        """Every contact of the dedicated folder, with the stamp of this database if any."""
        ...

    def list_changes(self, cursor: str, known_etags: Mapping[str, str]) -> ContactChanges:
        """What changed in the folder since ``cursor`` ("" or expired: everything); the
        contacts whose change key is in ``known_etags`` (remote id -> change key) are Odoo's
        own writes, listed without their contents."""
        ...

    def normalized(self, contact: Contact) -> Contact:
        """What the remote keeps of ``contact`` (its limits: so many e-mails, phones)."""
        ...

    def apply(self, ops: Sequence[ContactOp]) -> list[ContactResult]:
        """Apply ``ops`` (batched); one result per op, in order; never raises for one op."""
        ...


def needs_listing(desired: Mapping[Key, Contact], links: Mapping[Key, LinkState]) -> bool:
    """Whether the plan needs the remote folder: only to create, where an existing contact
    may be matched or a create whose answer was lost adopted instead."""
    return any(key not in links for key in desired)


def changed_fields(base: Contact, contact: Contact) -> tuple[str, ...]:
    """The fields of ``contact`` that differ from ``base``, in field order."""
    return tuple(
        f.name
        for f in dataclasses.fields(Contact)
        if getattr(base, f.name) != getattr(contact, f.name)
    )


def plan_contacts(
    desired: Mapping[Key, Contact],
    links: Mapping[Key, LinkState],
    remote: Sequence[RemoteContact] = (),
    frozen: Collection[Key] = (),
) -> list[ContactOp]:
    """What to do remotely so the folder mirrors ``desired`` (key -> contact as Odoo has it).

    - linked and wanted: an update when Odoo's contact differs from the snapshot;
    - linked and no longer wanted (archived, deleted, not the user's any more): a delete;
    - wanted and not linked: adopt the remote contact stamped with its key (a create whose
      answer or commit was lost), else match an unstamped, unlinked one on OroCRM's keys
      (``same_person``: linked without a stamp, Odoo's data written onto it), else create.
    ``remote`` (the folder's listing) is only needed when something is not linked yet.
    ``frozen`` keys are left alone (their last change was refused, or the user deleted their
    remote contact): neither sent nor deleted until they change in Odoo.
    """
    linked_ids = {link.remote_id for link in links.values()}
    stamped = {item.stamp: item for item in remote if item.stamp is not None}
    candidates = [
        item for item in remote if item.stamp is None and item.remote_id not in linked_ids
    ]
    ops: list[ContactOp] = []
    for key, contact in desired.items():
        if key in frozen:
            continue
        link = links.get(key)
        if link is not None:
            if contact != link.snapshot:
                fields = changed_fields(link.snapshot, contact) if link.snapshot else ()
                ops.append(
                    ContactOp(
                        ContactOpKind.UPDATE, key, contact, link.remote_id, link.origin, fields
                    )
                )
            continue
        adopted = stamped.get(key)
        if adopted is not None and adopted.remote_id not in linked_ids:
            ops.append(ContactOp(ContactOpKind.UPDATE, key, contact, adopted.remote_id))
            continue
        match = next((item for item in candidates if same_person(contact, item.contact)), None)
        if match is not None:
            candidates.remove(match)
            ops.append(
                ContactOp(ContactOpKind.UPDATE, key, contact, match.remote_id, LinkOrigin.MATCHED)
            )
            continue
        ops.append(ContactOp(ContactOpKind.CREATE, key, contact))
    for key, link in links.items():
        if key not in desired and key not in frozen:
            ops.append(
                ContactOp(ContactOpKind.DELETE, key, remote_id=link.remote_id, origin=link.origin)
            )
    return ops
