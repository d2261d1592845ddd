"""Contacts in a dedicated "Odoo" contact folder of the user's mailbox (Microsoft Graph).

- Folder: ``/me/contactFolders`` named ``Odoo``, found by name or created (409: another run
  created it meanwhile, found again).
- Contacts: created with ``POST /me/contactFolders/{id}/contacts``, updated with
  ``PATCH /me/contacts/{id}`` (the members of the fields that changed: what Odoo does not
  hold stays as the user typed it), deleted with ``DELETE /me/contacts/{id}``, all through
  ``$batch`` (20 per request, throttled parts retried after ``Retry-After``).
- Changes (both ways): ``GET /me/contactFolders/{id}/contacts/delta`` (the first round lists
  the folder, the next ones only what changed, deletions as ``@removed``); the cursor is the
  ``@odata.deltaLink``, relative to ``graph_base``; an expired one (410) starts a full round.
  Delta returns no extended properties: the changed contacts that are not Odoo's own writes
  (``known_etags``) are read again through ``$batch`` with them (the stamp, the fax).
- The Odoo id: a single-value extended property (``ODOO_CONTACT_PROPERTY``, in this
  project's property set) holding ``<database uuid>:<partner id>``, so a database recognises
  its own contacts and no other's. A create whose answer was lost is looked up by it before it
  is sent again (in the same run), and adopted by the next listing (a lost commit).
- Fax: Graph's contact has no fax member; Exchange's ``PidTagBusinessFaxNumber`` (MAPI
  ``0x3A24``, a string) holds it, as Outlook shows it.
- Outlook keeps three e-mail addresses (Email1-3) and two business phones per contact: more
  are left out.

https://learn.microsoft.com/graph/api/resources/contact,
https://learn.microsoft.com/graph/api/user-post-contactfolders,
https://learn.microsoft.com/graph/api/contactfolder-post-contacts,
https://learn.microsoft.com/graph/api/contact-delta,
https://learn.microsoft.com/graph/api/resources/singlevaluelegacyextendedproperty
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from calendar_sync_base.services.batch import BatchPart, PartResponse
from calendar_sync_base.services.contact import (
    Address,
    Contact,
    ContactChanges,
    ContactOp,
    ContactOpKind,
    ContactResult,
    DatabaseStamp,
    LinkOrigin,
    RemoteContact,
)
from calendar_sync_base.services.errors import AuthExpired, CursorExpired, SyncError, Throttled
from calendar_sync_base.services.rest import json_or_text
from calendar_sync_base.services.timeutil import parse_rfc3339

from .graph_batch import quote_id
from .graph_errors import error_for
from .graph_mapper import ODOO_ID_PROPERTY_SET
from .graph_rest import GraphClient

FOLDER_NAME = "Odoo"
ODOO_CONTACT_PROPERTY = f"String {{{ODOO_ID_PROPERTY_SET}}} Name odoo_contact"
BUSINESS_FAX_PROPERTY = "String 0x3A24"  # PidTagBusinessFaxNumber
MAX_EMAILS = 3
MAX_BUSINESS_PHONES = 2
GRAPH_ADDRESS_MEMBERS = {"business": "businessAddress", "home": "homeAddress",
                         "other": "otherAddress"}  # fmt: skip
LISTING_PAGE_SIZE = 500
EXPAND = (
    f"singleValueExtendedProperties($filter=id eq '{ODOO_CONTACT_PROPERTY}' "
    f"or id eq '{BUSINESS_FAX_PROPERTY}')"
)
NAME_MEMBERS = ("displayName", "givenName", "middleName", "surname", "title", "generation",
                "companyName")  # fmt: skip
# The neutral contact's fields -> the Graph members a partial PATCH sends for them.
MEMBERS_OF_FIELD = {
    **dict.fromkeys(
        ("is_company", "given_name", "middle_name", "surname", "title", "suffix", "company_name"),
        NAME_MEMBERS,
    ),
    "job_title": ("jobTitle",),
    "emails": ("emailAddresses",),
    "business_phones": ("businessPhones",),
    "mobile_phone": ("mobilePhone",),
    "business_fax": ("singleValueExtendedProperties",),
    "birthday": ("birthday",),
    "notes": ("personalNotes",),
    "addresses": tuple(GRAPH_ADDRESS_MEMBERS.values()),
}


def _display_name(contact: Contact) -> str:
    if contact.is_company:
        return contact.company_name
    names = (contact.title, contact.given_name, contact.middle_name, contact.surname)
    return " ".join(filter(None, (*names, contact.suffix)))


def _graph_address(address: Address) -> dict[str, str]:
    return {
        "street": address.street,
        "city": address.city,
        "state": address.state,
        "postalCode": address.postal_code,
        "countryOrRegion": address.country,
    }


def kept(contact: Contact) -> Contact:
    """What Outlook keeps of ``contact``: three e-mail addresses, two business phones."""
    return dataclasses.replace(
        contact,
        emails=contact.emails[:MAX_EMAILS],
        business_phones=contact.business_phones[:MAX_BUSINESS_PHONES],
    )


def graph_contact(
    contact: Contact, stamp: str | None = None, fields: Sequence[str] = ()
) -> dict[str, Any]:
    """Graph's JSON for ``contact``: every member, or those of ``fields`` (a PATCH clears
    what Odoo cleared); the stamp whenever given."""
    body: dict[str, Any] = {
        "displayName": _display_name(contact),
        "givenName": "" if contact.is_company else contact.given_name,
        "middleName": "" if contact.is_company else contact.middle_name,
        "surname": "" if contact.is_company else contact.surname,
        "title": contact.title,
        "generation": contact.suffix,
        "companyName": contact.company_name,
        "jobTitle": contact.job_title,
        "emailAddresses": [
            {"name": email, "address": email} for email in contact.emails[:MAX_EMAILS]
        ],
        "businessPhones": list(contact.business_phones[:MAX_BUSINESS_PHONES]),
        "mobilePhone": contact.mobile_phone,
        "birthday": f"{contact.birthday.isoformat()}T00:00:00Z" if contact.birthday else None,
        "personalNotes": contact.notes,
        **{
            member: _graph_address(contact.address(slot))
            for slot, member in GRAPH_ADDRESS_MEMBERS.items()
        },
        "singleValueExtendedProperties": [
            {"id": BUSINESS_FAX_PROPERTY, "value": contact.business_fax}
        ],
    }
    if fields:
        wanted = {member for name in fields for member in MEMBERS_OF_FIELD[name]}
        body = {key: value for key, value in body.items() if key in wanted}
    if stamp is not None:
        extended = body.setdefault("singleValueExtendedProperties", [])
        extended.append({"id": ODOO_CONTACT_PROPERTY, "value": stamp})
    return body


def _extended(item: dict[str, Any], property_id: str) -> str | None:
    for member in item.get("singleValueExtendedProperties") or []:
        if str(member.get("id", "")).casefold() == property_id.casefold():
            return member.get("value")
    return None


def contact_from_graph(item: dict[str, Any]) -> Contact:
    """The neutral contact of a Graph contact (for matching: what Odoo maps, read back)."""

    def text(name: str) -> str:
        return str(item.get(name) or "")

    birthday = text("birthday")[:10]
    given, surname = text("givenName"), text("surname")
    return Contact(
        is_company=not (given or surname) and bool(text("companyName")),
        given_name=given,
        middle_name=text("middleName"),
        surname=surname,
        title=text("title"),
        suffix=text("generation"),
        company_name=text("companyName"),
        job_title=text("jobTitle"),
        emails=tuple(
            str(e.get("address") or "")
            for e in item.get("emailAddresses") or []
            if e.get("address")
        ),
        business_phones=tuple(item.get("businessPhones") or ()),
        mobile_phone=text("mobilePhone"),
        business_fax=_extended(item, BUSINESS_FAX_PROPERTY) or "",
        birthday=dt.date.fromisoformat(birthday) if birthday else None,
        notes=text("personalNotes"),
        addresses=tuple(
            (slot, address)
            for slot, member in GRAPH_ADDRESS_MEMBERS.items()
            if (address := _address_from_graph(item.get(member) or {}))
        ),
    )


def _address_from_graph(value: dict[str, Any]) -> Address:
    return Address(
        street=value.get("street") or "",
        city=value.get("city") or "",
        state=value.get("state") or "",
        postal_code=value.get("postalCode") or "",
        country=value.get("countryOrRegion") or "",
    )


class GraphContactsClient(GraphClient):
    """``ContactConnector`` over Graph, with Graph's shared plumbing (token refresh on 401,
    ``$batch`` with retries, errors mapped to the engine's). ``database_tag`` (the
    database's uuid) prefixes every stamp: contacts of another database are not ours."""

    def __init__(self, *args, database_tag: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.stamps = DatabaseStamp(database_tag)
        self._folder_id: str | None = None

    def normalized(self, contact: Contact) -> Contact:
        return kept(contact)

    # ----------------------------------------------------------------- folder

    def folder_id(self) -> str:
        """The "Odoo" contact folder's id, created when missing."""
        if self._folder_id is None:
            self._folder_id = self._find_folder() or self._create_folder()
        return self._folder_id

    def _find_folder(self) -> str | None:
        params = {"$filter": f"displayName eq '{FOLDER_NAME}'", "$select": "id,displayName"}
        page = self._get_json(f"{self.graph_base}/me/contactFolders", params, "contact folders")
        found = page.get("value") or []
        return found[0]["id"] if found else None

    def _create_folder(self) -> str:
        url = f"{self.graph_base}/me/contactFolders"
        response = self._send("POST", url, json={"displayName": FOLDER_NAME})
        payload = json_or_text(response)
        if response.status_code == 201:
            return payload["id"]
        if response.status_code == 409:  # created meanwhile (another worker)
            found = self._find_folder()
            if found:
                return found
        raise error_for(response.status_code, payload, response.headers, "contact folder")

    # ----------------------------------------------------------------- listing

    def list_contacts(self) -> list[RemoteContact]:
        url = f"{self.graph_base}/me/contactFolders/{quote_id(self.folder_id())}/contacts"
        params = {"$expand": EXPAND, "$top": str(LISTING_PAGE_SIZE)}
        return [
            self._remote(item)
            for page in self._pages(url, params, "contacts")
            for item in page.get("value") or []
            if isinstance(item, dict) and item.get("id")
        ]

    def _remote(self, item: dict[str, Any]) -> RemoteContact:
        stamp = _extended(item, ODOO_CONTACT_PROPERTY)
        modified = item.get("lastModifiedDateTime")
        return RemoteContact(
            remote_id=item["id"],
            etag=str(item.get("changeKey") or ""),
            contact=contact_from_graph(item),
            stamp=self.stamps.key_of(stamp),
            foreign=bool(stamp) and self.stamps.key_of(stamp) is None,
            modified=parse_rfc3339(modified) if modified else None,
        )

    def list_changes(self, cursor: str, known_etags: Mapping[str, str]) -> ContactChanges:
        """What changed in the folder since ``cursor`` (a stored delta link; "" or expired:
        the whole folder). ``known_etags`` (remote id -> change key Odoo last wrote): those
        contacts are Odoo's own writes coming back, listed without being read again."""
        try:
            pages = list(self.follow_pages(cursor, "contacts delta")) if cursor else None
        except CursorExpired:
            pages = None
        full = pages is None
        if full:
            folder = quote_id(self.folder_id())
            url = f"{self.graph_base}/me/contactFolders/{folder}/contacts/delta"
            pages = list(self._pages(url, {"$select": "id,changeKey"}, "contacts delta"))
        items = [item for page in pages for item in page.get("value") or () if item.get("id")]
        removed = tuple(item["id"] for item in items if "@removed" in item)
        changed = [item for item in items if "@removed" not in item]
        to_read = [i["id"] for i in changed if known_etags.get(i["id"]) != i.get("changeKey")]
        own = [
            RemoteContact(i["id"], str(i.get("changeKey") or ""))
            for i in changed
            if i["id"] not in to_read
        ]
        return ContactChanges(
            changed=(*own, *self._read(to_read)),
            removed=removed,
            next_cursor=self._relative(pages[-1].get("@odata.deltaLink") or ""),
            full=full,
        )

    def _read(self, remote_ids: Sequence[str]) -> list[RemoteContact]:
        """The contacts ``remote_ids`` with their extended properties (one gone meanwhile is
        left out: the next round reports its removal)."""
        paths = [f"/me/contacts/{quote_id(remote_id)}" for remote_id in remote_ids]
        found = []
        for answer in self.batch_get(paths, {"$expand": EXPAND}) if paths else ():
            if answer.ok and isinstance(answer.payload, dict):
                found.append(self._remote(answer.payload))
            elif answer.status not in (404, 410):
                raise self.error_for(answer.status, answer.payload, answer.headers, "contact")
        return found

    def find_stamped(self, key: int) -> dict[str, Any] | None:
        """The folder's contact stamped with ``key``, if any (a create whose answer was lost)."""
        clause = f"singleValueExtendedProperties/any(ep: ep/id eq '{ODOO_CONTACT_PROPERTY}' "
        clause += f"and ep/value eq '{self.stamps.of(key)}')"
        url = f"{self.graph_base}/me/contactFolders/{quote_id(self.folder_id())}/contacts"
        page = self._get_json(url, {"$filter": clause, "$top": "1"}, "contact lookup")
        found = page.get("value") or []
        return found[0] if found else None

    # ----------------------------------------------------------------- changes

    def apply(self, ops: Sequence[ContactOp]) -> list[ContactResult]:
        self.new_auth_round()
        parts = [self._part(op) for op in ops]

        def recover(index: int, answer: PartResponse) -> PartResponse | None:
            if ops[index].kind != ContactOpKind.CREATE or answer.status is not None:
                return None
            try:
                found = self.find_stamped(ops[index].key)
            except SyncError:
                return None
            return PartResponse(201, {}, found) if found else None

        answers = self.execute(parts, recover)
        return [self._result(op, answer) for op, answer in zip(ops, answers, strict=True)]

    def _part(self, op: ContactOp) -> BatchPart:
        if op.kind == ContactOpKind.DELETE:
            return BatchPart("DELETE", f"/me/contacts/{quote_id(op.remote_id)}")
        stamped = op.kind == ContactOpKind.CREATE or op.origin == LinkOrigin.CREATED
        stamp = self.stamps.of(op.key) if stamped else None
        body = graph_contact(op.contact or Contact(), stamp, op.fields)
        if op.kind == ContactOpKind.CREATE:
            url = f"/me/contactFolders/{quote_id(self.folder_id())}/contacts"
            return BatchPart("POST", url, body)
        return BatchPart("PATCH", f"/me/contacts/{quote_id(op.remote_id)}", body)

    def _result(self, op: ContactOp, answer: PartResponse) -> ContactResult:
        if answer.ok:
            payload = answer.payload if isinstance(answer.payload, dict) else {}
            return ContactResult(
                op.key,
                remote_id=str(payload.get("id") or op.remote_id),
                etag=str(payload.get("changeKey") or ""),
            )
        if answer.status in (404, 410):
            return ContactResult(op.key, remote_id=op.remote_id, gone=True)
        error = error_for(answer.status, answer.payload, answer.headers, f"contact {op.kind.value}")
        retryable = self.is_transient(answer) or isinstance(error, (Throttled, AuthExpired))
        return ContactResult(op.key, remote_id=op.remote_id, error=error, retryable=retryable)
