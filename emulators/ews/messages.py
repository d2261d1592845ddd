"""E-mail messages (``t:Message``) saved with ``CreateItem`` ``MessageDisposition="SaveOnly"``.

What a client copying e-mails into a mailbox relies on, as Exchange does it:

- ``MessageDisposition`` is required for messages (``ErrorMessageDispositionRequired``);
  ``SaveOnly`` saves into ``SavedItemFolderId`` (Drafts without one). Sending
  (``SendOnly`` / ``SendAndSaveCopy``) is not emulated (``ErrorInvalidRequest``).
- ``PR_MESSAGE_FLAGS`` (``PropertyTag`` 0x0E07) set at creation is kept: without
  ``MSGFLAG_UNSENT`` (8) the message is a sent item (``IsDraft`` false), and ``IsRead``
  follows ``MSGFLAG_READ`` (1) unless ``IsRead`` is given. Without the property, a saved
  message is an unsent draft (flags 9, or 8 when ``IsRead`` is false). The flags cannot change
  afterwards, and the property reads back as the flags in force.
- ``DateTimeSent`` / ``DateTimeReceived`` come from ``PR_CLIENT_SUBMIT_TIME`` (0x0039) and
  ``PR_MESSAGE_DELIVERY_TIME`` (0x0E06) when set, else the creation time (a draft has no
  ``DateTimeSent``).
- ``t:Attachments`` of ``t:FileAttachment`` inline in the CreateItem are stored; the answer
  gives each its ``AttachmentId``, ``GetItem`` lists them without content (``HasAttachments``,
  ``Size``). A message larger than ``max_message_bytes`` is ``ErrorMessageSizeExceeded``.
- Messages are not updated here (``UpdateItem`` on one is ``ErrorInvalidRequest``).

https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/createitem-operation-email-message,
https://learn.microsoft.com/en-us/office/client-developer/outlook/mapi/pidtagmessageflags-canonical-property,
https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/fileattachment
"""

from __future__ import annotations

import base64
import copy
import xml.etree.ElementTree as ET

from .errors import ResponseMessageError
from .items import ITEM_ORDER, Shape, in_order
from .store import Folder, Item, Store, extended_key, new_id
from .xml import format_datetime, local_name, parse_bool, parse_datetime, sub, t

MESSAGE_ORDER = [
    "Sender",
    "ToRecipients",
    "CcRecipients",
    "BccRecipients",
    "IsReadReceiptRequested",
    "IsDeliveryReceiptRequested",
    "ConversationIndex",
    "ConversationTopic",
    "From",
    "InternetMessageId",
    "IsRead",
    "IsResponseRequested",
    "References",
    "ReplyTo",
    "ReceivedBy",
    "ReceivedRepresenting",
]
MSGFLAG_READ = 1
MSGFLAG_UNSENT = 8
MESSAGE_FLAGS = 0x0E07
CLIENT_SUBMIT_TIME = 0x0039
MESSAGE_DELIVERY_TIME = 0x0E06
# Exchange 2019's default maximum message size for EWS clients (maxAllowedContentLength
# of the EWS virtual directory is larger; the transport limit decides).
MAX_MESSAGE_BYTES = 35 * 1024 * 1024
READ_ONLY = {"ItemId", "ParentFolderId", "DateTimeCreated", "LastModifiedTime", "IsDraft"}
DEFAULT_SHAPE = {"Subject", "From", "ToRecipients", "DateTimeSent", "IsRead", "HasAttachments"}


def _tag_key(tag: int) -> tuple:
    """The store's key of the MAPI property ``tag`` (``extended_key`` of its URI)."""
    return extended_key(ET.Element(t("ExtendedFieldURI"), PropertyTag=hex(tag)))


def _extended_value(item: Item, tag: int) -> str | None:
    found = item.extended.get(_tag_key(tag))
    return None if found is None else found.findtext(t("Value"))


def new_message(store: Store, mailbox, folder: Folder, element: ET.Element, request, now):
    """A message from a CreateItem's ``t:Message`` (``request``: the CreateItem element)."""
    disposition = request.get("MessageDisposition")
    if not disposition:
        raise ResponseMessageError("ErrorMessageDispositionRequired")
    if disposition != "SaveOnly":
        raise ResponseMessageError("ErrorInvalidRequest", "Sending messages is not emulated.")
    fields: dict[str, ET.Element] = {}
    extended: dict[tuple, ET.Element] = {}
    attachments: list[ET.Element] = []
    for child in element:
        name = local_name(child)
        if name == "ExtendedProperty":
            extended[extended_key(child.find(t("ExtendedFieldURI")))] = child
        elif name == "Attachments":
            attachments = [_stored_attachment(a) for a in child]
        elif name in READ_ONLY:
            raise ResponseMessageError("ErrorInvalidPropertySet", f"{name} is read-only.")
        else:
            fields[name] = child
    size = sum(len(a.findtext(t("Content")) or "") * 3 // 4 for a in attachments)
    size += len(ET.tostring(element))
    if size > MAX_MESSAGE_BYTES:
        raise ResponseMessageError("ErrorMessageSizeExceeded")
    item = Item(new_id("M"), mailbox.smtp, folder.folder_id, fields, extended, kind="Message")
    item.message_flags = _initial_flags(item)
    item.attachments = attachments
    item.size = size
    _set_flags_property(item)
    return store.save_new(item, now)


def _initial_flags(item: Item) -> int:
    given = _extended_value(item, MESSAGE_FLAGS)
    is_read = item.fields.get("IsRead")
    if given is not None:
        flags = int(given)
        if is_read is not None:
            flags = flags | MSGFLAG_READ if parse_bool(is_read.text) else flags & ~MSGFLAG_READ
        return flags
    read = is_read is None or parse_bool(is_read.text)
    return MSGFLAG_UNSENT | (MSGFLAG_READ if read else 0)


def _set_flags_property(item: Item) -> None:
    """PR_MESSAGE_FLAGS reads back as the flags in force."""
    prop = ET.Element(t("ExtendedProperty"))
    sub(prop, t("ExtendedFieldURI"), PropertyTag=hex(MESSAGE_FLAGS), PropertyType="Integer")
    sub(prop, t("Value"), str(item.message_flags))
    item.extended[_tag_key(MESSAGE_FLAGS)] = prop


def _stored_attachment(element: ET.Element) -> ET.Element:
    if local_name(element) != "FileAttachment":
        raise ResponseMessageError("ErrorInvalidRequest", "Only file attachments are emulated.")
    stored = copy.deepcopy(element)
    for old in stored.findall(t("AttachmentId")):
        stored.remove(old)
    stored.insert(0, ET.Element(t("AttachmentId"), Id=new_id("A")))
    return stored


def _attachments(item: Item, with_content: bool) -> ET.Element:
    """``t:Attachments``: each with its id (and its root item), name, type, size."""
    element = ET.Element(t("Attachments"))
    for stored in item.attachments:
        attachment = sub(element, t("FileAttachment"))
        sub(
            attachment,
            t("AttachmentId"),
            Id=stored.find(t("AttachmentId")).get("Id"),
            RootItemId=item.item_id,
            RootItemChangeKey=item.change_key,
        )
        if not with_content:
            content = stored.findtext(t("Content")) or ""
            for name in ("Name", "ContentType"):
                if stored.find(t(name)) is not None:
                    sub(attachment, t(name), stored.findtext(t(name)))
            sub(attachment, t("Size"), len(base64.b64decode(content)))
    return element


def created_message(item: Item) -> ET.Element:
    """The ``t:Message`` a CreateItem answers: its id and its attachments' ids."""
    element = ET.Element(t("Message"))
    sub(element, t("ItemId"), Id=item.item_id, ChangeKey=item.change_key)
    if item.attachments:
        element.append(_attachments(item, with_content=True))
    return element


def _moment(item: Item, tag: int):
    value = _extended_value(item, tag)
    return parse_datetime(value) if value else item.created


def render_message(store: Store, item: Item, shape: Shape) -> ET.Element:
    """``t:Message`` for ``item``: the stored elements and the computed ones, in schema order."""
    folder = store.folders[item.folder_id]
    draft = bool(item.message_flags & MSGFLAG_UNSENT)
    fields = dict(item.fields)
    fields.update(
        {
            "ItemId": ET.Element(t("ItemId"), Id=item.item_id, ChangeKey=item.change_key),
            "ParentFolderId": ET.Element(
                t("ParentFolderId"), Id=folder.folder_id, ChangeKey=folder.change_key
            ),
            "ItemClass": _text("ItemClass", "IPM.Note"),
            "DateTimeReceived": _text(
                "DateTimeReceived", format_datetime(_moment(item, MESSAGE_DELIVERY_TIME))
            ),
            "Size": _text("Size", str(item.size)),
            "IsDraft": _text("IsDraft", "true" if draft else "false"),
            "DateTimeCreated": _text("DateTimeCreated", format_datetime(item.created)),
            "HasAttachments": _text("HasAttachments", "true" if item.attachments else "false"),
            "LastModifiedTime": _text("LastModifiedTime", format_datetime(item.modified)),
            "IsRead": _text("IsRead", "true" if item.message_flags & MSGFLAG_READ else "false"),
        }
    )
    if not draft:
        sent = _moment(item, CLIENT_SUBMIT_TIME)
        fields["DateTimeSent"] = _text("DateTimeSent", format_datetime(sent))
    if item.attachments:
        fields["Attachments"] = _attachments(item, with_content=False)
    if "From" in fields:
        fields.setdefault("Sender", _renamed(fields["From"], "Sender"))
    return in_order(
        "Message",
        ITEM_ORDER + MESSAGE_ORDER,
        fields,
        item,
        shape,
        lambda name: shape.wants(name) or (shape.base == "Default" and name in DEFAULT_SHAPE),
    )


def _text(name: str, value: str) -> ET.Element:
    element = ET.Element(t(name))
    element.text = value
    return element


def _renamed(element: ET.Element, name: str) -> ET.Element:
    renamed = copy.deepcopy(element)
    renamed.tag = t(name)
    return renamed
