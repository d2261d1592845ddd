"""Contacts in a dedicated "Odoo" contacts folder of the user's mailbox (EWS, exchangelib).

The ``ContactConnector`` of Exchange Server, mapped from the same neutral ``Contact`` as
Graph's (``graph_contacts``):

- Folder: a child of the distinguished Contacts folder named ``Odoo`` (``FindFolder``), made
  with ``CreateFolder`` when missing (``ErrorFolderExists``: another run made it meanwhile,
  found again).
- Contacts: bulk ``CreateItem`` into that folder, ``UpdateItem`` of the fields that changed
  (``AutoResolve``: what Odoo does not hold stays as the user typed it), ``DeleteItem``
  (hard), ``batch_size`` items per call; Exchange answers each item apart, so one refused
  contact fails alone.
- Changes (both ways): ``SyncFolderItems`` on the folder, ids only, the sync state as the
  cursor (a refused one lists the whole folder again); the contacts changed that are not
  Odoo's own writes (``known_etags``: their change keys) are read with ``GetItem``.
- The Odoo id: the extended property Graph writes (``graph_contacts.ODOO_CONTACT_PROPERTY``:
  the project's property set, name ``odoo_contact``, ``<database uuid>:<partner id>``), so a
  contact stamped through either API is recognised by the other. A create left without answer
  is looked up by it (``FindItem`` restricted on the property) before anything is sent again.
- Field map (OroCRM's): names and ``Generation`` (suffix); the title in
  ``PidTagDisplayNamePrefix`` (0x3A45: EWS's ``CompleteName/Title`` is read-only); notes in the
  body (text); ``EmailAddress1-3``; phones ``BusinessPhone``, ``BusinessPhone2``,
  ``MobilePhone``, ``BusinessFax``; job title, birthday, company; addresses ``Business``,
  ``Home``, ``Other``.

https://learn.microsoft.com/en-us/exchange/client-developer/exchange-web-services/how-to-work-with-contacts-by-using-ews-in-exchange,
https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/contact,
https://learn.microsoft.com/en-us/office/client-developer/outlook/mapi/pidtagdisplaynameprefix-canonical-property
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import requests
from exchangelib import Account, Contact, ExtendedProperty
from exchangelib.errors import ErrorFolderExists, ErrorItemNotFound, EWSError
from exchangelib.folders import Contacts
from exchangelib.indexed_properties import EmailAddress, PhoneNumber, PhysicalAddress
from exchangelib.items import AUTO_RESOLVE, HARD_DELETE
from exchangelib.properties import Body
from exchangelib.services import SyncFolderItems

from calendar_sync_base.services.contact import (
    Address,
    ContactChanges,
    ContactOp,
    ContactOpKind,
    ContactResult,
    DatabaseStamp,
    LinkOrigin,
    RemoteContact,
)
from calendar_sync_base.services.contact import Contact as NeutralContact
from calendar_sync_base.services.errors import (
    AuthExpired,
    ConfigurationError,
    CursorExpired,
    SyncError,
    Throttled,
)
from calendar_sync_microsoft.services.graph_contacts import FOLDER_NAME, kept
from calendar_sync_microsoft.services.graph_mapper import ODOO_ID_PROPERTY_SET

from .ews_account import server_version
from .ews_errors import TRANSIENT, BusyRetry, error_for, is_unknown_outcome

STAMP_FIELD = "calendar_sync_odoo_contact"
NAME_PREFIX_FIELD = "calendar_sync_name_prefix"
MAX_BATCH_SIZE = 100
SYNC_PAGE_SIZE = 512
EMAIL_LABELS = EmailAddress.LABEL_CHOICES  # EmailAddress1-3
BUSINESS_PHONE_LABELS = ("BusinessPhone", "BusinessPhone2")
ADDRESS_LABELS = {"business": "Business", "home": "Home", "other": "Other"}
# The neutral contact's fields -> the exchangelib fields an update sends for them.
EWS_FIELDS_OF = {
    **dict.fromkeys(
        ("is_company", "given_name", "middle_name", "surname", "suffix", "company_name"),
        ("display_name", "given_name", "middle_name", "surname", "generation", "company_name"),
    ),
    "title": (NAME_PREFIX_FIELD, "display_name"),
    "job_title": ("job_title",),
    "emails": ("email_addresses",),
    **dict.fromkeys(("business_phones", "mobile_phone", "business_fax"), ("phone_numbers",)),
    "birthday": ("birthday",),
    "notes": ("body",),
    "addresses": ("physical_addresses",),
}


class OdooContactProperty(ExtendedProperty):
    """The stamp of a contact this database created (the module docstring says why)."""

    property_set_id = ODOO_ID_PROPERTY_SET
    property_name = "odoo_contact"
    property_type = "String"


class NamePrefixProperty(ExtendedProperty):
    """PidTagDisplayNamePrefix: the title ("Dr.") Outlook shows before the name."""

    property_tag = 0x3A45
    property_type = "String"


def register_contact_properties() -> None:
    """Make exchangelib read and write the stamp and the title on contacts (once per process)."""
    known = {field.name for field in Contact.FIELDS}
    for name, prop in ((STAMP_FIELD, OdooContactProperty), (NAME_PREFIX_FIELD, NamePrefixProperty)):
        if name not in known:
            Contact.register(name, prop)


# --------------------------------------------------------------------------- mapping


def _display_name(contact: NeutralContact) -> str:
    if contact.is_company:
        return contact.company_name
    names = (contact.title, contact.given_name, contact.middle_name, contact.surname)
    return " ".join(filter(None, (*names, contact.suffix))) or contact.company_name


def _phones(contact: NeutralContact) -> list[PhoneNumber]:
    labelled = list(zip(BUSINESS_PHONE_LABELS, contact.business_phones, strict=False))
    labelled += [("MobilePhone", contact.mobile_phone), ("BusinessFax", contact.business_fax)]
    return [PhoneNumber(label=label, phone_number=number) for label, number in labelled if number]


def _addresses(contact: NeutralContact) -> list[PhysicalAddress]:
    return [
        PhysicalAddress(
            label=ADDRESS_LABELS[slot],
            street=address.street or None,
            city=address.city or None,
            state=address.state or None,
            country=address.country or None,
            zipcode=address.postal_code or None,
        )
        for slot, address in contact.addresses
        if slot in ADDRESS_LABELS
    ]


def ews_values(contact: NeutralContact) -> dict:
    """exchangelib's ``Contact`` fields for ``contact`` (None / [] clear a field)."""
    person = not contact.is_company
    return {
        "display_name": _display_name(contact),
        "given_name": (contact.given_name if person else "") or None,
        "middle_name": (contact.middle_name if person else "") or None,
        "surname": (contact.surname if person else "") or None,
        "generation": contact.suffix or None,
        NAME_PREFIX_FIELD: contact.title or None,
        "company_name": contact.company_name or None,
        "job_title": contact.job_title or None,
        "email_addresses": [
            EmailAddress(label=label, email=email)
            for label, email in zip(EMAIL_LABELS, contact.emails, strict=False)
        ],
        "phone_numbers": _phones(contact),
        "birthday": contact.birthday,
        "body": Body(contact.notes) if contact.notes else None,
        "physical_addresses": _addresses(contact),
    }


def contact_from_ews(item: Contact) -> NeutralContact:
    """The neutral contact of an EWS contact (for matching and merging: what Odoo maps)."""

    def text(name: str) -> str:
        return str(getattr(item, name, None) or "")

    phones = {entry.label: entry.phone_number for entry in item.phone_numbers or ()}
    emails = {entry.label: entry.email for entry in item.email_addresses or ()}
    given, surname = text("given_name"), text("surname")
    birthday = item.birthday
    if isinstance(birthday, dt.datetime):
        birthday = birthday.date()
    return NeutralContact(
        is_company=not (given or surname) and bool(text("company_name")),
        given_name=given,
        middle_name=text("middle_name"),
        surname=surname,
        title=text(NAME_PREFIX_FIELD),
        suffix=text("generation"),
        company_name=text("company_name"),
        job_title=text("job_title"),
        emails=tuple(emails[label] for label in EMAIL_LABELS if emails.get(label)),
        business_phones=tuple(
            phones[label] for label in BUSINESS_PHONE_LABELS if phones.get(label)
        ),
        mobile_phone=phones.get("MobilePhone") or "",
        business_fax=phones.get("BusinessFax") or "",
        birthday=birthday or None,
        notes=text("body").strip(),
        addresses=tuple(
            (slot, address)
            for slot, label in ADDRESS_LABELS.items()
            if (address := _address_from_ews(item, label))
        ),
    )


def _address_from_ews(item: Contact, label: str) -> Address:
    found = next((a for a in item.physical_addresses or () if a.label == label), None)
    if found is None:
        return Address()
    return Address(
        street=found.street or "",
        city=found.city or "",
        state=found.state or "",
        postal_code=found.zipcode or "",
        country=found.country or "",
    )


# --------------------------------------------------------------------------- connector


class ExchangeContactsClient:
    """``ContactConnector`` over EWS. ``database_tag`` (the database's uuid) prefixes every
    stamp: contacts of another database are not ours."""

    def __init__(
        self,
        account: Account,
        *,
        database_tag: str,
        batch_size: int = MAX_BATCH_SIZE,
        deadline: float | None = None,
    ):
        register_contact_properties()
        self.account = account
        self.mailbox = account.primary_smtp_address
        self.stamps = DatabaseStamp(database_tag)
        self.batch_size = max(1, min(batch_size, MAX_BATCH_SIZE))
        self.call = BusyRetry(self.mailbox, deadline)
        self._folder = None

    def server_version(self) -> str:
        _ = self.folder
        return server_version(self.account)

    def normalized(self, contact: NeutralContact) -> NeutralContact:
        return kept(contact)  # Outlook's limits: EmailAddress1-3, BusinessPhone and 2

    # ----------------------------------------------------------------- folder

    @property
    def folder(self):
        """The "Odoo" contacts folder, created when missing."""
        if self._folder is None:
            self._folder = self._find_folder() or self._create_folder()
        return self._folder

    def _find_folder(self):
        contacts = self.call("GetFolder", lambda: self.account.contacts)
        children = self.call("FindFolder", lambda: list(contacts.children))
        return next((f for f in children if f.name.casefold() == FOLDER_NAME.casefold()), None)

    def _create_folder(self):
        folder = Contacts(parent=self.account.contacts, name=FOLDER_NAME)
        try:
            self.call.raw(folder.save)
        except ErrorFolderExists:  # created meanwhile (another worker)
            found = self._find_folder()
            if found is not None:
                return found
            raise
        except (EWSError, requests.RequestException, ConnectionError) as exc:
            raise error_for(exc, "CreateFolder", self.mailbox) from exc
        return folder

    # ----------------------------------------------------------------- listing

    def list_contacts(self) -> list[RemoteContact]:
        """Every contact of the folder (``FindItem`` ids, then ``GetItem`` in batches)."""
        query = self.folder.all().only("id", "changekey")
        found = self.call("FindItem", lambda: list(query))
        return self._read([(item.id, item.changekey) for item in found])

    def _read(self, ids: Sequence[tuple[str, str | None]]) -> list[RemoteContact]:
        """The contacts ``ids`` with every property; one gone meanwhile is left out (the next
        listing reports its removal)."""
        read = []
        for start in range(0, len(ids), self.batch_size):
            chunk = list(ids[start : start + self.batch_size])
            read += self.call("GetItem", lambda c=chunk: list(self.account.fetch(ids=c)))
        remote = []
        for item in read:
            if isinstance(item, ErrorItemNotFound):
                continue
            if isinstance(item, Exception):
                raise error_for(item, "GetItem", self.mailbox)
            if isinstance(item, Contact):
                remote.append(self._remote(item))
        return remote

    def _remote(self, item: Contact) -> RemoteContact:
        stamp = getattr(item, STAMP_FIELD, None)
        modified = item.last_modified_time
        return RemoteContact(
            remote_id=item.id,
            etag=item.changekey or "",
            contact=contact_from_ews(item),
            stamp=self.stamps.key_of(stamp),
            foreign=bool(stamp) and self.stamps.key_of(stamp) is None,
            modified=dt.datetime.fromtimestamp(modified.timestamp(), dt.timezone.utc)
            if modified
            else None,
        )

    def list_changes(self, cursor: str, known_etags: Mapping[str, str]) -> ContactChanges:
        """What changed in the folder since ``cursor`` (a sync state; "" or refused: the whole
        folder). ``known_etags`` (remote id -> change key Odoo last wrote): those contacts are
        Odoo's own writes coming back, listed without being read again."""
        try:
            changes, state = self._sync_items(cursor)
            full = not cursor
        except CursorExpired:
            (changes, state), full = self._sync_items(""), True
        removed = tuple(item.id for kind, item in changes if kind == "delete")
        changed = {
            item.id: item.changekey for kind, item in changes if kind in ("create", "update")
        }
        to_read = [(rid, key) for rid, key in changed.items() if known_etags.get(rid) != key]
        own = [
            RemoteContact(rid, key) for rid, key in changed.items() if known_etags.get(rid) == key
        ]
        return ContactChanges(
            changed=(*own, *self._read(to_read)), removed=removed, next_cursor=state, full=full
        )

    def _sync_items(self, state: str) -> tuple[list, str]:
        """Every ``SyncFolderItems`` page from ``state``: (changes, the last sync state)."""
        changes: list = []
        while True:
            service = SyncFolderItems(account=self.account)

            def one_page(service=service, state=state):
                return list(
                    service.call(
                        folder=self.folder,
                        shape="IdOnly",
                        additional_fields=set(),
                        sync_state=state or None,
                        ignore=None,
                        max_changes_returned=SYNC_PAGE_SIZE,
                        sync_scope=None,
                    )
                )

            changes += self.call("SyncFolderItems", one_page)
            last = service.includes_last_item_in_range or service.sync_state == state
            state = service.sync_state
            if last:
                return changes, state

    def find_stamped(self, key: int) -> RemoteContact | None:
        """The folder's contact stamped with ``key``, if any (a create whose answer was lost)."""
        query = self.folder.filter(**{STAMP_FIELD: self.stamps.of(key)}).only("id", "changekey")
        found = self.call("FindItem", lambda: list(query))
        return next(iter(self._read([(item.id, item.changekey) for item in found])), None)

    # ----------------------------------------------------------------- changes

    def apply(self, ops: Sequence[ContactOp]) -> list[ContactResult]:
        results: list[ContactResult | None] = [None] * len(ops)
        by_kind: dict[ContactOpKind, list[int]] = {kind: [] for kind in ContactOpKind}
        for index, op in enumerate(ops):
            by_kind[op.kind].append(index)
        senders = {
            ContactOpKind.CREATE: self._create,
            ContactOpKind.UPDATE: self._update,
            ContactOpKind.DELETE: self._delete,
        }
        for kind, indices in by_kind.items():
            for start in range(0, len(indices), self.batch_size):
                chunk = indices[start : start + self.batch_size]
                answers = self._send(kind, [ops[i] for i in chunk], senders[kind])
                for index, answer in zip(chunk, answers, strict=True):
                    results[index] = answer
        return results

    def _send(self, kind: ContactOpKind, ops: list[ContactOp], sender) -> list[ContactResult]:
        """The results of one bulk call; a call that failed as a whole fails its ops
        (retryable: nothing says Exchange refused them), creates left without answer being
        looked up first."""
        try:
            answers = self.call.raw(lambda: sender(ops))
        except (EWSError, requests.RequestException, ConnectionError) as exc:
            error = error_for(exc, f"contact {kind.value}", self.mailbox)
            if kind == ContactOpKind.CREATE and is_unknown_outcome(exc):
                return [self._adopt_or_fail(op, error) for op in ops]
            return [ContactResult(op.key, remote_id=op.remote_id, error=error, retryable=True)
                    for op in ops]  # fmt: skip
        return [self._result(op, answer) for op, answer in zip(ops, answers, strict=True)]

    def _adopt_or_fail(self, op: ContactOp, error: SyncError) -> ContactResult:
        try:
            found = self.find_stamped(op.key)
        except SyncError:
            found = None  # Exchange is still unwell: the create comes again next run
        if found is None:
            return ContactResult(op.key, error=error, retryable=True)
        return ContactResult(op.key, remote_id=found.remote_id, etag=found.etag)

    def _contact(self, op: ContactOp, **ids) -> Contact:
        values = ews_values(op.contact or NeutralContact())
        stamped = op.kind == ContactOpKind.CREATE or op.origin == LinkOrigin.CREATED
        if stamped:
            values[STAMP_FIELD] = self.stamps.of(op.key)
        return Contact(account=self.account, folder=self.folder, **ids, **values)

    def _create(self, ops: list[ContactOp]) -> list:
        items = [self._contact(op) for op in ops]
        return self.account.bulk_create(self.folder, items, chunk_size=len(items))

    def _update(self, ops: list[ContactOp]) -> list:
        pairs = []
        for op in ops:
            item = self._contact(op, id=op.remote_id, changekey=None)
            names = {name for field in op.fields for name in EWS_FIELDS_OF[field]} or {
                name for names in EWS_FIELDS_OF.values() for name in names
            }
            if op.origin == LinkOrigin.CREATED:
                names.add(STAMP_FIELD)
            pairs.append((item, sorted(names)))
        return self.account.bulk_update(
            pairs, conflict_resolution=AUTO_RESOLVE, chunk_size=len(pairs)
        )

    def _delete(self, ops: list[ContactOp]) -> list:
        ids = [(op.remote_id, None) for op in ops]
        return self.account.bulk_delete(ids, delete_type=HARD_DELETE, chunk_size=len(ids))

    def _result(self, op: ContactOp, answer) -> ContactResult:
        if isinstance(answer, ErrorItemNotFound):
            return ContactResult(op.key, remote_id=op.remote_id, gone=True)
        if isinstance(answer, Exception):
            error = error_for(answer, f"contact {op.kind.value}", self.mailbox)
            retryable = isinstance(answer, TRANSIENT) or isinstance(
                error, (Throttled, AuthExpired, ConfigurationError)
            )
            return ContactResult(op.key, remote_id=op.remote_id, error=error, retryable=retryable)
        if op.kind == ContactOpKind.DELETE:
            return ContactResult(op.key, remote_id=op.remote_id)
        if op.kind == ContactOpKind.UPDATE:
            return ContactResult(op.key, remote_id=answer[0], etag=answer[1] or "")
        return ContactResult(op.key, remote_id=answer.id, etag=answer.changekey or "")
