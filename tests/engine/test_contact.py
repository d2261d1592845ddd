"""The neutral contact: OroCRM's field map helpers, first-sync matching and the plan."""

from __future__ import annotations

import datetime as dt

import pytest

from calendar_sync_base.services.contact import (
    Address,
    Contact,
    ContactOpKind,
    DatabaseStamp,
    LinkOrigin,
    LinkState,
    RemoteContact,
    address_slots,
    contact_emails,
    needs_listing,
    plan_contacts,
    same_person,
    split_person_name,
)

ADA = Contact(given_name="Ada", surname="Lovelace", emails=("ada@example.com",))


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Ada Lovelace", ("Ada", "", "Lovelace", "")),
        ("Ada King Byron Lovelace", ("Ada", "King Byron", "Lovelace", "")),
        ("Martin Luther King Jr.", ("Martin", "Luther", "King", "Jr.")),
        ("Henry Ford, III", ("Henry", "", "Ford", "III")),
        ("Plato", ("", "", "Plato", "")),
        ("  ", ("", "", "", "")),
        ("Ada Jr", ("Ada", "", "Jr", "")),  # two words: a surname, not a suffix
    ],
)
def test_split_person_name(name, parts):
    assert split_person_name(name) == parts


def test_address_slots_by_type_own_address_first():
    own = Address(street="1 Main St", city="Brussels")
    invoice = Address(street="2 Billing Rd")
    delivery = Address(street="3 Dock")
    other = Address(city="Ghent")
    slots = address_slots(
        "contact",
        own,
        [("invoice", invoice), ("delivery", delivery), ("other", other), ("delivery", invoice)],
    )
    assert slots == (("business", own), ("home", delivery), ("other", other))
    # Without an address of its own, the invoice address is the business one.
    assert address_slots("contact", Address(), [("invoice", invoice)]) == (("business", invoice),)
    # A delivery partner's own address is a home address; unknown types and empty ones skipped.
    assert address_slots("delivery", delivery, [("private", own), ("other", Address())]) == (
        ("home", delivery),
    )


def test_contact_emails_once_each_in_order():
    assert contact_emails(["a@x.com", "", " B@x.com", "A@X.com"]) == ("a@x.com", "B@x.com")


def test_contact_json_round_trip():
    contact = Contact(
        given_name="Ada",
        surname="Lovelace",
        emails=("ada@example.com", "ada@home.example"),
        business_phones=("+32 2 555 01 01",),
        birthday=dt.date(1815, 12, 10),
        addresses=(("business", Address(street="1 Main St")), ("other", Address(city="Ghent"))),
    )
    assert Contact.from_json(contact.to_json()) == contact
    assert Contact.from_json({**contact.to_json(), "unknown": 1}) == contact


@pytest.mark.parametrize(
    ("theirs", "same"),
    [
        (Contact(given_name="ada", surname="LOVELACE ", emails=("Ada@Example.com",)), True),
        (Contact(given_name="Ada", surname="Lovelace"), True),  # no e-mail there: names decide
        (Contact(given_name="Ada", surname="Lovelace", emails=("other@example.com",)), False),
        (Contact(given_name="Ada", surname="Byron", emails=("ada@example.com",)), False),
        (Contact(given_name="Augusta", surname="Lovelace"), False),
    ],
)
def test_same_person_on_oro_keys(theirs, same):
    assert same_person(ADA, theirs) is same


def test_companies_match_on_their_name_and_nameless_never_match():
    odoo = Contact(is_company=True, company_name="Acme")
    assert same_person(odoo, Contact(company_name="ACME"))
    assert not same_person(odoo, Contact(given_name="Acme", surname="Corp"))
    assert not same_person(Contact(), Contact())


def test_plan_creates_updates_and_deletes():
    changed = Contact(given_name="Ada", surname="Lovelace", job_title="Analyst")
    links = {
        1: LinkState("r1", snapshot=ADA),  # unchanged: nothing
        2: LinkState("r2", snapshot=ADA),  # changed
        3: LinkState("r3", snapshot=ADA, origin=LinkOrigin.MATCHED),  # no longer wanted
    }
    ops = plan_contacts({1: ADA, 2: changed, 4: ADA}, links)
    assert [(op.kind, op.key, op.remote_id) for op in ops] == [
        (ContactOpKind.UPDATE, 2, "r2"),
        (ContactOpKind.CREATE, 4, ""),
        (ContactOpKind.DELETE, 3, "r3"),
    ]
    assert ops[0].contact == changed and ops[2].origin == LinkOrigin.MATCHED


def test_plan_matches_existing_contacts_once_and_never_linked_ones():
    twin = Contact(given_name="Ada", surname="Lovelace")
    remote = [
        RemoteContact("linked", contact=ADA),  # already linked to partner 9
        RemoteContact("hand-made", contact=ADA),
        RemoteContact("stranger", contact=Contact(given_name="Bob", surname="Smith")),
    ]
    ops = plan_contacts({1: ADA, 2: twin, 9: ADA}, {9: LinkState("linked", ADA)}, remote)
    assert [(op.kind, op.key, op.remote_id, op.origin) for op in ops] == [
        (ContactOpKind.UPDATE, 1, "hand-made", LinkOrigin.MATCHED),
        (ContactOpKind.CREATE, 2, "", LinkOrigin.CREATED),  # the candidate is taken
    ]


def test_plan_adopts_a_create_whose_answer_was_lost():
    remote = [
        RemoteContact("lost", contact=ADA, stamp=1),
        RemoteContact("hand-made", contact=ADA),
    ]
    [op] = plan_contacts({1: ADA}, {}, remote)
    assert (op.kind, op.remote_id, op.origin) == (
        ContactOpKind.UPDATE,
        "lost",
        LinkOrigin.CREATED,
    )


def test_listing_needed_only_to_create():
    assert not needs_listing({1: ADA}, {1: LinkState("r1", ADA)})
    assert needs_listing({1: ADA, 2: ADA}, {1: LinkState("r1", ADA)})
    assert not needs_listing({}, {1: LinkState("r1", ADA)})


def test_a_stamp_names_a_partner_of_this_database_only():
    stamps = DatabaseStamp("db-1")
    assert stamps.key_of(stamps.of(42)) == 42
    assert stamps.key_of("db-2:42") is None  # another database's contact
    assert stamps.key_of("db-1:") is None
    assert stamps.key_of("db-1:4x") is None
    assert stamps.key_of(None) is None
