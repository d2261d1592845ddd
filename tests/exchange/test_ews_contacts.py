"""The EWS ContactConnector against the EWS emulator: the "Odoo" folder, bulk writes, the
stamp, lost creates adopted, incremental changes through SyncFolderItems."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from exchangelib import Contact as EwsContact
from exchangelib.indexed_properties import EmailAddress

from calendar_sync_base.services.contact import (
    Address,
    Contact,
    ContactOp,
    ContactOpKind,
    LinkOrigin,
)
from calendar_sync_exchange.services.ews_account import build_account
from calendar_sync_exchange.services.ews_contacts import ExchangeContactsClient
from tests.emulators.ews_support import account, operations

from .conftest import schema_problems, settings_for

ADA = Contact(
    given_name="Ada",
    middle_name="King",
    surname="Lovelace",
    title="Dr.",
    suffix="Jr.",
    company_name="Acme",
    job_title="Analyst",
    emails=("ada@example.com", "ada@home.example"),
    business_phones=("+32 2 555 01 01",),
    mobile_phone="+32 470 55 01 01",
    business_fax="+32 2 555 01 02",
    birthday=dt.date(1990, 5, 1),
    notes="Met at the fair",
    addresses=(
        ("business", Address("1 Main St", "Brussels", "", "1000", "Belgium")),
        ("home", Address(city="Antwerp")),
        ("other", Address(city="Ghent")),
    ),
)


@pytest.fixture
def contacts(ews):
    def make(database_tag="db-1", **options):
        return ExchangeContactsClient(
            build_account(settings_for(ews)), database_tag=database_tag, **options
        )

    return make


def own_folder(ews, mailbox="alice@example.com"):
    """The user's "Odoo" folder as Outlook shows it (the user's own login)."""
    acc = account(ews, mailbox)
    return next(f for f in acc.contacts.children if f.name == "Odoo"), acc


def test_create_maps_every_field_and_stamps_the_contact(ews, contacts):
    client = contacts()
    [result] = client.apply([ContactOp(ContactOpKind.CREATE, 7, ADA)])
    assert result.ok and result.remote_id and result.etag
    folder, _ = own_folder(ews)
    [item] = list(folder.all())
    assert (item.display_name, item.given_name, item.surname) == (
        "Dr. Ada King Lovelace Jr.", "Ada", "Lovelace",
    )  # fmt: skip
    assert {e.label: e.email for e in item.email_addresses} == {
        "EmailAddress1": "ada@example.com",
        "EmailAddress2": "ada@home.example",
    }
    assert {p.label for p in item.phone_numbers} == {"BusinessPhone", "MobilePhone", "BusinessFax"}
    assert {a.label: a.city for a in item.physical_addresses} == {
        "Business": "Brussels", "Home": "Antwerp", "Other": "Ghent",
    }  # fmt: skip
    [listed] = client.list_contacts()
    assert listed.stamp == 7 and not listed.foreign
    assert listed.contact == client.normalized(ADA)


def test_the_folder_is_made_once_and_found_again(ews, contacts):
    contacts().list_contacts()
    contacts().list_contacts()
    assert operations(ews, "CreateFolder") == 1
    folder, _ = own_folder(ews)
    assert folder.folder_class == "IPF.Contact"


def test_a_stamp_of_another_database_is_foreign(contacts):
    contacts("db-other").apply([ContactOp(ContactOpKind.CREATE, 7, ADA)])
    [listed] = contacts("db-1").list_contacts()
    assert listed.stamp is None and listed.foreign


def test_update_sends_only_the_changed_fields_and_clears_what_odoo_cleared(ews, contacts):
    client = contacts()
    [created] = client.apply([ContactOp(ContactOpKind.CREATE, 7, ADA)])
    folder, acc = own_folder(ews)
    [item] = list(folder.all())
    item.nickname = "Countess"  # typed in Outlook, not held by Odoo
    item.save(update_fields=["nickname"])
    changed = dataclasses.replace(
        ADA, emails=("ada@new.example",), addresses=(("business", Address(city="Liège")),)
    )
    [result] = client.apply(
        [
            ContactOp(
                ContactOpKind.UPDATE, 7, changed, created.remote_id, fields=("emails", "addresses")
            )
        ]
    )
    assert result.ok and result.etag != created.etag
    [item] = list(folder.all())
    assert [e.email for e in item.email_addresses] == ["ada@new.example"]
    assert [(a.label, a.city, a.street) for a in item.physical_addresses] == [
        ("Business", "Liège", None)
    ]
    assert item.nickname == "Countess" and item.job_title == "Analyst"
    assert client.list_contacts()[0].contact == changed


def test_a_matched_contact_is_not_stamped_and_delete_reports_gone(ews, contacts):
    _, acc = own_folder_after_first_use(ews, contacts)
    folder = next(f for f in acc.contacts.children if f.name == "Odoo")
    mine = EwsContact(
        account=acc,
        folder=folder,
        display_name="Ada Lovelace",
        given_name="Ada",
        surname="Lovelace",
        email_addresses=[EmailAddress(email="ada@example.com")],
    )
    mine.save()
    client = contacts()
    [listed] = client.list_contacts()
    assert listed.stamp is None
    [result] = client.apply(
        [ContactOp(ContactOpKind.UPDATE, 7, ADA, listed.remote_id, LinkOrigin.MATCHED)]
    )
    assert result.ok
    [listed] = client.list_contacts()
    assert listed.stamp is None and listed.contact.job_title == "Analyst"
    ops = [ContactOp(ContactOpKind.DELETE, 7, remote_id=listed.remote_id)] * 2
    first, second = client.apply(ops[:1]) + client.apply(ops[1:])
    assert first.ok and not first.gone and second.gone
    assert client.list_contacts() == []


def own_folder_after_first_use(ews, contacts):
    contacts().list_contacts()  # makes the folder
    return own_folder(ews)


def test_bulk_writes_one_call_per_kind_and_batch_and_one_refusal_fails_alone(ews, contacts):
    client = contacts(batch_size=2)
    ops = [
        ContactOp(ContactOpKind.CREATE, n, dataclasses.replace(ADA, given_name=f"Ada{n}"))
        for n in range(5)
    ]
    results = client.apply(ops)
    assert all(r.ok for r in results)
    assert operations(ews, "CreateItem") == 3
    updates = [
        ContactOp(ContactOpKind.UPDATE, 0, ADA, results[0].remote_id, fields=("job_title",)),
        ContactOp(ContactOpKind.UPDATE, 1, ADA, "bm8gc3VjaCBpdGVt", fields=("job_title",)),
    ]
    good, missing = client.apply(updates)
    assert good.ok and missing.gone and operations(ews, "UpdateItem") == 1


def test_a_create_whose_answer_was_lost_is_adopted_not_sent_again(ews, contacts):
    client = contacts()
    client.list_contacts()  # the folder exists
    ews.faults.add(lose_answer=True, times=1)  # the CreateItem is applied, its answer lost
    [result] = client.apply([ContactOp(ContactOpKind.CREATE, 7, ADA)])
    assert result.ok and result.remote_id
    assert len(client.list_contacts()) == 1


def test_changes_full_then_incremental_with_own_writes_unread(ews, contacts):
    client = contacts()
    [created] = client.apply([ContactOp(ContactOpKind.CREATE, 7, ADA)])
    first = client.list_changes("", {})
    assert first.full and [c.remote_id for c in first.changed] == [created.remote_id]
    assert first.changed[0].stamp == 7
    folder, acc = own_folder(ews)
    theirs = EwsContact(account=acc, folder=folder, display_name="Bob", surname="Bob")
    theirs.save()
    [item] = [i for i in folder.all() if i.id == created.remote_id]
    item.job_title = "Engineer"
    item.save(update_fields=["job_title"])
    second = client.list_changes(first.next_cursor, {})
    assert not second.full
    assert {c.remote_id: c.contact.job_title for c in second.changed} == {
        created.remote_id: "Engineer", theirs.id: "",
    }  # fmt: skip
    theirs_id = theirs.id
    theirs.delete()
    own = client.apply([ContactOp(ContactOpKind.UPDATE, 7, ADA, created.remote_id)])
    gets = operations(ews, "GetItem")
    third = client.list_changes(second.next_cursor, {created.remote_id: own[0].etag})
    assert third.removed == (theirs_id,)
    assert [(c.remote_id, c.contact) for c in third.changed] == [(created.remote_id, Contact())]
    assert operations(ews, "GetItem") == gets  # our own write is not read again


def test_a_refused_sync_state_lists_the_whole_folder(ews, contacts):
    client = contacts()
    client.apply([ContactOp(ContactOpKind.CREATE, 7, ADA)])
    first = client.list_changes("", {})
    changes = client.list_changes(first.next_cursor + "x", {})
    assert changes.full and len(changes.changed) == 1


def test_contact_traffic_follows_the_ews_schema(ews, contacts, schema):
    client = contacts()
    [created] = client.apply([ContactOp(ContactOpKind.CREATE, 7, ADA)])
    client.apply([ContactOp(ContactOpKind.UPDATE, 7, Contact(surname="X"), created.remote_id)])
    client.list_changes(client.list_changes("", {}).next_cursor, {})
    client.find_stamped(7)
    client.apply([ContactOp(ContactOpKind.DELETE, 7, remote_id=created.remote_id)])
    problems = schema_problems(ews, schema)
    assert not problems, "\n".join(problems[:5])
