"""Graph v1.0 contacts (contact folders, contacts) and mail messages (mail folders, attachments),
mixed into MicrosoftEmulator.

A message's draft state is Exchange's: ``PR_MESSAGE_FLAGS`` (``Integer 0x0E07``) set at
creation decides it; without it a created message carries ``MSGFLAG_UNSENT`` and is a draft
(field reports: microsoft-graph-docs-contrib#8631 and #2790, microsoft-graph-docs#14829; a
body's ``isDraft``, ``sentDateTime`` and ``receivedDateTime`` have no effect,
OfficeDev/Office-365-SDK-for-Java#3). Whether Graph keeps an ``internetMessageId`` given at
creation is unverified (see README).
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..base import RecordedRequest, Response
from . import errors, events, odata, timezones
from .contact_delta import CONTACT_READ, ContactDeltaApi
from .graph import USER, graph_json, request_body
from .render import body_preview
from .store import ID_PREFIX, encode_id, new_change_key, new_raw_id

if TYPE_CHECKING:
    from .server import MicrosoftEmulator

CONTACT_WRITE = {"contacts.readwrite", "contacts.readwrite.shared"}
MAIL_READ = {"mail.read", "mail.readwrite", "mail.readbasic", "mail.read.shared"}
MAIL_WRITE = {"mail.readwrite", "mail.readwrite.shared"}
MESSAGE_FLAGS_ID = "integer 0x0e07"  # PR_MESSAGE_FLAGS
SUBMIT_TIME_ID = "systemtime 0x0039"  # PR_CLIENT_SUBMIT_TIME -> sentDateTime
DELIVERY_TIME_ID = "systemtime 0x0e06"  # PR_MESSAGE_DELIVERY_TIME -> receivedDateTime
MSGFLAG_READ = 0x1
MSGFLAG_UNSENT = 0x8
MAX_INLINE_ATTACHMENT = 3 * 1024 * 1024  # "To attach a file that's smaller than 3 MB, do a POST"
WELL_KNOWN_MAIL_FOLDERS = {
    "inbox": "Inbox",
    "drafts": "Drafts",
    "sentitems": "Sent Items",
    "deleteditems": "Deleted Items",
}
FOLDER = r"/(?P<folder>[^/]+)"
ITEM = r"/(?P<item>[^/]+)"
CONTACT_FOLDERS = USER + r"/contactFolders"
FOLDER_CONTACTS = CONTACT_FOLDERS + FOLDER + r"/contacts"
CONTACTS = USER + r"/contacts"
MAIL_FOLDERS = USER + r"/mailFolders"
FOLDER_MESSAGES = MAIL_FOLDERS + FOLDER + r"/messages"
MESSAGES = USER + r"/messages"

_STRINGS = "string"
_STRING_LIST = "strings"
_ADDRESS = "address"
_EMAILS = "emails"
_RECIPIENT = "recipient"
_RECIPIENTS = "recipients"
_DATE_TIME = "datetime"
_BOOL = "bool"
CONTACT_STRINGS = (
    "assistantName", "displayName", "fileAs", "generation", "givenName", "initials", "jobTitle",
    "manager", "middleName", "mobilePhone", "nickName", "officeLocation", "personalNotes",
    "profession", "spouseName", "surname", "title", "yomiCompanyName", "yomiGivenName",
    "yomiSurname", "companyName", "department", "businessHomePage",
)  # fmt: skip
CONTACT_MEMBERS = {
    **dict.fromkeys(CONTACT_STRINGS, _STRINGS),
    **dict.fromkeys(
        ["businessPhones", "homePhones", "imAddresses", "children", "categories"], _STRING_LIST
    ),
    **dict.fromkeys(["businessAddress", "homeAddress", "otherAddress"], _ADDRESS),
    "emailAddresses": _EMAILS,
    "birthday": _DATE_TIME,
}
MESSAGE_MEMBERS = {
    **dict.fromkeys(["subject", "internetMessageId", "importance"], _STRINGS),
    **dict.fromkeys(["from", "sender"], _RECIPIENT),
    **dict.fromkeys(["toRecipients", "ccRecipients", "bccRecipients", "replyTo"], _RECIPIENTS),
    **dict.fromkeys(["isRead", "isReadReceiptRequested", "isDeliveryReceiptRequested"], _BOOL),
    # Accepted and not kept: Exchange stamps them (PR_CLIENT_SUBMIT_TIME and
    # PR_MESSAGE_DELIVERY_TIME set them, as extended properties, at creation; setting them
    # "has no effect", OfficeDev/Office-365-SDK-for-Java#3).
    **dict.fromkeys(["sentDateTime", "receivedDateTime"], _DATE_TIME),
    "categories": _STRING_LIST,
}
READ_ONLY = {
    "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "parentFolderId",
    "hasAttachments", "bodyPreview", "conversationId", "conversationIndex", "isDraft",
    "webLink", "uniqueBody", "wellKnownName",
}  # fmt: skip
ADDRESS_MEMBERS = {"street", "city", "state", "countryOrRegion", "postalCode"}


@dataclass
class OutlookItem:
    """A contact folder, contact or message of one mailbox (``extended``: lower id -> member)."""

    id: str
    folder_id: str
    props: dict[str, Any]
    created: dt.datetime
    modified: dt.datetime
    change_key: str = field(default_factory=new_change_key)
    extended: dict[str, dict[str, Any]] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class OutlookStore:
    """Everything but the calendar of one mailbox, in creation order."""

    contact_folders: dict[str, OutlookItem] = field(default_factory=dict)
    contacts: dict[str, OutlookItem] = field(default_factory=dict)
    messages: dict[str, OutlookItem] = field(default_factory=dict)


def folder_id(email: str, name: str) -> str:
    """Stable ids of the built-in folders (the default contacts folder, well-known mail ones)."""
    digest = hashlib.sha256(f"{email.lower()}|{name}".encode()).digest()
    return encode_id(ID_PREFIX + digest[:28])


def _check_member(name: str, kind: str, value: Any, type_name: str) -> Any:
    if value is None:
        return None
    if kind == _STRINGS and not isinstance(value, str):
        raise events.bad_literal(value, "Edm.String")
    if kind == _BOOL and not isinstance(value, bool):
        raise events.bad_literal(value, "Edm.Boolean")
    if kind == _STRING_LIST and not (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        raise events.bad_literal(value, "Collection(Edm.String)")
    if kind == _DATE_TIME:
        try:
            timezones.parse_instant(str(value))
        except ValueError:
            raise events.bad_literal(value, "Edm.DateTimeOffset") from None
    if kind == _ADDRESS:
        _check_object(value, ADDRESS_MEMBERS, "physicalAddress")
    if kind in (_EMAILS, _RECIPIENTS):
        if not isinstance(value, list):
            raise events.bad_literal(value, f"Collection(microsoft.graph.{type_name})")
        return [_recipient(item, kind == _EMAILS) for item in value]
    if kind == _RECIPIENT:
        return _recipient(value, False)
    return value


def _check_object(value: Any, members: set[str], type_name: str) -> None:
    if not isinstance(value, dict):
        raise events.bad_literal(value, f"microsoft.graph.{type_name}")
    for key in value:
        if key not in members and not key.startswith("@"):
            raise events.unknown_property(key, type_name)


def _recipient(value: Any, bare: bool) -> dict[str, Any]:
    """``emailAddress`` (contacts: bare ``{name, address}``; messages: ``recipient``)."""
    if bare:
        _check_object(value, {"name", "address"}, "emailAddress")
        return {"name": value.get("name"), "address": value.get("address")}
    _check_object(value, {"emailAddress"}, "recipient")
    address = value.get("emailAddress") or {}
    _check_object(address, {"name", "address"}, "emailAddress")
    return {"emailAddress": {"name": address.get("name"), "address": address.get("address")}}


def clean(body: Any, members: dict[str, str], type_name: str, extra=()) -> dict[str, Any]:
    """Known writable members of a request body, type-checked (unknown -> 400)."""
    if not isinstance(body, dict):
        raise errors.invalid_body("The request body must be a JSON object.")
    out = {}
    for key, value in body.items():
        if key.startswith("@") or key in READ_ONLY:
            continue
        if key in ("singleValueExtendedProperties", "body"):
            out[key] = events.check_types({key: value})[key]
        elif key in members:
            out[key] = _check_member(key, members[key], value, type_name)
        elif key not in extra:
            raise events.unknown_property(key, type_name)
        else:
            out[key] = value
    return out


def _apply_extended(item: OutlookItem, members: list[dict[str, Any]] | None) -> None:
    for member in members or []:
        key = member["id"].lower()
        if member.get("value") is None:
            item.extended.pop(key, None)
        else:
            item.extended[key] = {"id": member["id"], "value": member["value"]}


def _file_attachments(value: Any, now: dt.datetime) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise events.bad_literal(value, "Collection(microsoft.graph.attachment)")
    out = []
    for item in value:
        _check_object(
            item,
            {"name", "contentType", "contentBytes", "isInline", "contentId", "size"},
            "fileAttachment",
        )
        if item.get("@odata.type", "").lstrip("#") != "microsoft.graph.fileAttachment":
            raise errors.invalid_body(
                "Only '#microsoft.graph.fileAttachment' attachments can be given inline."
            )
        try:
            content = base64.b64decode(item.get("contentBytes") or "", validate=True)
        except (binascii.Error, ValueError):
            raise events.bad_literal(item.get("contentBytes"), "Edm.Binary") from None
        if len(content) >= MAX_INLINE_ATTACHMENT:
            raise errors.GraphError(
                413,
                "ErrorRequestEntityTooLarge",
                "The attachment exceeds the 3 MB allowed in one request; use an upload session.",
            )
        out.append(
            {
                "@odata.type": "#microsoft.graph.fileAttachment",
                "id": encode_id(new_raw_id()),
                "lastModifiedDateTime": timezones.format_utc(now),
                "name": item.get("name") or "",
                "contentType": item.get("contentType") or "application/octet-stream",
                "size": len(content),
                "isInline": bool(item.get("isInline", False)),
                "contentId": item.get("contentId"),
                "contentBytes": base64.b64encode(content).decode("ascii"),
            }
        )
    return out


def message_flags(item: OutlookItem) -> int:
    stored = item.extended.get(MESSAGE_FLAGS_ID)
    return int(stored["value"]) if stored else MSGFLAG_UNSENT | MSGFLAG_READ


def _flags_value(members: list[dict[str, Any]]) -> None:
    for member in members:
        if member["id"].lower() == MESSAGE_FLAGS_ID:
            try:
                int(member["value"])
            except (TypeError, ValueError):
                raise errors.bad_request(
                    f"The value '{member['value']}' is not valid for the property "
                    f"'{member['id']}'.",
                    "ErrorInvalidExtendedPropertyValue",
                ) from None


class OutlookApi(ContactDeltaApi):
    """Requires the host class: ``mailboxes``, ``outlook`` (email -> OutlookStore), ``now()``."""

    def _register_outlook_routes(self: MicrosoftEmulator) -> None:
        self.route("GET", CONTACT_FOLDERS, self._list_contact_folders)
        self.route("POST", CONTACT_FOLDERS, self._create_contact_folder)
        self.route("GET", CONTACT_FOLDERS + FOLDER, self._get_contact_folder)
        self.route("DELETE", CONTACT_FOLDERS + FOLDER, self._delete_contact_folder)
        self.route("GET", FOLDER_CONTACTS + r"/delta", self._contact_delta)
        for base in (FOLDER_CONTACTS, CONTACTS):
            self.route("GET", base, self._list_contacts)
            self.route("POST", base, self._create_contact)
            self.route("GET", base + ITEM, self._get_contact)
            self.route("PATCH", base + ITEM, self._patch_contact)
            self.route("DELETE", base + ITEM, self._delete_contact)
        self.route("GET", MAIL_FOLDERS + FOLDER, self._get_mail_folder)
        for base in (FOLDER_MESSAGES, MESSAGES):
            self.route("GET", base, self._list_messages)
            self.route("POST", base, self._create_message)
            self.route("GET", base + ITEM, self._get_message)
            self.route("DELETE", base + ITEM, self._delete_message)
            self.route("GET", base + ITEM + r"/attachments", self._list_attachments)

    def outlook_store(self: MicrosoftEmulator, email: str) -> OutlookStore:
        return self.outlook.setdefault(email, OutlookStore())

    def mail_messages(self: MicrosoftEmulator, email: str, folder: str = "sentitems") -> list:
        """Python API: the messages of a mail folder as Graph renders them, with their
        extended properties and attachments (``attachments``)."""
        with self.lock:
            wanted = self._mail_folder(email, folder)
            return [
                {**self._render_message(m, []), "attachments": copy.deepcopy(m.attachments)}
                for m in self.outlook_store(email).messages.values()
                if m.folder_id == wanted
            ]

    def contacts(self: MicrosoftEmulator, email: str, folder_name: str | None = None) -> list:
        """Python API: the contacts of the folder named ``folder_name`` (None: the default
        Contacts folder) as Graph renders them, with all their extended properties."""
        with self.lock:
            wanted = self._named_contact_folder(email, folder_name)
            return [
                self._render_contact(c, [])
                for c in self.outlook_store(email).contacts.values()
                if c.folder_id == wanted
            ]

    def insert_contact(
        self: MicrosoftEmulator, email: str, body: dict, folder_name: str | None = None
    ) -> dict:
        """Python API: a contact the user made (in Outlook), in the folder named
        ``folder_name`` (None: the default Contacts folder; created when missing)."""
        with self.lock:
            folder = self._named_contact_folder(email, folder_name, create=True)
            item_body = clean(body, CONTACT_MEMBERS, "contact")
            extended = item_body.pop("singleValueExtendedProperties", None)
            now = self.now()
            item = OutlookItem(encode_id(new_raw_id()), folder, item_body, now, now)
            _apply_extended(item, extended)
            self.outlook_store(email).contacts[item.id] = item
            return self._render_contact(item, [])

    def edit_contact(self: MicrosoftEmulator, email: str, contact_id: str, changes: dict) -> dict:
        """Python API: the user edits a contact (in Outlook): a new change key."""
        with self.lock:
            item = self.outlook_store(email).contacts[contact_id]
            changes = clean(changes, CONTACT_MEMBERS, "contact")
            _apply_extended(item, changes.pop("singleValueExtendedProperties", None))
            item.props.update(changes)
            item.modified, item.change_key = self.now(), new_change_key()
            return self._render_contact(item, [])

    def remove_contact(self: MicrosoftEmulator, email: str, contact_id: str) -> None:
        """Python API: the user deletes a contact (in Outlook)."""
        with self.lock:
            del self.outlook_store(email).contacts[contact_id]

    def _named_contact_folder(self, email: str, name: str | None, create: bool = False) -> str:
        if name is None:
            return folder_id(email, "contacts")
        store = self.outlook_store(email)
        for item in store.contact_folders.values():
            if item.props["displayName"].lower() == name.lower():
                return item.id
        if not create:
            return ""
        now = self.now()
        item = OutlookItem(encode_id(new_raw_id()), folder_id(email, "contacts"),
                           {"displayName": name}, now, now)  # fmt: skip
        store.contact_folders[item.id] = item
        return item.id

    # -- contact folders ---------------------------------------------------------------------

    def _contact_folder(self: MicrosoftEmulator, email: str, wanted: str | None) -> str:
        """The folder id of the path (none: the default Contacts folder); unknown -> 404."""
        default = folder_id(email, "contacts")
        if wanted in (None, default, "contacts"):
            return default
        if wanted not in self.outlook_store(email).contact_folders:
            raise errors.not_found()
        return wanted

    def _render_contact_folder(self: MicrosoftEmulator, email: str, item: OutlookItem):
        return {
            "id": item.id,
            "displayName": item.props["displayName"],
            "parentFolderId": folder_id(email, "contacts"),
        }

    def _list_contact_folders(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, CONTACT_READ)
        folders = list(self.outlook_store(mailbox.email).contact_folders.values())
        predicate = odata.parse_filter(request.arg("$filter"), {"displayname": "displayName"})
        rendered = [self._render_contact_folder(mailbox.email, f) for f in folders]
        value = [
            r
            for f, r in zip(folders, rendered, strict=True)
            if predicate is None or predicate(f, r)
        ]
        return graph_json(
            {"@odata.context": self._context(mailbox, "contactFolders"), "value": value}
        )

    def _create_contact_folder(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, CONTACT_WRITE)
        body = clean(request_body(request), {"displayName": _STRINGS}, "contactFolder")
        name = (body.get("displayName") or "").strip()
        if not name:
            raise errors.invalid_body("The contact folder must have a display name.")
        store = self.outlook_store(mailbox.email)
        if any(
            f.props["displayName"].lower() == name.lower() for f in store.contact_folders.values()
        ):
            raise errors.GraphError(
                409,
                "ErrorFolderExists",
                "A folder with the specified name already exists.",
            )
        now = self.now()
        item = OutlookItem(encode_id(new_raw_id()), folder_id(mailbox.email, "contacts"),
                           {"displayName": name}, now, now)  # fmt: skip
        store.contact_folders[item.id] = item
        data = self._render_contact_folder(mailbox.email, item)
        context = self._context(mailbox, "contactFolders") + "/$entity"
        return graph_json({"@odata.context": context, **data}, 201)

    def _get_contact_folder(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, CONTACT_READ)
        folder = self._contact_folder(mailbox.email, request.path_params["folder"])
        item = self.outlook_store(mailbox.email).contact_folders.get(folder)
        if item is None:  # the default folder
            data = {"id": folder, "displayName": "Contacts", "parentFolderId": folder}
        else:
            data = self._render_contact_folder(mailbox.email, item)
        return graph_json(data)

    def _delete_contact_folder(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, CONTACT_WRITE)
        folder = self._contact_folder(mailbox.email, request.path_params["folder"])
        store = self.outlook_store(mailbox.email)
        if folder not in store.contact_folders:
            raise errors.access_denied()  # the default folder cannot be deleted
        del store.contact_folders[folder]
        for key in [k for k, c in store.contacts.items() if c.folder_id == folder]:
            del store.contacts[key]
        return Response(204)

    # -- contacts ----------------------------------------------------------------------------

    def _contact(self: MicrosoftEmulator, request: RecordedRequest, email: str) -> OutlookItem:
        folder = request.path_params.get("folder")
        item = self.outlook_store(email).contacts.get(request.path_params["item"])
        if item is None or (folder and item.folder_id != self._contact_folder(email, folder)):
            raise errors.not_found()
        return item

    def _render_contact(self: MicrosoftEmulator, item: OutlookItem, expand: list[str] | None):
        props = item.props
        data: dict[str, Any] = {
            "@odata.etag": f'W/"{item.change_key}"',
            "id": item.id,
            "createdDateTime": timezones.format_utc(item.created),
            "lastModifiedDateTime": timezones.format_utc(item.modified),
            "changeKey": item.change_key,
            "categories": props.get("categories") or [],
            "parentFolderId": item.folder_id,
        }
        for key, kind in CONTACT_MEMBERS.items():
            if key in data:
                continue
            empty: Any = [] if kind in (_STRING_LIST, _EMAILS) else None
            if kind == _ADDRESS:
                empty = {}
            data[key] = copy.deepcopy(props.get(key, empty))
        data["displayName"] = props.get("displayName") or " ".join(
            filter(None, (props.get("givenName"), props.get("middleName"), props.get("surname")))
        )
        _expand_extended(data, item, expand)
        return data

    def _list_contacts(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        # GET /me/contacts lists the default Contacts folder only ("Get a contact collection
        # from the default contacts folder", learn.microsoft.com/graph/api/user-list-contacts);
        # a contact of any folder is still reached by id under /me/contacts/{id}.
        mailbox = self.graph_mailbox(request, CONTACT_READ)
        folder = self._contact_folder(mailbox.email, request.path_params.get("folder"))
        items = [
            c for c in self.outlook_store(mailbox.email).contacts.values() if c.folder_id == folder
        ]
        strings = {"displayname": "displayName", "givenname": "givenName", "surname": "surname"}
        return self._outlook_listing(
            request, mailbox, items, self._render_contact, "contacts", strings
        )

    def _create_contact(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, CONTACT_WRITE)
        folder = self._contact_folder(mailbox.email, request.path_params.get("folder"))
        body = clean(request_body(request), CONTACT_MEMBERS, "contact")
        extended = body.pop("singleValueExtendedProperties", None)
        now = self.now()
        item = OutlookItem(encode_id(new_raw_id()), folder, body, now, now)
        _apply_extended(item, extended)
        self.outlook_store(mailbox.email).contacts[item.id] = item
        data = self._render_contact(item, _expand(request))
        context = self._context(mailbox, "contacts") + "/$entity"
        return graph_json({"@odata.context": context, **data}, 201, {"ETag": data["@odata.etag"]})

    def _get_contact(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, CONTACT_READ)
        item = self._contact(request, mailbox.email)
        return graph_json(self._render_contact(item, _expand(request)))

    def _patch_contact(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, CONTACT_WRITE)
        item = self._contact(request, mailbox.email)
        _check_change_key(item, request.headers.get("If-Match"))
        changes = clean(request_body(request) or {}, CONTACT_MEMBERS, "contact")
        _apply_extended(item, changes.pop("singleValueExtendedProperties", None))
        item.props.update(changes)
        item.modified, item.change_key = self.now(), new_change_key()
        return graph_json(self._render_contact(item, _expand(request)))

    def _delete_contact(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, CONTACT_WRITE)
        item = self._contact(request, mailbox.email)
        del self.outlook_store(mailbox.email).contacts[item.id]
        return Response(204)

    # -- mail folders and messages -----------------------------------------------------------

    def _mail_folder(self: MicrosoftEmulator, email: str, wanted: str | None) -> str:
        """The folder id for a well-known name or an id (none: Drafts, as POST /me/messages)."""
        name = (wanted or "drafts").lower()
        if name in WELL_KNOWN_MAIL_FOLDERS:
            return folder_id(email, name)
        for known in WELL_KNOWN_MAIL_FOLDERS:
            if folder_id(email, known) == wanted:
                return wanted
        raise errors.not_found()

    def _get_mail_folder(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, MAIL_READ)
        folder = self._mail_folder(mailbox.email, request.path_params["folder"])
        name = next(n for n in WELL_KNOWN_MAIL_FOLDERS if folder_id(mailbox.email, n) == folder)
        messages = [
            m for m in self.outlook_store(mailbox.email).messages.values() if m.folder_id == folder
        ]
        return graph_json(
            {
                "@odata.context": self._context(mailbox, "mailFolders") + "/$entity",
                "id": folder,
                "displayName": WELL_KNOWN_MAIL_FOLDERS[name],
                "parentFolderId": folder_id(mailbox.email, "msgfolderroot"),
                "childFolderCount": 0,
                "unreadItemCount": sum(not message_flags(m) & MSGFLAG_READ for m in messages),
                "totalItemCount": len(messages),
                "isHidden": False,
            }
        )

    def _message(self: MicrosoftEmulator, request: RecordedRequest, email: str) -> OutlookItem:
        folder = request.path_params.get("folder")
        item = self.outlook_store(email).messages.get(request.path_params["item"])
        if item is None or (folder and item.folder_id != self._mail_folder(email, folder)):
            raise errors.not_found()
        return item

    def _render_message(self: MicrosoftEmulator, item: OutlookItem, expand: list[str] | None):
        props, flags = item.props, message_flags(item)
        sent = item.extended.get(SUBMIT_TIME_ID, {}).get("value")
        received = item.extended.get(DELIVERY_TIME_ID, {}).get("value")
        created = _message_time(item.created)
        body = props.get("body") or {"contentType": "text", "content": ""}
        draft = bool(flags & MSGFLAG_UNSENT)
        sender = props.get("from") or props.get("sender")
        data: dict[str, Any] = {
            "@odata.etag": f'W/"{item.change_key}"',
            "id": item.id,
            "createdDateTime": created,
            "lastModifiedDateTime": timezones.format_utc(item.modified),
            "changeKey": item.change_key,
            "categories": props.get("categories") or [],
            "receivedDateTime": _message_time(timezones.parse_instant(received))
            if received
            else created,
            "sentDateTime": None
            if draft
            else (_message_time(timezones.parse_instant(sent)) if sent else created),
            "hasAttachments": bool(item.attachments),
            "internetMessageId": props["internetMessageId"],
            "subject": props.get("subject") or "",
            "bodyPreview": body_preview(body),
            "importance": props.get("importance") or "normal",
            "parentFolderId": item.folder_id,
            "conversationId": props["conversationId"],
            "isDeliveryReceiptRequested": props.get("isDeliveryReceiptRequested", False),
            "isReadReceiptRequested": props.get("isReadReceiptRequested", False),
            "isRead": bool(flags & MSGFLAG_READ),
            "isDraft": draft,
            "webLink": f"https://outlook.office365.com/owa/?ItemID={item.id}&viewmodel=ReadMessageItem",
            "body": body,
            "sender": copy.deepcopy(props.get("sender") or sender),
            "from": copy.deepcopy(sender),
            "toRecipients": copy.deepcopy(props.get("toRecipients") or []),
            "ccRecipients": copy.deepcopy(props.get("ccRecipients") or []),
            "bccRecipients": copy.deepcopy(props.get("bccRecipients") or []),
            "replyTo": copy.deepcopy(props.get("replyTo") or []),
        }
        _expand_extended(data, item, expand)
        return data

    def _list_messages(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, MAIL_READ)
        folder = request.path_params.get("folder")
        folder = self._mail_folder(mailbox.email, folder) if folder else None
        items = [
            m
            for m in self.outlook_store(mailbox.email).messages.values()
            if folder is None or m.folder_id == folder
        ]
        strings = {"subject": "subject", "internetmessageid": "internetMessageId"}
        return self._outlook_listing(
            request, mailbox, items, self._render_message, "messages", strings
        )

    def _create_message(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, MAIL_WRITE)
        folder = self._mail_folder(mailbox.email, request.path_params.get("folder"))
        body = clean(request_body(request), MESSAGE_MEMBERS, "message", extra=("attachments",))
        extended = body.pop("singleValueExtendedProperties", None) or []
        _flags_value(extended)
        now = self.now()
        attachments = _file_attachments(body.pop("attachments", None) or [], now)
        body.pop("sentDateTime", None), body.pop("receivedDateTime", None)
        body.setdefault("from", _own_recipient(mailbox))
        body["internetMessageId"] = body.get("internetMessageId") or (
            f"<{secrets.token_hex(16).upper()}@emulator.prod.outlook.com>"
        )
        body["conversationId"] = encode_id(new_raw_id())
        item = OutlookItem(encode_id(new_raw_id()), folder, body, now, now)
        item.attachments = attachments
        _apply_extended(item, extended)
        self.outlook_store(mailbox.email).messages[item.id] = item
        data = self._render_message(item, _expand(request))
        context = self._context(mailbox, "messages") + "/$entity"
        return graph_json({"@odata.context": context, **data}, 201, {"ETag": data["@odata.etag"]})

    def _get_message(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, MAIL_READ)
        item = self._message(request, mailbox.email)
        return graph_json(self._render_message(item, _expand(request)))

    def _delete_message(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, MAIL_WRITE)
        item = self._message(request, mailbox.email)
        del self.outlook_store(mailbox.email).messages[item.id]
        return Response(204)

    def _list_attachments(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, MAIL_READ)
        item = self._message(request, mailbox.email)
        context = self._context(mailbox, f"messages('{item.id}')/attachments")
        return graph_json({"@odata.context": context, "value": copy.deepcopy(item.attachments)})

    # -- shared ------------------------------------------------------------------------------

    def _context(self: MicrosoftEmulator, mailbox, what: str) -> str:
        return f"{self.graph_url}/$metadata#users('{mailbox.oid}')/{what}"

    def _outlook_listing(self, request, mailbox, items, render_item, what: str, strings):
        """$filter (the given string members, extended properties), $top / $skip paging."""
        predicate = odata.parse_filter(request.arg("$filter"), strings)
        expand = _expand(request)
        rows = [(item, render_item(item, expand)) for item in items]
        if predicate is not None:
            rows = [row for row in rows if predicate(*row)]
        top = odata.int_option(request, "$top", 10, odata.MAX_TOP)
        skip = odata.int_option(request, "$skip", 0, 10**9)
        body: dict[str, Any] = {
            "@odata.context": self._context(mailbox, what),
            "value": [rendered for _, rendered in rows[skip : skip + top]],
        }
        if skip + top < len(rows):
            body["@odata.nextLink"] = self._next_link(request, skip + top)
        return graph_json(body)


def _expand(request: RecordedRequest) -> list[str] | None:
    return odata.parse_expand(request.arg("$expand"))


def _expand_extended(data: dict[str, Any], item: OutlookItem, wanted: list[str] | None) -> None:
    """Extended properties, as ``$expand`` asked (``wanted``: ids, [] all, None none)."""
    if wanted is None:
        return
    keys = [i.lower() for i in wanted] if wanted else list(item.extended)
    found = [dict(item.extended[key]) for key in keys if key in item.extended]
    if found:  # Graph leaves the member out when nothing matches
        data["singleValueExtendedProperties"] = found


def _check_change_key(item: OutlookItem, if_match: str | None) -> None:
    if if_match and if_match.strip() not in ("*", f'W/"{item.change_key}"', item.change_key):
        raise errors.GraphError(
            412, "ErrorIrresolvableConflict", "The change key passed in the request does not "
            "match the current change key for the item."
        )  # fmt: skip


def _own_recipient(mailbox) -> dict[str, Any]:
    return {"emailAddress": {"name": mailbox.display_name, "address": mailbox.email}}


def _message_time(moment: dt.datetime) -> str:
    """Messages' dates come without fractions: ``2024-04-30T10:00:00Z``."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
