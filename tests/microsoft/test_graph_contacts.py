"""GraphContactsClient against the Microsoft emulator: the "Odoo" folder, the field map on the
wire, CRUD through $batch, the database's stamp, lost creates found again, errors mapped."""

from __future__ import annotations

import datetime as dt

import pytest

from calendar_sync_base.services.contact import (
    Address,
    Contact,
    ContactOp,
    ContactOpKind,
    LinkOrigin,
)
from calendar_sync_base.services.errors import AuthExpired, RemoteRejected
from calendar_sync_microsoft.services.graph_contacts import (
    BUSINESS_FAX_PROPERTY,
    ODOO_CONTACT_PROPERTY,
    GraphContactsClient,
    contact_from_graph,
)

from .conftest import EMAIL

ADA = Contact(
    given_name="Ada",
    middle_name="King",
    surname="Lovelace",
    title="Countess",
    suffix="Jr.",
    company_name="Analytical Engines",
    job_title="Analyst",
    emails=("ada@example.com", "ada@home.example", "ada@third.example", "ada@fourth.example"),
    business_phones=("+32 2 555 01 01",),
    mobile_phone="+32 470 55 01 01",
    business_fax="+32 2 555 01 02",
    birthday=dt.date(1815, 12, 10),
    notes="Met at the exhibition.",
    addresses=(
        ("business", Address(street="1 Main St", city="Brussels", postal_code="1000",
                             country="Belgium")),
        ("home", Address(street="3 Dock", city="Antwerp")),
    ),
)  # fmt: skip


def make_contacts_client(ms, session, scopes=("Contacts.ReadWrite",), tag="db1"):
    token, _refresh = ms.issue_tokens(EMAIL, scopes=list(scopes))
    return GraphContactsClient(
        session, lambda force_refresh=False: token, ms.graph_url, database_tag=tag
    )


@pytest.fixture
def contacts(ms, session):
    return make_contacts_client(ms, session)


def create(client, key, contact=ADA):
    [result] = client.apply([ContactOp(ContactOpKind.CREATE, key, contact)])
    assert result.ok, result.error
    return result


def test_create_in_the_odoo_folder_with_every_mapped_field(ms, contacts):
    result = create(contacts, 7)
    assert ms.contacts(EMAIL) == []  # not in the default Contacts folder
    [remote] = ms.contacts(EMAIL, "Odoo")
    assert remote["id"] == result.remote_id and remote["changeKey"] == result.etag
    assert (remote["givenName"], remote["middleName"], remote["surname"]) == (
        "Ada", "King", "Lovelace")  # fmt: skip
    assert (remote["title"], remote["generation"]) == ("Countess", "Jr.")
    assert remote["displayName"] == "Countess Ada King Lovelace Jr."
    assert [e["address"] for e in remote["emailAddresses"]] == list(ADA.emails[:3])
    assert remote["businessPhones"] == ["+32 2 555 01 01"]
    assert remote["mobilePhone"] == "+32 470 55 01 01"
    assert remote["birthday"].startswith("1815-12-10")
    assert remote["personalNotes"] == "Met at the exhibition."
    assert remote["businessAddress"]["countryOrRegion"] == "Belgium"
    assert remote["homeAddress"]["city"] == "Antwerp"
    assert not any(remote["otherAddress"].values())
    extended = {p["id"]: p["value"] for p in remote["singleValueExtendedProperties"]}
    assert extended == {ODOO_CONTACT_PROPERTY: "db1:7", BUSINESS_FAX_PROPERTY: "+32 2 555 01 02"}
    # Read back, it is the same contact (but the fourth e-mail Outlook cannot hold).
    assert contact_from_graph(remote) == Contact(**{**ADA.__dict__, "emails": ADA.emails[:3]})


def test_the_folder_is_made_once(ms, session, contacts):
    create(contacts, 1)
    create(make_contacts_client(ms, session), 2)  # a new client finds it by name
    assert len(ms.contacts(EMAIL, "Odoo")) == 2
    assert len(ms.outlook_store(EMAIL).contact_folders) == 1


def test_listing_tells_our_stamps_from_others(ms, session, contacts):
    create(contacts, 7)
    create(make_contacts_client(ms, session, tag="other-db"), 8, Contact(surname="Other"))
    ms.insert_contact(EMAIL, {"givenName": "Hand", "surname": "Made"}, "Odoo")
    ms.insert_contact(EMAIL, {"givenName": "Default", "surname": "Folder"})  # not listed
    listed = {item.contact.surname: item.stamp for item in contacts.list_contacts()}
    assert listed == {"Lovelace": 7, "Other": None, "Made": None}


def test_listing_pages(ms, contacts, monkeypatch):
    monkeypatch.setattr("calendar_sync_microsoft.services.graph_contacts.LISTING_PAGE_SIZE", 2)
    contacts.apply([ContactOp(ContactOpKind.CREATE, n, Contact(surname=f"P{n}")) for n in range(5)])
    assert sorted(item.stamp for item in contacts.list_contacts()) == [0, 1, 2, 3, 4]


def test_update_rewrites_the_whole_contact_and_delete_removes_it(ms, contacts):
    created = create(contacts, 7)
    lean = Contact(given_name="Ada", surname="Lovelace")
    update = ContactOp(ContactOpKind.UPDATE, 7, lean, created.remote_id)
    [updated] = contacts.apply([update])
    assert updated.ok and updated.etag != created.etag
    [remote] = ms.contacts(EMAIL, "Odoo")
    assert remote["jobTitle"] == "" and remote["emailAddresses"] == []
    assert not any(remote["businessAddress"].values())
    [deleted] = contacts.apply([ContactOp(ContactOpKind.DELETE, 7, remote_id=created.remote_id)])
    assert deleted.ok and ms.contacts(EMAIL, "Odoo") == []
    # Deleting or updating what is gone: the goal (deleted) is reached, the update says gone.
    again = contacts.apply(
        [ContactOp(ContactOpKind.DELETE, 7, remote_id=created.remote_id), update]
    )
    assert [(r.ok, r.gone) for r in again] == [(True, True), (True, True)]


def test_a_matched_contact_is_never_stamped(ms, contacts):
    mine = ms.insert_contact(EMAIL, {"givenName": "Ada", "surname": "Lovelace"}, "Odoo")
    op = ContactOp(ContactOpKind.UPDATE, 7, ADA, mine["id"], LinkOrigin.MATCHED)
    [result] = contacts.apply([op])
    assert result.ok
    [remote] = ms.contacts(EMAIL, "Odoo")
    assert remote["jobTitle"] == "Analyst"
    assert [p["id"] for p in remote["singleValueExtendedProperties"]] == [BUSINESS_FAX_PROPERTY]


def test_many_changes_go_in_few_batches(ms, contacts):
    ops = [ContactOp(ContactOpKind.CREATE, n, Contact(surname=f"P{n}")) for n in range(45)]
    contacts.folder_id()
    before = len(ms.requests)
    results = contacts.apply(ops)
    assert all(r.ok for r in results)
    assert len({r.remote_id for r in results}) == 45
    sent = [r.path for r in ms.requests[before:] if not r.in_batch]
    assert sent == ["/v1.0/$batch"] * 3


def test_a_create_whose_answer_was_lost_is_found_not_doubled(ms, contacts):
    contacts.folder_id()
    ms.faults.add(lose_answer=True, method="POST", path_regex=r"/\$batch$", times=1)
    [result] = contacts.apply([ContactOp(ContactOpKind.CREATE, 7, ADA)])
    assert result.ok
    [remote] = ms.contacts(EMAIL, "Odoo")
    assert remote["id"] == result.remote_id


def test_refusals_and_expired_grants_are_results(ms, session):
    reader = make_contacts_client(ms, session, scopes=("Contacts.Read",))
    ms.insert_contact(EMAIL, {"surname": "Existing"}, "Odoo")
    [refused] = reader.apply([ContactOp(ContactOpKind.CREATE, 1, ADA)])
    assert isinstance(refused.error, RemoteRejected) and not refused.retryable
    ms.expire_access_tokens(EMAIL)
    [expired] = reader.apply([ContactOp(ContactOpKind.CREATE, 1, ADA)])
    assert isinstance(expired.error, AuthExpired) and expired.retryable
