"""The Microsoft emulator's contacts and mail: contact folders and contacts (CRUD, $batch,
extended properties), messages saved to Sent Items honouring PR_MESSAGE_FLAGS, attachments, and
the permissions each needs. Answers are checked against msgraph-sdk's models."""

from __future__ import annotations

import base64

import pytest
import requests

pytest.importorskip("msgraph", reason="msgraph-sdk (requirements-dev.txt) validates the schema")

from msgraph.generated.models.attachment_collection_response import (  # noqa: E402
    AttachmentCollectionResponse,
)
from msgraph.generated.models.contact import Contact  # noqa: E402
from msgraph.generated.models.contact_collection_response import (  # noqa: E402
    ContactCollectionResponse,
)
from msgraph.generated.models.contact_folder import ContactFolder  # noqa: E402
from msgraph.generated.models.contact_folder_collection_response import (  # noqa: E402
    ContactFolderCollectionResponse,
)
from msgraph.generated.models.mail_folder import MailFolder  # noqa: E402
from msgraph.generated.models.message import Message  # noqa: E402
from msgraph.generated.models.message_collection_response import (  # noqa: E402
    MessageCollectionResponse,
)
from msgraph.generated.models.o_data_errors.o_data_error import ODataError  # noqa: E402

from tests.emulators import test_microsoft_graph as graph_tests  # noqa: E402
from tests.emulators.test_microsoft_graph import USER, Graph  # noqa: E402
from tests.emulators.test_microsoft_schema import assert_valid  # noqa: E402

ms = graph_tests.ms  # the same emulator fixture (graph_server comes from conftest.py)

ODOO_ID = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name odoo_id"
SENT = [{"id": "Integer 0x0E07", "value": "1"}]
EXPAND_ODOO = f"singleValueExtendedProperties($filter=id eq '{ODOO_ID}')"


def graph_with(ms, *scopes: str) -> Graph:
    access, _refresh = ms.issue_tokens(USER, scopes=list(scopes))
    return Graph(ms, access)


@pytest.fixture
def graph(ms):
    return graph_with(ms, "Contacts.ReadWrite", "Mail.ReadWrite")


def contact_body(**extra):
    return {
        "givenName": "Ada",
        "surname": "Lovelace",
        "emailAddresses": [{"name": "Ada", "address": "ada@example.com"}],
        "businessPhones": ["+32 2 555 01 01"],
        "businessAddress": {"street": "1 Main St", "city": "Brussels", "postalCode": "1000"},
        "singleValueExtendedProperties": [{"id": ODOO_ID, "value": "res.partner,7"}],
        **extra,
    }


def test_contact_folder_and_contact_crud(graph):
    folder = graph.post("/me/contactFolders", {"displayName": "Odoo"})
    assert_valid(folder, ContactFolder)
    graph.post("/me/contactFolders", {"displayName": "odoo"}, expect=409)
    listed = graph.get("/me/contactFolders", params={"$filter": "displayName eq 'Odoo'"})
    assert_valid(listed, ContactFolderCollectionResponse)
    assert [f["id"] for f in listed["value"]] == [folder["id"]]

    path = f"/me/contactFolders/{folder['id']}/contacts"
    created = graph.post(path, contact_body())
    assert_valid(created, Contact)
    assert created["displayName"] == "Ada Lovelace"
    assert created["parentFolderId"] == folder["id"]
    assert "singleValueExtendedProperties" not in created  # only with $expand

    patched = graph.patch(
        f"{path}/{created['id']}",
        {"jobTitle": "Analyst"},
        headers={"If-Match": created["@odata.etag"]},
    )
    assert patched["jobTitle"] == "Analyst" and patched["changeKey"] != created["changeKey"]
    graph.patch(
        f"/me/contacts/{created['id']}",
        {"jobTitle": "x"},
        expect=412,
        headers={"If-Match": created["@odata.etag"]},
    )
    assert graph.get(f"/me/contacts/{created['id']}")["jobTitle"] == "Analyst"

    graph.delete(f"/me/contacts/{created['id']}")
    graph.get(f"{path}/{created['id']}", expect=404)
    graph.delete(f"/me/contactFolders/{folder['id']}")
    graph.get(f"/me/contactFolders/{folder['id']}/contacts", expect=404)


def test_contacts_found_by_extended_property_and_expanded(graph):
    folder = graph.post("/me/contactFolders", {"displayName": "Odoo"})
    path = f"/me/contactFolders/{folder['id']}/contacts"
    mine = graph.post(path, contact_body())
    graph.post("/me/contacts", {"givenName": "Hand", "surname": "Made"})  # default folder
    found = graph.get(
        path,
        params={
            "$filter": f"singleValueExtendedProperties/Any(ep: ep/id eq '{ODOO_ID}' "
            "and ep/value eq 'res.partner,7')",
            "$expand": EXPAND_ODOO,
        },
    )
    assert_valid(found, ContactCollectionResponse)
    assert [c["id"] for c in found["value"]] == [mine["id"]]
    assert found["value"][0]["singleValueExtendedProperties"] == [
        {"id": ODOO_ID, "value": "res.partner,7"}
    ]
    # /me/contacts is the default folder only; a contact of another folder is reached by id.
    assert [c["surname"] for c in graph.get("/me/contacts")["value"]] == ["Made"]
    assert graph.get(f"/me/contacts/{mine['id']}")["surname"] == "Lovelace"
    assert [c["surname"] for c in graph.get(path)["value"]] == ["Lovelace"]


def test_contacts_in_batch(graph, ms):
    folder = graph.post("/me/contactFolders", {"displayName": "Odoo"})
    parts = [
        {
            "id": str(n),
            "method": "POST",
            "url": f"/me/contactFolders/{folder['id']}/contacts",
            "headers": {"Content-Type": "application/json"},
            "body": contact_body(givenName=f"P{n}"),
        }
        for n in range(3)
    ]
    bad = {"id": "bad", "method": "POST", "url": "/me/contacts", "body": {"nope": 1}}
    parts.append({**bad, "headers": {"Content-Type": "application/json"}})
    answer = graph.post("/$batch", {"requests": parts}, expect=200)
    statuses = {part["id"]: part["status"] for part in answer["responses"]}
    assert statuses == {"0": 201, "1": 201, "2": 201, "bad": 400}
    for part in answer["responses"]:
        assert_valid(part["body"], Contact if part["status"] == 201 else ODataError)
    assert len(graph.get(f"/me/contactFolders/{folder['id']}/contacts")["value"]) == 3


def test_contact_validation(graph):
    graph.post("/me/contacts", {"givenName": 5}, expect=400)
    graph.post("/me/contacts", {"emailAddresses": [{"addr": "x"}]}, expect=400)
    graph.post("/me/contacts", {"unknown": "x"}, expect=400)
    graph.post("/me/contacts", {"singleValueExtendedProperties": [{"id": "bad", "value": "1"}]},
               expect=400)  # fmt: skip
    graph.post("/me/contactFolders", {"displayName": ""}, expect=400)


def message_body(**extra):
    return {
        "subject": "Quote S00042",
        "body": {"contentType": "html", "content": "<p>Here is your quote</p>"},
        "toRecipients": [{"emailAddress": {"name": "Ada", "address": "ada@example.com"}}],
        "ccRecipients": [{"emailAddress": {"address": "bob@example.com"}}],
        **extra,
    }


def test_message_with_flags_is_a_sent_item(graph):
    saved = graph.post(
        "/me/mailFolders/sentitems/messages",
        message_body(
            singleValueExtendedProperties=[
                *SENT,
                {"id": "SystemTime 0x0039", "value": "2024-04-30T10:00:00Z"},
                {"id": ODOO_ID, "value": "mail.message,9"},
            ],
            internetMessageId="<9.odoo@example.com>",
        ),
    )
    assert_valid(saved, Message)
    assert saved["isDraft"] is False and saved["isRead"] is True
    assert saved["sentDateTime"] == "2024-04-30T10:00:00Z"
    assert saved["from"]["emailAddress"]["address"] == USER
    folder = graph.get("/me/mailFolders/sentitems")
    assert_valid(folder, MailFolder)
    assert saved["parentFolderId"] == folder["id"] and folder["totalItemCount"] == 1
    # The folder's id works as well as its well-known name.
    listed = graph.get(
        f"/me/mailFolders/{folder['id']}/messages",
        params={"$filter": "internetMessageId eq '<9.odoo@example.com>'", "$expand": EXPAND_ODOO},
    )
    assert_valid(listed, MessageCollectionResponse)
    assert [m["id"] for m in listed["value"]] == [saved["id"]]
    assert listed["value"][0]["singleValueExtendedProperties"] == [
        {"id": ODOO_ID, "value": "mail.message,9"}
    ]
    by_property = graph.get(
        "/me/mailFolders/sentitems/messages",
        params={
            "$filter": f"singleValueExtendedProperties/any(ep: ep/id eq '{ODOO_ID}' "
            "and ep/value eq 'mail.message,9')"
        },
    )
    assert [m["id"] for m in by_property["value"]] == [saved["id"]]


@pytest.mark.parametrize("flags", [None, "9"])
def test_message_without_cleared_unsent_bit_is_a_draft(graph, flags):
    # isDraft is read-only: setting it has no effect (Office-365-SDK-for-Java#3); only
    # PR_MESSAGE_FLAGS at creation decides (microsoft-graph-docs#14829).
    extra = {"singleValueExtendedProperties": [{"id": "Integer 0x0E07", "value": flags}]}
    saved = graph.post(
        "/me/mailFolders/sentitems/messages",
        message_body(isDraft=False, **extra if flags else {}),
    )
    assert saved["isDraft"] is True and saved["sentDateTime"] is None
    draft = graph.post("/me/messages", message_body())  # POST /me/messages: Drafts
    assert draft["isDraft"] is True
    assert draft["parentFolderId"] == graph.get("/me/mailFolders/drafts")["id"]


def test_sent_date_members_are_ignored_and_the_mapi_times_honoured(graph, ms):
    # Setting the sent or received date has no effect on a created message
    # (Office-365-SDK-for-Java#3): Exchange stamps them.
    dates = {"sentDateTime": "2020-01-01T00:00:00Z", "receivedDateTime": "2020-01-02T00:00:00Z"}
    saved = graph.post(
        "/me/mailFolders/sentitems/messages",
        message_body(singleValueExtendedProperties=SENT, **dates),
    )
    assert saved["sentDateTime"] == saved["receivedDateTime"] == "2024-05-01T08:00:00Z"  # now
    times = [
        {"id": "SystemTime 0x0039", "value": "2024-04-30T10:00:00Z"},  # PR_CLIENT_SUBMIT_TIME
        {"id": "SystemTime 0x0E06", "value": "2024-04-30T10:00:05Z"},  # PR_MESSAGE_DELIVERY_TIME
    ]
    stamped = graph.post(
        "/me/mailFolders/sentitems/messages",
        message_body(singleValueExtendedProperties=SENT + times, **dates),
    )
    assert stamped["sentDateTime"] == "2024-04-30T10:00:00Z"
    assert stamped["receivedDateTime"] == "2024-04-30T10:00:05Z"


def test_inline_attachments_and_size_limit(graph):
    content = b"%PDF-1.4 quote"
    attachment = {
        "@odata.type": "#microsoft.graph.fileAttachment",
        "name": "quote.pdf",
        "contentType": "application/pdf",
        "contentBytes": base64.b64encode(content).decode(),
    }
    saved = graph.post(
        "/me/mailFolders/sentitems/messages",
        message_body(singleValueExtendedProperties=SENT, attachments=[attachment]),
    )
    assert saved["hasAttachments"] is True
    listed = graph.get(f"/me/messages/{saved['id']}/attachments")
    assert_valid(listed, AttachmentCollectionResponse)
    assert [(a["name"], a["size"]) for a in listed["value"]] == [("quote.pdf", len(content))]
    assert base64.b64decode(listed["value"][0]["contentBytes"]) == content
    too_big = {**attachment, "contentBytes": base64.b64encode(b"x" * 3 * 1024 * 1024).decode()}
    error = graph.post("/me/mailFolders/sentitems/messages",
                       message_body(attachments=[too_big]), expect=413)  # fmt: skip
    assert_valid(error, ODataError)
    graph.post("/me/mailFolders/sentitems/messages",
               message_body(attachments=[{**attachment, "@odata.type": "#microsoft.graph."
                                          "itemAttachment"}]), expect=400)  # fmt: skip
    assert len(graph.get("/me/mailFolders/sentitems/messages")["value"]) == 1


def test_message_validation(graph):
    graph.post("/me/mailFolders/sentitems/messages", {"toRecipients": "x"}, expect=400)
    graph.post("/me/mailFolders/sentitems/messages", {"isDraft": False, "nope": 1}, expect=400)
    graph.post("/me/mailFolders/nosuch/messages", message_body(), expect=404)
    graph.post("/me/mailFolders/sentitems/messages",
               {"singleValueExtendedProperties": [{"id": "Integer 0x0E07", "value": "x"}]},
               expect=400)  # fmt: skip


@pytest.mark.parametrize(
    ("scopes", "path", "body"),
    [
        (["Calendars.ReadWrite"], "/me/contactFolders", {"displayName": "Odoo"}),
        (["Contacts.Read"], "/me/contacts", {"givenName": "x"}),
        (["Calendars.ReadWrite", "Contacts.ReadWrite"], "/me/mailFolders/sentitems/messages", {}),
        (["Mail.Read"], "/me/mailFolders/sentitems/messages", {}),
    ],
)
def test_each_call_needs_its_permission(ms, scopes, path, body):
    graph = graph_with(ms, *scopes)
    error = graph.post(path, body, expect=403)
    assert error["error"]["code"] == "ErrorAccessDenied"
    graph.get(path, expect=200 if scopes[-1].endswith(".Read") else 403)


def test_lost_answer_fault_applies_the_request(graph, ms):
    ms.faults.add(lose_answer=True, method="POST", path_regex=r"/messages$")
    with pytest.raises(requests.ConnectionError):
        graph.post("/me/mailFolders/sentitems/messages", message_body())
    assert len(graph.get("/me/mailFolders/sentitems/messages")["value"]) == 1
