"""The EWS operations the emulator answers, one function per SOAP body element.

Each operation gets the request :class:`Context` and its body element and returns the
``m:<Operation>Response`` element. Per-item failures become error ResponseMessages (one per
item, in request order); a failure of the whole request is a :class:`SoapFault`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import contacts, messages
from .errors import ResponseMessageError, SoapFault
from .items import ATTENDEE_FIELDS, Shape, apply_updates, new_item
from .items import render as render_calendar_item
from .restriction import matches
from .store import Folder, Item, Mailbox, Store, extended_key
from .xml import child_text, local_name, m, parse_datetime, sub, t

Operation = Callable[["Context", ET.Element], ET.Element]
MAX_CHANGES_RETURNED = 512  # types.xsd MaxChangesReturnedType
# Meeting responses a CreateItem carries -> the answer they record.
RESPONSE_ITEMS = {
    "AcceptItem": "Accept",
    "TentativelyAcceptItem": "Tentative",
    "DeclineItem": "Decline",
}
ORGANIZER_CANNOT = {
    "Accept": "ErrorCalendarIsOrganizerForAccept",
    "Tentative": "ErrorCalendarIsOrganizerForTentative",
    "Decline": "ErrorCalendarIsOrganizerForDecline",
}
# Send modes of a CreateItem that deliver the invitation to the attendees.
DELIVERING_MODES = ("SendOnlyToAll", "SendToAllAndSaveCopy")
DEFAULT_FOLDERS = {"Contact": "contacts", "Message": "drafts"}  # CreateItem's, by kind


@dataclass
class Context:
    store: Store
    mailbox: Mailbox  # who acts: the impersonated user, else the authenticated one
    now: dt.datetime
    messages_sent: list[dict] = field(default_factory=list)
    refusals: dict[tuple[str, str], str] = field(default_factory=dict)  # see EwsEmulator.refuse

    def check_refusal(self, operation: str, item: Item) -> None:
        code = self.refusals.get((operation, item.item_id))
        if code is not None:
            raise ResponseMessageError(code)

    def accessible(self, smtp: str) -> Mailbox:
        """Mailbox ``smtp`` if the acting identity (the impersonated user, else the
        authenticated one) owns it or is its delegate."""
        target = self.store.mailbox(smtp)
        if target.smtp != self.mailbox.smtp and self.mailbox.smtp not in target.delegates:
            raise ResponseMessageError("ErrorAccessDenied")
        return target

    def folder(self, element: ET.Element) -> Folder:
        """The folder a ``t:FolderId`` / ``t:DistinguishedFolderId`` names."""
        if local_name(element) == "DistinguishedFolderId":
            smtp = child_text(element, f"{t('Mailbox')}/{t('EmailAddress')}")
            owner = self.accessible(smtp) if smtp else self.mailbox
            return owner.distinguished(element.get("Id"))
        folder = self.store.folders.get(element.get("Id"))
        if folder is None:
            raise ResponseMessageError("ErrorFolderNotFound")
        self.accessible(folder.mailbox)
        return folder

    def item(self, reference: ET.Element) -> tuple[Item, tuple[int, dt.datetime] | None]:
        """(item, virtual occurrence) an ItemId / OccurrenceItemId / RecurringMasterItemId
        names; an occurrence that has an exception resolves to the exception item."""
        kind = local_name(reference)
        if kind == "RecurringMasterItemId":
            item, _occurrence = self._item_by_id(reference.get("OccurrenceId"))
            master = self.store.item(item.master_id) if item.master_id else item
            return master, None
        if kind == "OccurrenceItemId":
            master = self.store.item(reference.get("RecurringMasterId"))
            self.accessible(master.mailbox)
            return self._occurrence(master, int(reference.get("InstanceIndex")))
        return self._item_by_id(reference.get("Id"))

    def _item_by_id(self, item_id: str | None):
        if not item_id:
            raise ResponseMessageError("ErrorInvalidIdMalformed")
        occurrence = self.store.parse_occurrence_id(item_id)
        if occurrence is not None and item_id not in self.store.items:
            self.accessible(occurrence[0].mailbox)
            return self._occurrence(*occurrence)
        item = self.store.item(item_id)
        self.accessible(item.mailbox)
        return item, None

    def _occurrence(self, master: Item, index: int):
        exception_id = master.exceptions.get(index)
        if exception_id is not None:
            return self.store.item(exception_id), None
        return master, (index, self.store.occurrence_start(master, index))

    def record_messages(self, kind: str, item: Item, mode: str | None) -> None:
        """Meeting messages a call sends to the item's attendees (none for SendToNone)."""
        if not mode or mode == "SendToNone":
            return
        recipients = [
            child_text(attendee, f"{t('Mailbox')}/{t('EmailAddress')}")
            for name in ATTENDEE_FIELDS
            for attendee in item.fields.get(name, ())
        ]
        if not recipients:
            return
        self.messages_sent.append(
            {
                "kind": kind,
                "mode": mode,
                "item_id": item.item_id,
                "mailbox": item.mailbox,
                "subject": item.fields["Subject"].text if "Subject" in item.fields else "",
                "recipients": recipients,
                "saved_copy": mode.endswith("SaveCopy"),
            }
        )


def _response(
    operation: str,
    results: Iterable[list[ET.Element] | ResponseMessageError],
    error_content: Callable[[], list[ET.Element]] = list,
):
    """``m:<operation>Response`` with one ResponseMessage per result, in order
    (``error_content``: elements an error message carries after its code)."""
    root = ET.Element(m(f"{operation}Response"))
    messages = sub(root, m("ResponseMessages"))
    for result in results:
        if isinstance(result, ResponseMessageError):
            message = sub(messages, m(f"{operation}ResponseMessage"), ResponseClass="Error")
            sub(message, m("MessageText"), result.message)
            sub(message, m("ResponseCode"), result.code)
            sub(message, m("DescriptiveLinkKey"), "0")
            message.extend(error_content())
            continue
        message = sub(messages, m(f"{operation}ResponseMessage"), ResponseClass="Success")
        sub(message, m("ResponseCode"), "NoError")
        message.extend(result)
    return root


def _each(elements: Iterable[ET.Element], handle) -> list:
    results = []
    for element in elements:
        try:
            results.append(handle(element))
        except ResponseMessageError as error:
            results.append(error)
    return results


def _children(parent: ET.Element | None) -> list[ET.Element]:
    return list(parent) if parent is not None else []


# -- folders ---------------------------------------------------------------------------------


def _render_folder(store: Store, folder: Folder) -> ET.Element:
    element = ET.Element(t(contacts.folder_tag(folder)))
    sub(element, t("FolderId"), Id=folder.folder_id, ChangeKey=folder.change_key)
    if folder.parent_id:
        parent = store.folders[folder.parent_id]
        sub(element, t("ParentFolderId"), Id=parent.folder_id, ChangeKey=parent.change_key)
    if folder.folder_class:
        sub(element, t("FolderClass"), folder.folder_class)
    sub(element, t("DisplayName"), folder.name)
    sub(element, t("TotalCount"), len(store.live_items(folder.folder_id)))
    children = [f for f in store.folders.values() if f.parent_id == folder.folder_id]
    sub(element, t("ChildFolderCount"), len(children))
    return element


def get_folder(ctx: Context, request: ET.Element) -> ET.Element:
    def one(reference):
        folders = ET.Element(m("Folders"))
        folders.append(_render_folder(ctx.store, ctx.folder(reference)))
        return [folders]

    return _response("GetFolder", _each(_children(request.find(m("FolderIds"))), one))


def find_folder(ctx: Context, request: ET.Element) -> ET.Element:
    deep = request.get("Traversal") == "Deep"

    def one(reference):
        parent = ctx.folder(reference)
        found, frontier = [], [parent.folder_id]
        while frontier:
            current = frontier.pop(0)
            children = [f for f in ctx.store.folders.values() if f.parent_id == current]
            found.extend(children)
            if deep:
                frontier.extend(f.folder_id for f in children)
        root = ET.Element(
            m("RootFolder"),
            IndexedPagingOffset=str(len(found)),
            TotalItemsInView=str(len(found)),
            IncludesLastItemInRange="true",
        )
        folders = sub(root, t("Folders"))
        folders.extend(_render_folder(ctx.store, folder) for folder in found)
        return [root]

    return _response("FindFolder", _each(_children(request.find(m("ParentFolderIds"))), one))


def create_folder(ctx: Context, request: ET.Element) -> ET.Element:
    return _response("CreateFolder", contacts.create_folders(ctx, request), contacts.empty_folders)


# -- reading items ---------------------------------------------------------------------------


def render(store: Store, item: Item, shape: Shape, occurrence) -> ET.Element:
    """The item's element, by its kind."""
    if item.kind == "Contact":
        return contacts.render_contact(store, item, shape)
    if item.kind == "Message":
        return messages.render_message(store, item, shape)
    return render_calendar_item(store, item, shape, occurrence)


def _calendar_view(ctx: Context, folder: Folder, start: dt.datetime, end: dt.datetime):
    """(item, occurrence) overlapping [start, end): singles, occurrences and exceptions."""
    found = []
    for item in ctx.store.live_items(folder.folder_id):
        if not item.is_master:
            if item.start < end and item.end > start:
                found.append((item.start, item, None))
            continue
        duration = item.end - item.start
        for index, occurrence_start in item.occurrences(until=end):
            if index in item.deleted_occurrences or index in item.exceptions:
                continue
            if occurrence_start + duration > start:
                found.append((occurrence_start, item, (index, occurrence_start)))
        for exception_id in item.exceptions.values():
            exception = ctx.store.items[exception_id]
            if exception.deleted_seq is None and exception.start < end and exception.end > start:
                found.append((exception.start, exception, None))
    found.sort(key=lambda entry: entry[0])
    return [(item, occurrence) for _start, item, occurrence in found]


def _calendar_view_page(ctx: Context, folder: Folder, view: ET.Element):
    """(page, entries in view) of a CalendarView: at most MaxEntriesReturned, first ones."""
    start, end = parse_datetime(view.get("StartDate")), parse_datetime(view.get("EndDate"))
    if end < start:
        raise ResponseMessageError("ErrorCalendarEndDateIsEarlierThanStartDate")
    entries = _calendar_view(ctx, folder, start, end)
    limit = int(view.get("MaxEntriesReturned") or 0)
    return (entries[:limit] if limit else entries), len(entries)


def _indexed_page(ctx: Context, folder, paging: ET.Element | None, restriction):
    """(page, offset, entries in view) of singles and masters matching ``restriction``, in
    creation order, from IndexedPageItemView's Offset."""
    entries = [
        (item, None)
        for item in sorted(ctx.store.live_items(folder.folder_id), key=lambda i: i.created_seq)
        if restriction is None or all(matches(item, rule) for rule in restriction)
    ]
    offset = int(paging.get("Offset") or 0) if paging is not None else 0
    limit = int(paging.get("MaxEntriesReturned") or 0) if paging is not None else 0
    page = entries[offset : offset + limit] if limit else entries[offset:]
    return page, offset, len(entries)


def find_item(ctx: Context, request: ET.Element) -> ET.Element:
    shape = Shape(request.find(m("ItemShape")))
    view = request.find(m("CalendarView"))
    restriction = request.find(m("Restriction"))

    def one(reference):
        folder = ctx.folder(reference)
        root = ET.Element(m("RootFolder"))
        if view is None:
            paging = request.find(m("IndexedPageItemView"))
            page, offset, total = _indexed_page(ctx, folder, paging, restriction)
            root.set("IndexedPagingOffset", str(offset + len(page)))
        elif restriction is not None:
            raise ResponseMessageError(
                "ErrorInvalidRestriction", "Restrictions are not supported with a CalendarView."
            )
        else:
            (page, total), offset = _calendar_view_page(ctx, folder, view), 0
        root.set("TotalItemsInView", str(total))
        root.set("IncludesLastItemInRange", "true" if offset + len(page) >= total else "false")
        items = sub(root, t("Items"))
        items.extend(render(ctx.store, item, shape, occurrence) for item, occurrence in page)
        return [root]

    return _response("FindItem", _each(_children(request.find(m("ParentFolderIds"))), one))


def get_item(ctx: Context, request: ET.Element) -> ET.Element:
    shape = Shape(request.find(m("ItemShape")))

    def one(reference):
        item, occurrence = ctx.item(reference)
        items = ET.Element(m("Items"))
        items.append(render(ctx.store, item, shape, occurrence))
        return [items]

    return _response("GetItem", _each(_children(request.find(m("ItemIds"))), one), _empty_items)


def _changes_since(store: Store, folder: Folder, since: int) -> list[tuple[int, str, Item]]:
    """(sequence, Create / Update / Delete, item) of the singles and masters changed after
    ``since``, one per item, in change order; items created and deleted since are left out."""
    changes = []
    for item in store.items.values():
        if item.folder_id != folder.folder_id or item.master_id is not None:
            continue
        if item.deleted_seq is not None:
            if item.deleted_seq > since and item.created_seq <= since:
                changes.append((item.deleted_seq, "Delete", item))
        elif item.changed_seq > since:
            kind = "Create" if item.created_seq > since else "Update"
            changes.append((item.changed_seq, kind, item))
    return sorted(changes, key=lambda change: change[0])


def sync_folder_items(ctx: Context, request: ET.Element) -> ET.Element:
    shape = Shape(request.find(m("ItemShape")))
    limit = int(child_text(request, m("MaxChangesReturned"), "0"))
    if not 1 <= limit <= MAX_CHANGES_RETURNED:
        raise SoapFault("ErrorSchemaValidation", "MaxChangesReturned must be 1 to 512.")
    try:
        folder = ctx.folder(request.find(m("SyncFolderId"))[0])
        since = ctx.store.read_sync_state(folder.folder_id, child_text(request, m("SyncState")))
    except ResponseMessageError as error:
        return _response("SyncFolderItems", [error], _empty_sync_page)
    changes = _changes_since(ctx.store, folder, since)
    page = changes[:limit]
    complete = len(page) == len(changes)
    state = ET.Element(m("SyncState"))
    state.text = ctx.store.sync_state(folder.folder_id, ctx.store.seq if complete else page[-1][0])
    last = ET.Element(m("IncludesLastItemInRange"))
    last.text = "true" if complete else "false"
    listing = ET.Element(m("Changes"))
    for _seq, kind, item in page:
        change = sub(listing, t(kind))
        if kind == "Delete":
            sub(change, t("ItemId"), Id=item.item_id, ChangeKey=item.change_key)
        else:
            change.append(render(ctx.store, item, shape, None))
    return _response("SyncFolderItems", [[state, last, listing]])


def _empty_items() -> list[ET.Element]:
    """What an item operation's error message carries (ItemInfoResponseMessageType)."""
    return [ET.Element(m("Items"))]


def _empty_sync_page() -> list[ET.Element]:
    """What Exchange puts in a failed SyncFolderItems message (clients read both)."""
    last = ET.Element(m("IncludesLastItemInRange"))
    last.text = "true"
    return [ET.Element(m("SyncState")), last]


# -- writing items ---------------------------------------------------------------------------


def _item_id_element(item: Item) -> ET.Element:
    items = ET.Element(m("Items"))
    created = sub(items, t(item.kind))
    sub(created, t("ItemId"), Id=item.item_id, ChangeKey=item.change_key)
    return items


def create_item(ctx: Context, request: ET.Element) -> ET.Element:
    mode = request.get("SendMeetingInvitations")
    saved_in = request.find(m("SavedItemFolderId"))
    try:
        folder = ctx.folder(saved_in[0]) if saved_in is not None else None
    except ResponseMessageError as error:
        return _response(
            "CreateItem", [error for _ in _children(request.find(m("Items")))], _empty_items
        )

    def one(element):
        kind = local_name(element)
        if kind in RESPONSE_ITEMS:
            return _meeting_response(ctx, element, request.get("MessageDisposition"))
        # Without SavedItemFolderId, an item goes to its kind's default folder.
        target = folder or ctx.mailbox.distinguished(DEFAULT_FOLDERS.get(kind, "calendar"))
        owner = ctx.store.mailbox(target.mailbox)
        if kind == "Contact":
            return [
                _item_id_element(contacts.new_contact(ctx.store, owner, target, element, ctx.now))
            ]
        if kind == "Message":
            item = messages.new_message(ctx.store, owner, target, element, request, ctx.now)
            items = ET.Element(m("Items"))
            items.append(messages.created_message(item))
            return [items]
        if kind != "CalendarItem":
            raise ResponseMessageError("ErrorInvalidRequest", f"{kind} items are not emulated.")
        _require_mode(mode, "ErrorSendMeetingInvitationsRequired")
        item = new_item(ctx.store, owner, target.folder_id, element, ctx.now)
        ctx.record_messages("invitation", item, mode)
        if mode in DELIVERING_MODES:
            ctx.store.deliver_invitation(item, ctx.now)
        return [_item_id_element(item)]

    return _response("CreateItem", _each(_children(request.find(m("Items"))), one), _empty_items)


def _meeting_response(ctx: Context, element: ET.Element, disposition: str | None):
    """An attendee's AcceptItem / TentativelyAcceptItem / DeclineItem on his copy of a
    meeting: his ``MyResponseType`` changes, the organizer's item records the answer when it
    is sent, and a declined meeting leaves the attendee's calendar."""
    if not disposition:
        raise ResponseMessageError("ErrorMessageDispositionRequired")
    reference = element.find(t("ReferenceItemId"))
    if reference is None:
        raise ResponseMessageError("ErrorInvalidRequest", "ReferenceItemId is required.")
    item, _occurrence = ctx.item(reference)
    answer = RESPONSE_ITEMS[local_name(element)]
    if item.organizer_item_id is None:
        raise ResponseMessageError(ORGANIZER_CANNOT[answer])
    item.my_response = answer
    ctx.store.record_change(item, ("MyResponseType",), ctx.now)
    if disposition != "SaveOnly":
        # The organizer may have deleted the meeting or dropped the attendee meanwhile.
        with contextlib.suppress(ResponseMessageError):
            ctx.store.record_response(item.organizer_item_id, item.mailbox, answer, ctx.now)
        ctx.messages_sent.append(
            {
                "kind": "response",
                "mode": disposition,
                "item_id": item.item_id,
                "mailbox": item.mailbox,
                "subject": answer,
                "recipients": [item.fields["Organizer"].findtext(f".//{t('EmailAddress')}")],
                "saved_copy": disposition == "SendAndSaveCopy",
            }
        )
    if answer == "Decline":
        ctx.store.delete(item)
    return [ET.Element(m("Items"))]


def _conflicts(item: Item, change_key: str | None, policy: str, touched: Iterable[str]) -> int:
    """How many of the fields an update sets changed since its change key. A stale change key
    fails a NeverOverwrite update; AutoResolve and AlwaysOverwrite overwrite and count."""
    if not change_key:
        return 0
    known = item.version_of_change_key(change_key)
    if known is None:
        raise ResponseMessageError("ErrorInvalidChangeKey")
    if known >= item.version:
        return 0
    if policy == "NeverOverwrite":
        raise ResponseMessageError("ErrorIrresolvableConflict")
    return sum(1 for name in touched if item.field_versions.get(name, 0) > known)


def update_item(ctx: Context, request: ET.Element) -> ET.Element:
    policy = request.get("ConflictResolution") or "AutoResolve"
    mode = request.get("SendMeetingInvitationsOrCancellations")
    required = "ErrorSendMeetingInvitationsOrCancellationsRequired"

    def one(change):
        reference = change[0]
        item, occurrence = ctx.item(reference)
        updates = change.find(t("Updates"))
        if item.kind == "Message":
            raise ResponseMessageError("ErrorInvalidRequest", "Updating messages is not emulated.")
        contact = item.kind == "Contact"
        touched = contacts.field_names(updates) if contact else _touched_names(updates)
        ctx.check_refusal("UpdateItem", item)
        conflict_count = _conflicts(item, reference.get("ChangeKey"), policy, touched)
        if contact:
            contacts.apply_contact_updates(item, updates)
            ctx.store.record_change(item, touched, ctx.now)
            return [_item_id_element(item), _conflict_results(conflict_count)]
        _require_mode(mode, required)
        if occurrence is not None:
            item = ctx.store.materialize_exception(item, occurrence[0], ctx.now)
        apply_updates(item, updates)
        if "Recurrence" in touched and item.is_master:
            ctx.store.reset_series(item)
        ctx.store.record_change(item, touched, ctx.now)
        ctx.record_messages("update", item, mode)
        return [_item_id_element(item), _conflict_results(conflict_count)]

    return _response(
        "UpdateItem", _each(_children(request.find(m("ItemChanges"))), one), _empty_items
    )


def _conflict_results(count: int) -> ET.Element:
    conflicts = ET.Element(m("ConflictResults"))
    sub(conflicts, t("Count"), count)
    return conflicts


def _require_mode(mode: str | None, code: str) -> None:
    """Calendar items need the call to say which meeting messages to send."""
    if not mode:
        raise ResponseMessageError(code)


def _touched_names(updates: ET.Element | None) -> set[str]:
    names = set()
    for update in _children(updates):
        uri = update[0]
        if local_name(uri) == "ExtendedFieldURI":
            names.add(f"ext:{extended_key(uri)}")
        else:
            names.add(uri.get("FieldURI", "").partition(":")[2])
    return names


def delete_item(ctx: Context, request: ET.Element) -> ET.Element:
    mode = request.get("SendMeetingCancellations")

    def one(reference):
        item, occurrence = ctx.item(reference)
        if item.kind != "CalendarItem":
            ctx.store.delete(item)
            return []
        _require_mode(mode, "ErrorSendMeetingCancellationsRequired")
        if occurrence is not None or item.master_id is not None:
            master = ctx.store.items[item.master_id] if item.master_id else item
            index = occurrence[0] if occurrence is not None else item.instance_index
            master.deleted_occurrences.add(index)
            exception_id = master.exceptions.pop(index, None)
            if exception_id is not None:
                ctx.store.items[exception_id].deleted_seq = ctx.store.next_seq()
            ctx.store.record_change(master, ("DeletedOccurrences",), ctx.now)
            ctx.record_messages("cancellation", master, mode)
            return []
        ctx.store.delete(item)
        ctx.record_messages("cancellation", item, mode)
        return []

    return _response("DeleteItem", _each(_children(request.find(m("ItemIds"))), one))


def convert_id(ctx: Context, request: ET.Element) -> ET.Element:
    """Ids are not convertible here; clients use the call to learn the server version."""

    def one(_alternate):
        raise ResponseMessageError("ErrorInvalidIdMalformed")

    return _response("ConvertId", _each(_children(request.find(m("SourceIds"))), one))


OPERATIONS: dict[str, Operation] = {
    "GetFolder": get_folder,
    "FindFolder": find_folder,
    "CreateFolder": create_folder,
    "FindItem": find_item,
    "GetItem": get_item,
    "SyncFolderItems": sync_folder_items,
    "CreateItem": create_item,
    "UpdateItem": update_item,
    "DeleteItem": delete_item,
    "ConvertId": convert_id,
}
