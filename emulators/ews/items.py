"""Calendar items in and out: CalendarItem elements stored as sent, rendered in schema order
with the properties the server computes (ids, change keys, item type, occurrences)."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable

from . import recurrence
from .errors import ResponseMessageError
from .store import Item, Store, extended_key, new_id
from .xml import format_datetime, local_name, parse_bool, sub, t

# ItemType then CalendarItemType sequences of types.xsd: the order elements must come in.
ITEM_ORDER = [
    "MimeContent",
    "ItemId",
    "ParentFolderId",
    "ItemClass",
    "Subject",
    "Sensitivity",
    "Body",
    "Attachments",
    "DateTimeReceived",
    "Size",
    "Categories",
    "Importance",
    "InReplyTo",
    "IsSubmitted",
    "IsDraft",
    "IsFromMe",
    "IsResend",
    "IsUnmodified",
    "InternetMessageHeaders",
    "DateTimeSent",
    "DateTimeCreated",
    "ResponseObjects",
    "ReminderDueBy",
    "ReminderIsSet",
    "ReminderNextTime",
    "ReminderMinutesBeforeStart",
    "DisplayCc",
    "DisplayTo",
    "HasAttachments",
    "ExtendedProperty",
    "Culture",
    "EffectiveRights",
    "LastModifiedName",
    "LastModifiedTime",
    "IsAssociated",
    "WebClientReadFormQueryString",
    "WebClientEditFormQueryString",
    "ConversationId",
    "UniqueBody",
    "Flag",
    "StoreEntryId",
    "InstanceKey",
    "NormalizedBody",
    "EntityExtractionResult",
    "PolicyTag",
    "ArchiveTag",
    "RetentionDate",
    "Preview",
    "RightsManagementLicenseData",
    "NextPredictedAction",
    "GroupingAction",
    "PredictedActionReasons",
    "IsClutter",
    "BlockStatus",
    "HasBlockedImages",
    "TextBody",
    "IconIndex",
]
CALENDAR_ORDER = [
    "UID",
    "RecurrenceId",
    "DateTimeStamp",
    "Start",
    "End",
    "OriginalStart",
    "IsAllDayEvent",
    "LegacyFreeBusyStatus",
    "Location",
    "When",
    "IsMeeting",
    "IsCancelled",
    "IsRecurring",
    "MeetingRequestWasSent",
    "IsResponseRequested",
    "CalendarItemType",
    "MyResponseType",
    "Organizer",
    "RequiredAttendees",
    "OptionalAttendees",
    "Resources",
    "ConflictingMeetingCount",
    "AdjacentMeetingCount",
    "ConflictingMeetings",
    "AdjacentMeetings",
    "Duration",
    "TimeZone",
    "AppointmentReplyTime",
    "AppointmentSequenceNumber",
    "AppointmentState",
    "Recurrence",
    "FirstOccurrence",
    "LastOccurrence",
    "ModifiedOccurrences",
    "DeletedOccurrences",
    "MeetingTimeZone",
    "StartTimeZone",
    "EndTimeZone",
    "ConferenceType",
    "AllowNewTimeProposal",
    "IsOnlineMeeting",
    "MeetingWorkspaceUrl",
    "NetShowUrl",
    "EnhancedLocation",
    "StartWallClock",
    "EndWallClock",
    "StartTimeZoneId",
    "EndTimeZoneId",
    "IntendedFreeBusyStatus",
    "JoinOnlineMeetingUrl",
    "OnlineMeetingSettings",
    "IsOrganizer",
]
ORDER = ITEM_ORDER + CALENDAR_ORDER
ATTENDEE_FIELDS = ("RequiredAttendees", "OptionalAttendees", "Resources")
# Set by the server, refused in a SetItemField.
READ_ONLY = {
    "ItemId",
    "ParentFolderId",
    "DateTimeCreated",
    "LastModifiedTime",
    "CalendarItemType",
    "ModifiedOccurrences",
    "DeletedOccurrences",
    "FirstOccurrence",
    "LastOccurrence",
    "IsRecurring",
    "MyResponseType",
    "OriginalStart",
}
# What BaseShape Default returns besides ItemId (AllProperties: everything stored).
DEFAULT_SHAPE = {"Subject", "Start", "End", "Location", "CalendarItemType", "Organizer"}


class Shape:
    """An ItemShape: base shape and the additional properties asked for."""

    def __init__(self, element: ET.Element | None):
        self.base = "AllProperties"
        self.fields: set[str] = set()
        self.extended: list[ET.Element] = []
        if element is None:
            return
        base = element.find(t("BaseShape"))
        if base is not None and base.text:
            self.base = base.text.strip()
        additional = element.find(t("AdditionalProperties"))
        for uri in additional if additional is not None else ():
            if local_name(uri) == "ExtendedFieldURI":
                self.extended.append(uri)
            elif uri.get("FieldURI"):
                self.fields.add(uri.get("FieldURI").partition(":")[2])

    def wants(self, name: str) -> bool:
        if name in self.fields or self.base == "AllProperties":
            return True
        return self.base == "Default" and name in DEFAULT_SHAPE


def _attendees_with_response(element: ET.Element) -> ET.Element:
    for attendee in element.findall(t("Attendee")):
        if attendee.find(t("ResponseType")) is None:
            sub(attendee, t("ResponseType"), "Unknown")
    return element


# Item properties of type xs:boolean a client may set. xs:boolean accepts "1"/"0" as well as
# "true"/"false" (https://www.w3.org/TR/xmlschema-2/#boolean, and exchangelib writes "1");
# Exchange keeps the value, not the spelling, and answers with the canonical "true"/"false".
BOOLEAN_FIELDS = frozenset(
    {"IsAllDayEvent", "ReminderIsSet", "IsResponseRequested", "AllowNewTimeProposal"}
)


def _stored(name: str, element: ET.Element) -> ET.Element:
    """A property as the store keeps it: attendees with their response, canonical booleans."""
    if name in ATTENDEE_FIELDS:
        return _attendees_with_response(element)
    if name in BOOLEAN_FIELDS:
        return _text(element.tag, "true" if parse_bool(element.text) else "false")
    return element


def read_fields(
    element: ET.Element, read_only: set[str], store=lambda name, child: child
) -> tuple[dict[str, ET.Element], dict[tuple, ET.Element]]:
    """The fields and extended properties of a CreateItem's item element (``store`` keeps a
    field as the server stores it); a read-only field is ErrorInvalidPropertySet."""
    fields: dict[str, ET.Element] = {}
    extended: dict[tuple, ET.Element] = {}
    for child in element:
        name = local_name(child)
        if name == "ExtendedProperty":
            extended[extended_key(child.find(t("ExtendedFieldURI")))] = child
        elif name in read_only:
            raise ResponseMessageError("ErrorInvalidPropertySet", f"{name} is read-only.")
        else:
            fields[name] = store(name, child)
    return fields, extended


def new_item(store: Store, mailbox, folder_id: str, element: ET.Element, now) -> Item:
    """A calendar item from a CreateItem's ``t:CalendarItem``."""
    fields, extended = read_fields(element, READ_ONLY, _stored)
    fields.setdefault("UID", _text(t("UID"), str(uuid.uuid4()).upper()))
    if "Organizer" not in fields:
        organizer = ET.Element(t("Organizer"))
        box = sub(organizer, t("Mailbox"))
        sub(box, t("Name"), mailbox.name)
        sub(box, t("EmailAddress"), mailbox.smtp)
        sub(box, t("RoutingType"), "SMTP")
        fields["Organizer"] = organizer
    item = Item(new_id("I"), mailbox.smtp, folder_id, fields, extended)
    validate(item)
    return store.save_new(item, now)


def validate(item: Item) -> None:
    """Refuse an item Exchange would not save: ends before it starts, or a bad recurrence."""
    if "Start" not in item.fields or "End" not in item.fields:
        raise ResponseMessageError("ErrorInvalidRequest", "Start and End are required.")
    if item.end < item.start:
        raise ResponseMessageError("ErrorCalendarEndDateIsEarlierThanStartDate")
    if item.is_master:
        next(iter(item.occurrences()), None)


def _text(tag: str, value: str) -> ET.Element:
    element = ET.Element(tag)
    element.text = value
    return element


def apply_updates(item: Item, updates: ET.Element) -> None:
    """Apply an ItemChange's ``t:Updates``, all or nothing."""
    saved = copy.deepcopy((item.fields, item.extended))
    try:
        for update in updates:
            _apply_update(item, update)
        validate(item)
    except ResponseMessageError:
        item.fields, item.extended = saved
        raise


def _apply_update(item: Item, update: ET.Element) -> None:
    action = local_name(update)
    uri = update[0]
    if local_name(uri) == "ExtendedFieldURI":
        key = extended_key(uri)
        if action == "DeleteItemField":
            item.extended.pop(key, None)
        else:
            item.extended[key] = update.find(f"{t('CalendarItem')}/{t('ExtendedProperty')}")
        return
    name = uri.get("FieldURI", "").partition(":")[2]
    if name in READ_ONLY:
        raise ResponseMessageError("ErrorInvalidPropertySet", f"{name} is read-only.")
    if action == "DeleteItemField":
        item.fields.pop(name, None)
        return
    container = update.find(t("CalendarItem"))
    value = container[0] if container is not None and len(container) else None
    if value is None:
        raise ResponseMessageError("ErrorInvalidRequest", "SetItemField without a value.")
    if action == "AppendToItemField" and name in item.fields:
        value = ET.Element(value.tag, item.fields[name].attrib)
        value.extend([*item.fields[name], *container[0]])
    item.fields[local_name(value)] = _stored(name, value)


def render(store: Store, item: Item, shape: Shape, occurrence: tuple[int, dt.datetime] | None):
    """``t:CalendarItem`` for ``item`` (``occurrence``: (index, start) of a master's virtual
    occurrence)."""
    fields = dict(item.fields)
    computed = _computed(store, item, occurrence)
    fields.update(computed)
    if occurrence is not None:
        duration = item.end - item.start
        fields["Start"] = _text(t("Start"), format_datetime(occurrence[1]))
        fields["End"] = _text(t("End"), format_datetime(occurrence[1] + duration))
        for name in ("Recurrence", "ModifiedOccurrences", "DeletedOccurrences"):
            fields.pop(name, None)
    return in_order("CalendarItem", ORDER, fields, item, shape, shape.wants)


def _kind(item: Item, occurrence) -> str:
    """CalendarItemType of an item or of a master's virtual occurrence."""
    if item.master_id is not None:
        return "Exception"
    if occurrence is not None:
        return "Occurrence"
    return "RecurringMaster" if item.is_master else "Single"


def _computed(store: Store, item: Item, occurrence) -> dict[str, ET.Element]:
    """The properties the server sets; an occurrence shows its master's change key."""
    folder = store.folders[item.folder_id]
    shown_id = item.item_id if occurrence is None else store.occurrence_id(item, occurrence[0])
    item_id = ET.Element(t("ItemId"), {"Id": shown_id, "ChangeKey": item.change_key})
    parent = ET.Element(
        t("ParentFolderId"), {"Id": folder.folder_id, "ChangeKey": folder.change_key}
    )
    kind = _kind(item, occurrence)
    attendees = any(len(item.fields.get(name, ())) for name in ATTENDEE_FIELDS)
    computed = {
        "ItemId": item_id,
        "ParentFolderId": parent,
        "ItemClass": _text(t("ItemClass"), "IPM.Appointment"),
        "DateTimeCreated": _text(t("DateTimeCreated"), format_datetime(item.created)),
        "LastModifiedTime": _text(t("LastModifiedTime"), format_datetime(item.modified)),
        "IsMeeting": _text(t("IsMeeting"), "true" if attendees else "false"),
        "IsRecurring": _text(
            t("IsRecurring"), "true" if kind in ("Occurrence", "Exception") else "false"
        ),
        "CalendarItemType": _text(t("CalendarItemType"), kind),
        "MyResponseType": _text(t("MyResponseType"), item.my_response),
    }
    if kind == "Exception":
        computed["OriginalStart"] = _text(t("OriginalStart"), format_datetime(item.original_start))
    elif kind == "Occurrence":
        computed["OriginalStart"] = _text(t("OriginalStart"), format_datetime(occurrence[1]))
    if kind == "RecurringMaster":
        computed.update(_occurrence_lists(store, item))
    return computed


def _occurrence_info(tag: str, item_id: str, change_key: str, start, end, original) -> ET.Element:
    element = ET.Element(t(tag))
    sub(element, t("ItemId"), Id=item_id, ChangeKey=change_key)
    sub(element, t("Start"), format_datetime(start))
    sub(element, t("End"), format_datetime(end))
    sub(element, t("OriginalStart"), format_datetime(original))
    return element


def _occurrence_lists(store: Store, master: Item) -> dict[str, ET.Element]:
    duration = master.end - master.start
    kept = [(i, s) for i, s in master.occurrences() if i not in master.deleted_occurrences]
    lists: dict[str, ET.Element] = {}
    if kept:
        ends = [("FirstOccurrence", kept[0])]
        if recurrence.is_bounded(master.fields["Recurrence"]):
            ends.append(("LastOccurrence", kept[-1]))  # a series without end has none
        for tag, (index, start) in ends:
            lists[tag] = _occurrence_info(
                tag,
                store.occurrence_id(master, index),
                master.change_key,
                start,
                start + duration,
                start,
            )
    if master.exceptions:
        modified = ET.Element(t("ModifiedOccurrences"))
        for index in sorted(master.exceptions):
            exception = store.items[master.exceptions[index]]
            modified.append(
                _occurrence_info(
                    "Occurrence",
                    exception.item_id,
                    exception.change_key,
                    exception.start,
                    exception.end,
                    exception.original_start,
                )
            )
        lists["ModifiedOccurrences"] = modified
    if master.deleted_occurrences:
        deleted = ET.Element(t("DeletedOccurrences"))
        starts = dict(master.occurrences())
        for index in sorted(master.deleted_occurrences):
            sub(sub(deleted, t("DeletedOccurrence")), t("Start"), format_datetime(starts[index]))
        lists["DeletedOccurrences"] = deleted
    return lists


def in_order(
    tag: str,
    order: Iterable[str],
    fields: dict[str, ET.Element],
    item: Item,
    shape: Shape,
    wanted: Callable[[str], bool],
) -> ET.Element:
    """``t:<tag>`` with ``fields`` in ``order``: ``ItemId`` always, the others ``wanted`` by
    the shape, and the extended properties the shape asks for (only those, as Exchange)."""
    element = ET.Element(t(tag))
    for name in order:
        if name == "ExtendedProperty":
            for uri in shape.extended:
                found = item.extended.get(extended_key(uri))
                if found is not None:
                    element.append(copy.deepcopy(found))
            continue
        value = fields.get(name)
        if value is not None and (name == "ItemId" or wanted(name)):
            element.append(copy.deepcopy(value))
    return element
