"""Contact items (``t:Contact``) in contacts folders, and folders made with ``CreateFolder``.

Contacts are stored as the client sent their elements, like calendar items, and rendered in
the order of types.xsd's ``ContactItemType``. What is contact-specific:

- A contact is created only in a contacts folder (``FolderClass`` ``IPF.Contact``, or below
  one): elsewhere ``ErrorCannotCreateContactInNonContactFolder``.
- Dictionaries (``EmailAddresses``, ``PhoneNumbers``, ``PhysicalAddresses``, ``ImAddresses``)
  are updated entry by entry through ``IndexedFieldURI`` (``FieldIndex`` is the entry's
  ``Key``; a physical address is updated member by member, ``contacts:PhysicalAddress:City``),
  and an entry whose last member is deleted goes.
- ``CompleteName`` is computed from the names (read-only, as ``ContactSource`` and
  ``HasPicture``), ``DisplayName`` defaults to the given and last names.
- ``CreateFolder``: a folder's class follows its element (``t:ContactsFolder`` is
  ``IPF.Contact``) unless ``FolderClass`` says otherwise; a sibling with the same name is
  ``ErrorFolderExists``.

https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/contact,
https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/indexedfielduri,
https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/createfolder-operation,
https://learn.microsoft.com/en-us/exchange/client-developer/exchange-web-services/how-to-work-with-contacts-by-using-ews-in-exchange
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

from .errors import ResponseMessageError
from .items import ITEM_ORDER, Shape, in_order, read_fields
from .items import _stored as stored  # the canonical booleans of calendar items
from .store import Folder, Item, Store, extended_key, new_id
from .xml import format_datetime, local_name, m, sub, t

CONTACT_ORDER = [
    "FileAs",
    "FileAsMapping",
    "DisplayName",
    "GivenName",
    "Initials",
    "MiddleName",
    "Nickname",
    "CompleteName",
    "CompanyName",
    "EmailAddresses",
    "PhysicalAddresses",
    "PhoneNumbers",
    "AssistantName",
    "Birthday",
    "BusinessHomePage",
    "Children",
    "Companies",
    "ContactSource",
    "Department",
    "Generation",
    "ImAddresses",
    "JobTitle",
    "Manager",
    "Mileage",
    "OfficeLocation",
    "PostalAddressIndex",
    "Profession",
    "SpouseName",
    "Surname",
    "WeddingAnniversary",
]
# IndexedFieldURI's FieldURI (without its member) -> the dictionary element holding it.
DICTIONARIES = {
    "EmailAddress": "EmailAddresses",
    "PhoneNumber": "PhoneNumbers",
    "PhysicalAddress": "PhysicalAddresses",
    "ImAddress": "ImAddresses",
}
ADDRESS_MEMBERS = ("Street", "City", "State", "CountryOrRegion", "PostalCode")
READ_ONLY = {
    "ItemId",
    "ParentFolderId",
    "DateTimeCreated",
    "LastModifiedTime",
    "CompleteName",
    "ContactSource",
    "HasPicture",
}
# What BaseShape Default returns besides ItemId (AllProperties: everything stored).
DEFAULT_SHAPE = {"DisplayName", "GivenName", "Surname", "CompanyName", "EmailAddresses"}
FOLDER_CLASSES = {
    "ContactsFolder": "IPF.Contact",
    "CalendarFolder": "IPF.Appointment",
    "TasksFolder": "IPF.Task",
}
FOLDER_TAGS = {folder_class: tag for tag, folder_class in FOLDER_CLASSES.items()}


def in_contacts_folder(folder: Folder) -> bool:
    return (folder.folder_class or "").startswith("IPF.Contact")


def new_contact(store: Store, mailbox, folder: Folder, element: ET.Element, now) -> Item:
    """A contact from a CreateItem's ``t:Contact``."""
    if not in_contacts_folder(folder):
        raise ResponseMessageError("ErrorCannotCreateContactInNonContactFolder")
    fields, extended = read_fields(element, READ_ONLY, stored)
    item = Item(new_id("C"), mailbox.smtp, folder.folder_id, fields, extended, kind="Contact")
    return store.save_new(item, now)


def field_names(updates: ET.Element) -> set[str]:
    """The properties an ItemChange's ``t:Updates`` touch (a dictionary counts as one)."""
    names = set()
    for update in updates:
        uri = update[0]
        path = (uri.get("FieldURI") or "").partition(":")[2]
        if local_name(uri) == "ExtendedFieldURI":
            names.add(f"ext:{extended_key(uri)}")
        elif local_name(uri) == "IndexedFieldURI":
            names.add(DICTIONARIES.get(path.partition(":")[0], path))
        else:
            names.add(path)
    return names


def apply_contact_updates(item: Item, updates: ET.Element) -> None:
    """Apply an ItemChange's ``t:Updates`` to a contact, all or nothing."""
    saved = copy.deepcopy((item.fields, item.extended))
    try:
        for update in updates:
            _apply_update(item, update)
    except ResponseMessageError:
        item.fields, item.extended = saved
        raise


def _apply_update(item: Item, update: ET.Element) -> None:
    action = local_name(update)
    uri = update[0]
    kind = local_name(uri)
    container = update.find(t("Contact"))
    if kind == "ExtendedFieldURI":
        key = extended_key(uri)
        if action == "DeleteItemField":
            item.extended.pop(key, None)
        else:
            item.extended[key] = _value(container, "ExtendedProperty")
        return
    path = (uri.get("FieldURI") or "").partition(":")[2]
    if kind == "IndexedFieldURI":
        _apply_indexed(item, action, path, uri.get("FieldIndex") or "", container)
    elif path in READ_ONLY:
        raise ResponseMessageError("ErrorInvalidPropertySet", f"{path} is read-only.")
    elif action == "DeleteItemField":
        item.fields.pop(path, None)
    else:
        item.fields[path] = stored(path, _value(container, path))


def _value(container: ET.Element | None, name: str) -> ET.Element:
    value = container.find(t(name)) if container is not None else None
    if value is None:
        raise ResponseMessageError("ErrorInvalidRequest", f"SetItemField without {name}.")
    return value


def _apply_indexed(item: Item, action: str, path: str, key: str, container) -> None:
    """One dictionary entry (or one member of a physical address) set or deleted."""
    base, _, member = path.partition(":")
    dictionary_name = DICTIONARIES.get(base)
    if dictionary_name is None or not key:
        raise ResponseMessageError("ErrorInvalidIndexedPagingParameters", f"{path} is not indexed.")
    dictionary = item.fields.get(dictionary_name)
    entry = _entry(dictionary, key)
    if action == "DeleteItemField":
        if entry is not None and member:
            _drop_member(entry, member)
        if entry is not None and (not member or not len(entry)):
            dictionary.remove(entry)
        if dictionary is not None and not len(dictionary):
            del item.fields[dictionary_name]
        return
    new_entry = _entry(_value(container, dictionary_name), key)
    if new_entry is None:
        raise ResponseMessageError("ErrorInvalidRequest", f"No {dictionary_name} entry {key}.")
    if dictionary is None:
        dictionary = item.fields[dictionary_name] = ET.Element(t(dictionary_name))
    if member and entry is not None:
        _drop_member(entry, member)
        entry.extend(new_entry)
        entry[:] = sorted(entry, key=lambda child: ADDRESS_MEMBERS.index(local_name(child)))
    else:
        if entry is not None:
            dictionary.remove(entry)
        dictionary.append(copy.deepcopy(new_entry))


def _entry(dictionary: ET.Element | None, key: str) -> ET.Element | None:
    for entry in dictionary if dictionary is not None else ():
        if entry.get("Key") == key:
            return entry
    return None


def _drop_member(entry: ET.Element, member: str) -> None:
    for child in entry.findall(t(member)):
        entry.remove(child)


def render_contact(store: Store, item: Item, shape: Shape) -> ET.Element:
    """``t:Contact`` for ``item``: the stored elements and the computed ones, in schema order."""
    folder = store.folders[item.folder_id]
    fields = dict(item.fields)
    fields["ItemId"] = ET.Element(t("ItemId"), Id=item.item_id, ChangeKey=item.change_key)
    fields["ParentFolderId"] = ET.Element(
        t("ParentFolderId"), Id=folder.folder_id, ChangeKey=folder.change_key
    )
    fields["ItemClass"] = _text("ItemClass", "IPM.Contact")
    fields["DateTimeCreated"] = _text("DateTimeCreated", format_datetime(item.created))
    fields["LastModifiedTime"] = _text("LastModifiedTime", format_datetime(item.modified))
    fields.setdefault("DisplayName", _text("DisplayName", _display_name(item)))
    fields["CompleteName"] = _complete_name(item)
    fields["ContactSource"] = _text("ContactSource", "Store")
    return in_order(
        "Contact", ITEM_ORDER + CONTACT_ORDER, fields, item, shape, lambda n: _wanted(shape, n)
    )


def _wanted(shape: Shape, name: str) -> bool:
    """Whether the shape asks for ``name``; a dictionary is asked for by its entries'
    ``IndexedFieldURI`` (``contacts:PhysicalAddress:City``) or by its own ``FieldURI``."""
    if shape.base == "Default" and name in DEFAULT_SHAPE:
        return True
    asked = {path.partition(":")[0] for path in shape.fields}
    singular = {dictionary: base for base, dictionary in DICTIONARIES.items()}.get(name)
    return shape.wants(name) or (singular is not None and singular in asked)


def _text(name: str, value: str) -> ET.Element:
    element = ET.Element(t(name))
    element.text = value
    return element


def _name(item: Item, name: str) -> str:
    element = item.fields.get(name)
    return (element.text or "").strip() if element is not None else ""


def _display_name(item: Item) -> str:
    names = [_name(item, "GivenName"), _name(item, "MiddleName"), _name(item, "Surname")]
    return " ".join(filter(None, names)) or _name(item, "CompanyName")


def _complete_name(item: Item) -> ET.Element:
    complete = ET.Element(t("CompleteName"))
    for member, source in (
        ("FirstName", "GivenName"),
        ("MiddleName", "MiddleName"),
        ("LastName", "Surname"),
        ("Suffix", "Generation"),
        ("Initials", "Initials"),
        ("Nickname", "Nickname"),
    ):
        if _name(item, source):
            sub(complete, t(member), _name(item, source))
    sub(complete, t("FullName"), _display_name(item))
    return complete


# -- folders ---------------------------------------------------------------------------------


def create_folders(ctx, request: ET.Element) -> list:
    """``CreateFolder``: one result per ``m:Folders`` child (its ``m:Folders`` with the new
    folder's id, or its error), created under ``m:ParentFolderId``."""
    children = list(request.find(m("Folders")) or ())
    try:
        parent = ctx.folder(request.find(m("ParentFolderId"))[0])
    except ResponseMessageError as error:
        return [error for _ in children]
    results = []
    for element in children:
        try:
            results.append([_create_folder(ctx.store, parent, element)])
        except ResponseMessageError as error:
            results.append(error)
    return results


def _create_folder(store: Store, parent: Folder, element: ET.Element) -> ET.Element:
    name = (element.findtext(t("DisplayName")) or "").strip()
    if not name:
        raise ResponseMessageError("ErrorInvalidRequest", "DisplayName is required.")
    siblings = [f for f in store.folders.values() if f.parent_id == parent.folder_id]
    if any(f.name.lower() == name.lower() for f in siblings):
        raise ResponseMessageError("ErrorFolderExists")
    tag = local_name(element)
    folder_class = element.findtext(t("FolderClass")) or FOLDER_CLASSES.get(tag)
    if folder_class is None and tag == "Folder":
        folder_class = parent.folder_class
    folder = Folder(new_id("F"), parent.mailbox, None, name, folder_class, parent.folder_id)
    store.folders[folder.folder_id] = folder
    store.mailbox(parent.mailbox).folders[folder.folder_id] = folder
    created = ET.Element(m("Folders"))
    rendered = sub(created, t(folder_tag(folder)))
    sub(rendered, t("FolderId"), Id=folder.folder_id, ChangeKey=folder.change_key)
    return created


def folder_tag(folder: Folder) -> str:
    """The element a folder is rendered as: its class's (``IPF.Contact.X`` too), else Folder."""
    base = ".".join((folder.folder_class or "").split(".")[:2])
    return FOLDER_TAGS.get(base, "Folder")


def empty_folders() -> list[ET.Element]:
    """What a folder operation's error message carries (FolderInfoResponseMessageType)."""
    return [ET.Element(m("Folders"))]
