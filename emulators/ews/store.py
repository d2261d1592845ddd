"""In-memory Exchange mailboxes: folders, calendar items, the change log behind sync states."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import hmac
import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from ..microsoft.timezones import zone as windows_zone
from . import recurrence
from .errors import ResponseMessageError
from .xml import parse_datetime, t

# Distinguished folders every mailbox has: id -> (display name, FolderClass, parent).
DISTINGUISHED_FOLDERS = {
    "root": ("", None, None),
    "msgfolderroot": ("Top of Information Store", None, "root"),
    "calendar": ("Calendar", "IPF.Appointment", "msgfolderroot"),
    "contacts": ("Contacts", "IPF.Contact", "msgfolderroot"),
    "inbox": ("Inbox", "IPF.Note", "msgfolderroot"),
    "deleteditems": ("Deleted Items", "IPF.Note", "msgfolderroot"),
    "sentitems": ("Sent Items", "IPF.Note", "msgfolderroot"),
    "drafts": ("Drafts", "IPF.Note", "msgfolderroot"),
}


def new_id(prefix: str) -> str:
    return base64.b64encode(prefix.encode() + os.urandom(24)).decode()


@dataclass
class Folder:
    folder_id: str
    mailbox: str
    distinguished: str | None
    name: str
    folder_class: str | None
    parent_id: str | None
    # Folders are never renamed or moved here: their change key stays the same.
    change_key: str = "AQAAABYAAAAO"


@dataclass
class Mailbox:
    smtp: str
    name: str
    password: str
    can_impersonate: bool = False
    refuses_impersonation: bool = False  # its ApplicationImpersonation scope leaves it out
    delegates: set[str] = field(default_factory=set)  # smtp addresses with delegate access
    folders: dict[str, Folder] = field(default_factory=dict)

    def distinguished(self, name: str) -> Folder:
        for folder in self.folders.values():
            if folder.distinguished == name:
                return folder
        raise ResponseMessageError("ErrorFolderNotFound")


@dataclass
class Item:
    """An item: a single event, a recurring master or an exception of a master; or a contact
    or a message (``kind``)."""

    item_id: str
    mailbox: str
    folder_id: str
    fields: dict[str, ET.Element]  # local name -> t:<Field> element as the client set it
    extended: dict[tuple, ET.Element] = field(default_factory=dict)  # URI key -> ExtendedProperty
    version: int = 1
    field_versions: dict[str, int] = field(default_factory=dict)
    created_seq: int = 0
    changed_seq: int = 0
    deleted_seq: int | None = None
    created: dt.datetime | None = None
    modified: dt.datetime | None = None
    master_id: str | None = None  # exceptions: their recurring master
    instance_index: int | None = None
    original_start: dt.datetime | None = None
    deleted_occurrences: set[int] = field(default_factory=set)  # instance indexes
    exceptions: dict[int, str] = field(default_factory=dict)  # instance index -> item id
    kind: str = "CalendarItem"  # the item's element: CalendarItem, Contact, Message
    # Messages (emulators/ews/messages.py): PR_MESSAGE_FLAGS, file attachments, size.
    message_flags: int = 0
    attachments: list[ET.Element] = field(default_factory=list)
    size: int = 0
    # An attendee's copy of a meeting: the organizer's item and the attendee's own answer
    # (``MyResponseType``; "Organizer" on the organizer's item).
    organizer_item_id: str | None = None
    my_response: str = "Organizer"

    def attendee_addresses(self) -> list[str]:
        return [
            (attendee.findtext(f"{t('Mailbox')}/{t('EmailAddress')}") or "").lower()
            for name in ("RequiredAttendees", "OptionalAttendees", "Resources")
            for attendee in self.fields.get(name, ())
        ]

    @property
    def change_key(self) -> str:
        return base64.b64encode(f"CK{self.version}:{self.item_id[-8:]}".encode()).decode()

    def version_of_change_key(self, change_key: str) -> int | None:
        try:
            text = base64.b64decode(change_key).decode()
        except ValueError:
            return None
        head, _, tail = text.partition(":")
        if not head.startswith("CK") or tail != self.item_id[-8:] or not head[2:].isdigit():
            return None
        return int(head[2:])

    @property
    def start(self) -> dt.datetime:
        return parse_datetime(self.fields["Start"].text)

    @property
    def end(self) -> dt.datetime:
        return parse_datetime(self.fields["End"].text)

    @property
    def zone(self) -> dt.tzinfo:
        for name in ("StartTimeZone", "MeetingTimeZone"):
            element = self.fields.get(name)
            if element is not None and (element.get("Id") or element.get("TimeZoneName")):
                return windows_zone(element.get("Id") or element.get("TimeZoneName"))
        return dt.timezone.utc

    @property
    def is_master(self) -> bool:
        return "Recurrence" in self.fields and self.master_id is None

    def occurrences(self, until: dt.datetime | None = None):
        """(instance index, original start) of the series, deleted ones included."""
        rule = self.fields["Recurrence"]
        return recurrence.occurrence_starts(rule, self.start, self.zone, until)

    def touch(self, names, seq: int, now: dt.datetime) -> None:
        self.version += 1
        for name in names:
            self.field_versions[name] = self.version
        self.changed_seq = seq
        self.modified = now


def extended_key(uri: ET.Element) -> tuple:
    """Identity of an ExtendedFieldURI: property set / tag / name / id, case-folded ids."""
    return tuple(
        _property_part(attr, uri.get(attr) or "")
        for attr in (
            "DistinguishedPropertySetId",
            "PropertySetId",
            "PropertyTag",
            "PropertyName",
            "PropertyId",
        )
    )


def _property_part(attr: str, value: str) -> str:
    """A tag is a number however written ("0x0E07", "0xe07", "3591")."""
    return hex(int(value, 0)) if attr == "PropertyTag" and value else value.lower()


class Store:
    """Mailboxes and their calendars; ``seq`` orders every change (the sync log)."""

    def __init__(self, secret: bytes | None = None):
        self.mailboxes: dict[str, Mailbox] = {}
        self.folders: dict[str, Folder] = {}
        self.items: dict[str, Item] = {}
        self.seq = 0
        self.secret = secret or os.urandom(16)
        self.sync_epoch: dict[str, int] = {}  # folder id -> bumped to invalidate sync states

    # -- mailboxes ---------------------------------------------------------------------------

    def add_mailbox(self, smtp: str, password: str, name: str = "", **options) -> Mailbox:
        mailbox = Mailbox(
            smtp.lower(), name or smtp.split("@", maxsplit=1)[0].title(), password, **options
        )
        ids: dict[str, str] = {}
        for distinguished, (display, folder_class, parent) in DISTINGUISHED_FOLDERS.items():
            folder = Folder(
                new_id("F"), mailbox.smtp, distinguished, display, folder_class, ids.get(parent)
            )
            ids[distinguished] = folder.folder_id
            mailbox.folders[folder.folder_id] = folder
            self.folders[folder.folder_id] = folder
        self.mailboxes[mailbox.smtp] = mailbox
        return mailbox

    def mailbox(self, smtp: str | None) -> Mailbox:
        found = self.mailboxes.get((smtp or "").lower())
        if found is None:
            raise ResponseMessageError("ErrorNonExistentMailbox")
        return found

    # -- items -------------------------------------------------------------------------------

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def item(self, item_id: str) -> Item:
        found = self.items.get(item_id)
        if found is None or found.deleted_seq is not None:
            raise ResponseMessageError("ErrorItemNotFound")
        return found

    def live_items(self, folder_id: str) -> list[Item]:
        return [
            item
            for item in self.items.values()
            if item.folder_id == folder_id and item.deleted_seq is None and item.master_id is None
        ]

    def save_new(self, item: Item, now: dt.datetime) -> Item:
        item.created_seq = item.changed_seq = self.next_seq()
        item.created = item.modified = now
        self.items[item.item_id] = item
        return item

    def record_change(self, item: Item, names, now: dt.datetime) -> None:
        """``item`` changed (fields ``names``); a change of an exception is one of its master."""
        item.touch(names, self.next_seq(), now)
        if item.master_id is not None:
            self.items[item.master_id].touch((), self.seq, now)

    def record_response(self, item_id: str, attendee: str, response: str, now) -> None:
        item = self.item(item_id)
        for name in ("RequiredAttendees", "OptionalAttendees", "Resources"):
            for element in item.fields.get(name, ()):
                address = element.findtext(f"{t('Mailbox')}/{t('EmailAddress')}") or ""
                if address.lower() == attendee.lower():
                    element.find(t("ResponseType")).text = response
                    self.record_change(item, (name,), now)
                    return
        raise ResponseMessageError("ErrorItemNotFound", f"{attendee} is not an attendee.")

    def deliver_invitation(self, meeting: Item, now: dt.datetime) -> None:
        """A copy of ``meeting`` in the calendar of each attendee with a mailbox here, as
        Exchange's calendar attendant places a meeting request's item (answer
        ``NoResponseReceived``; the organizer's extended properties stay his own)."""
        for address in meeting.attendee_addresses():
            attendee = self.mailboxes.get(address)
            if attendee is None or attendee.smtp == meeting.mailbox:
                continue
            fields = {name: copy.deepcopy(element) for name, element in meeting.fields.items()}
            calendar = attendee.distinguished("calendar").folder_id
            invitation = Item(new_id("I"), attendee.smtp, calendar, fields)
            invitation.organizer_item_id = meeting.item_id
            invitation.my_response = "NoResponseReceived"
            self.save_new(invitation, now)

    def delete(self, item: Item) -> None:
        item.deleted_seq = self.next_seq()
        for exception_id in item.exceptions.values():
            self.items[exception_id].deleted_seq = item.deleted_seq

    # -- occurrences -------------------------------------------------------------------------

    def reset_series(self, master: Item) -> None:
        """A new recurrence pattern drops the series' exceptions and deleted occurrences."""
        for exception_id in master.exceptions.values():
            self.items[exception_id].deleted_seq = self.next_seq()
        master.exceptions.clear()
        master.deleted_occurrences.clear()

    def occurrence_id(self, master: Item, index: int) -> str:
        return base64.b64encode(f"OCC|{master.item_id}|{index}".encode()).decode()

    def parse_occurrence_id(self, item_id: str) -> tuple[Item, int] | None:
        try:
            text = base64.b64decode(item_id, validate=True).decode()
        except ValueError:
            return None
        kind, _, rest = text.partition("|")
        master_id, _, index = rest.rpartition("|")
        if kind != "OCC" or not index.isdigit():
            return None
        return self.item(master_id), int(index)

    def occurrence_start(self, master: Item, index: int) -> dt.datetime:
        if not master.is_master:
            raise ResponseMessageError("ErrorItemNotFound")
        for number, start in master.occurrences():
            if number == index:
                if index in master.deleted_occurrences:
                    raise ResponseMessageError("ErrorCalendarOccurrenceIsDeletedFromRecurrence")
                return start
            if number > index:
                break
        raise ResponseMessageError("ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange")

    def materialize_exception(self, master: Item, index: int, now: dt.datetime) -> Item:
        """The exception of occurrence ``index``: created from the master when first changed."""
        exception_id = master.exceptions.get(index)
        if exception_id is not None:
            return self.items[exception_id]
        original = self.occurrence_start(master, index)
        fields = {
            name: copy.deepcopy(element)
            for name, element in master.fields.items()
            if name not in ("Recurrence", "Start", "End")
        }
        duration = master.end - master.start
        fields["Start"] = _text_element("Start", original)
        fields["End"] = _text_element("End", original + duration)
        exception = Item(
            self.occurrence_id(master, index),
            master.mailbox,
            master.folder_id,
            fields,
            extended=copy.deepcopy(master.extended),
            master_id=master.item_id,
            instance_index=index,
            original_start=original,
            my_response=master.my_response,
        )
        exception.created_seq = exception.changed_seq = self.seq
        exception.created = exception.modified = now
        self.items[exception.item_id] = exception
        master.exceptions[index] = exception.item_id
        return exception

    # -- sync states -------------------------------------------------------------------------

    def sync_state(self, folder_id: str, seq: int) -> str:
        payload = json.dumps(
            {"f": folder_id, "s": seq, "e": self.sync_epoch.get(folder_id, 0)}
        ).encode()
        signature = hmac.new(self.secret, payload, hashlib.sha256).digest()[:12]
        return base64.b64encode(signature + payload).decode()

    def read_sync_state(self, folder_id: str, state: str | None) -> int:
        """The change sequence a sync state stands for (0: none, a full sync)."""
        if not state:
            return 0
        try:
            raw = base64.b64decode(state, validate=True)
            signature, payload = raw[:12], raw[12:]
            data = json.loads(payload)
        except ValueError:
            raise ResponseMessageError("ErrorInvalidSyncStateData") from None
        expected = hmac.new(self.secret, payload, hashlib.sha256).digest()[:12]
        if (
            not hmac.compare_digest(signature, expected)
            or data.get("f") != folder_id
            or data.get("e") != self.sync_epoch.get(folder_id, 0)
        ):
            raise ResponseMessageError("ErrorInvalidSyncStateData")
        return int(data["s"])

    def invalidate_sync_states(self, folder_id: str) -> None:
        self.sync_epoch[folder_id] = self.sync_epoch.get(folder_id, 0) + 1


def _text_element(name: str, moment: dt.datetime) -> ET.Element:
    element = ET.Element(t(name))
    element.text = moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return element
