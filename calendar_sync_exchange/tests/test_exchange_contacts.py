from exchangelib import Contact
from exchangelib.folders import Contacts
from exchangelib.indexed_properties import EmailAddress

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from calendar_sync_exchange.services.ews_contacts import register_contact_properties

from .common import ExchangeSyncCase, mailbox, operations

BOB = "bob@example.com"
WRITES = ("CreateItem", "UpdateItem", "DeleteItem")


@tagged("post_install", "-at_install")
class TestExchangeContacts(ExchangeSyncCase):
    """Partners a user owns or follows mirrored in an "Odoo" contacts folder of his Exchange
    mailbox, against the EWS emulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        register_contact_properties()
        cls.params = cls.env["ir.config_parameter"].sudo()
        cls.Links = cls.env["calendar.sync.contact.link"]
        cls.acme = cls.env["res.partner"].create({"name": "Acme", "is_company": True})
        cls.dr = cls.env["res.partner.title"].create({"name": "Doctor", "shortcut": "Dr."})

    def setUp(self):
        super().setUp()
        # The scheduled action syncs each mailbox through its own cursor.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)

    def partner(self, name="Ada King Lovelace", user=None, **vals):
        return self.env["res.partner"].create(
            {"name": name, "user_id": (user or self.user).id, "email": "ada@example.com", **vals}
        )

    def sync_contacts(self):
        self.Links._cron_sync_contacts("exchange")
        self.env.invalidate_all()  # the run wrote through its own cursors

    def odoo_folder(self, outlook=None):
        outlook = outlook or self.outlook
        return next((f for f in outlook.contacts.children if f.name == "Odoo"), None)

    def folder(self, outlook=None):
        """The contacts of the user's "Odoo" folder as Outlook reads them."""
        folder = self.odoo_folder(outlook)
        return sorted(folder.all(), key=lambda c: c.display_name) if folder else []

    def make_odoo_folder(self):
        """The "Odoo" folder, as if a previous sync (or the user) had made it."""
        folder = Contacts(parent=self.outlook.contacts, name="Odoo")
        folder.save()
        return folder

    def hand_made(self, folder, given, surname, email=None, **values):
        contact = Contact(
            account=self.outlook,
            folder=folder,
            display_name=f"{given} {surname}",
            given_name=given,
            surname=surname,
            email_addresses=[EmailAddress(email=email)] if email else None,
            **values,
        )
        contact.save()
        return contact

    def writes(self):
        return sum(len(operations(self.ews, name)) for name in WRITES)

    def errors(self, account=None):
        return self.env["calendar.sync.log"].search(
            [("account_id", "=", (account or self.account).id), ("operation", "=", "error")]
        )

    # ------------------------------------------------------------------ Odoo -> Exchange

    def test_partner_is_created_with_the_mapped_fields_then_updated_then_deleted(self):
        partner = self.partner(
            title=self.dr.id,
            parent_id=self.acme.id,
            function="Analyst",
            email="ada@example.com, ada@home.example",
            phone="+32 2 555 01 01",
            mobile="+32 470 55 01 01",
            comment="<p>Met at the <b>exhibition</b></p>",
            street="1 Main St",
            city="Brussels",
            zip="1000",
            country_id=self.env.ref("base.be").id,
        )
        self.env["res.partner"].create(
            {"name": "Dock", "type": "delivery", "parent_id": partner.id, "city": "Antwerp"}
        )
        self.sync_contacts()
        [remote] = self.folder()
        self.assertEqual(
            (remote.given_name, remote.middle_name, remote.surname, remote.company_name),
            ("Ada", "King", "Lovelace", "Acme"),
        )
        self.assertEqual(remote.job_title, "Analyst")
        self.assertEqual(
            [(e.label, e.email) for e in remote.email_addresses],
            [("EmailAddress1", "ada@example.com"), ("EmailAddress2", "ada@home.example")],
        )
        self.assertEqual(
            sorted((p.label, p.phone_number) for p in remote.phone_numbers),
            [("BusinessPhone", "+32 2 555 01 01"), ("MobilePhone", "+32 470 55 01 01")],
        )
        self.assertIn("Met at the *exhibition*", remote.body)
        addresses = {a.label: (a.street, a.city, a.country) for a in remote.physical_addresses}
        self.assertEqual(
            addresses,
            {"Business": ("1 Main St", "Brussels", "Belgium"), "Home": (None, "Antwerp", None)},
        )
        db_uuid = self.params.get_param("database.uuid")
        self.assertEqual(remote.calendar_sync_odoo_contact, f"{db_uuid}:{partner.id}")
        self.assertEqual(remote.calendar_sync_name_prefix, "Dr.")
        link = self.Links.search([("partner_id", "=", partner.id)])
        self.assertRecordValues(
            link, [{"remote_id": remote.id, "origin": "created", "etag": remote.changekey}]
        )
        self.assertEqual(list(self.outlook.contacts.all()), [])  # default folder untouched

        partner.write({"name": "Ada Lovelace", "function": False})
        self.sync_contacts()
        [remote] = self.folder()
        self.assertEqual((remote.middle_name, remote.job_title), (None, None))
        self.assertEqual(link.etag, remote.changekey)

        partner.active = False
        self.sync_contacts()
        self.assertEqual(self.folder(), [])
        self.assertFalse(self.Links.search([("account_id", "=", self.account.id)]))

    def test_first_sync_links_existing_contacts_on_oro_keys_and_re_runs_never_duplicate(self):
        folder = self.make_odoo_folder()
        same = self.hand_made(folder, "Ada", "Lovelace", "ada@example.com", nickname="Countess")
        self.hand_made(folder, "Ada", "Lovelace", "someone.else@example.com")
        partner = self.partner("Ada Lovelace", function="Analyst")
        self.sync_contacts()
        self.assertEqual(len(self.folder()), 2)  # linked, not duplicated
        link = self.Links.search([("partner_id", "=", partner.id)])
        self.assertRecordValues(link, [{"remote_id": same.id, "origin": "matched"}])
        same.refresh()
        self.assertEqual((same.job_title, same.nickname), ("Analyst", "Countess"))
        self.assertIsNone(same.calendar_sync_odoo_contact)  # matched: never stamped
        writes = self.writes()
        self.sync_contacts()
        self.sync_contacts()
        self.assertEqual(len(self.folder()), 2)
        self.assertEqual(self.writes(), writes)

    def test_a_create_whose_commit_was_lost_is_adopted(self):
        partner = self.partner("Ada Lovelace")
        self.sync_contacts()
        [created] = self.folder()
        self.Links.search([("partner_id", "=", partner.id)]).unlink()  # as if never committed
        self.sync_contacts()
        self.assertEqual([c.id for c in self.folder()], [created.id])
        link = self.Links.search([("partner_id", "=", partner.id)])
        self.assertRecordValues(link, [{"remote_id": created.id, "origin": "created"}])

    # ------------------------------------------------------------------ both ways

    def test_both_ways_an_exchange_edit_updates_the_partner_and_odoo_edits_merge(self):
        self.params.set_param("calendar_sync.contact_direction", "both")
        partner = self.partner("Ada Lovelace", function="Analyst", phone="+32 2 1")
        self.sync_contacts()
        [remote] = self.folder()
        remote.job_title = "Chief Analyst"
        remote.save(update_fields=["job_title"])
        partner.phone = "+32 2 2"
        self.sync_contacts()
        self.assertEqual(partner.function, "Chief Analyst")
        [remote] = self.folder()
        self.assertEqual(
            (remote.job_title, [p.phone_number for p in remote.phone_numbers]),
            ("Chief Analyst", ["+32 2 2"]),
        )
        writes, reads = self.writes(), len(operations(self.ews, "GetItem"))
        self.sync_contacts()  # nothing changed: one SyncFolderItems, nothing read or sent
        self.assertEqual(self.writes(), writes)
        self.assertEqual(len(operations(self.ews, "GetItem")), reads)

    def test_both_ways_a_contact_made_in_the_odoo_folder_becomes_the_users_partner(self):
        self.params.set_param("calendar_sync.contact_direction", "both")
        self.hand_made(self.make_odoo_folder(), "Grace", "Hopper", "grace@example.com")
        self.sync_contacts()
        partner = self.env["res.partner"].search([("email", "=", "grace@example.com")])
        self.assertRecordValues(partner, [{"name": "Grace Hopper", "user_id": self.user.id}])
        self.assertEqual(len(self.folder()), 1)

    # ------------------------------------------------------------------ Reset All, isolation

    def test_reset_all_deletes_only_the_contacts_this_database_created(self):
        self.partner("Ada Lovelace")
        self.partner("Bob Smith", email="bob@example.com")
        Contact(account=self.outlook, folder=self.outlook.contacts, display_name="Hand Made",
                surname="Made").save()  # fmt: skip
        folder = self.make_odoo_folder()
        self.hand_made(folder, "Bob", "Smith", "bob@example.com")
        other = self.hand_made(folder, "Other", "Database")
        other.calendar_sync_odoo_contact = "another-db:1"
        other.save(update_fields=["calendar_sync_odoo_contact"])
        self.sync_contacts()
        self.assertEqual(len(self.folder()), 3)  # Ada created, Bob matched, the other db's
        wizard = self.env["calendar.sync.console.reset.wizard"].create(
            {"provider": "exchange", "confirmation": "DELETE"}
        )
        report = wizard.action_reset_all()["params"]["message"]
        self.assertIn(f"{self.user.name}: 1 contacts deleted.", report)
        self.assertEqual(sorted(c.surname for c in self.folder()), ["Database", "Smith"])
        self.assertEqual([c.surname for c in self.outlook.contacts.all()], ["Made"])
        self.assertFalse(self.Links.search([("account_id", "=", self.account.id)]))

    def test_limit_stops_the_user_before_any_request_and_says_so_once(self):
        self.partner("Ada Lovelace")
        self.partner("Bob Smith")
        self.params.set_param("calendar_sync.max_contacts_per_user", 1)
        before = len(self.ews.requests)
        self.sync_contacts()
        self.sync_contacts()
        self.assertEqual(len(self.ews.requests), before, "not one request to Exchange")
        self.assertIsNone(self.odoo_folder())
        [error] = self.errors()
        self.assertIn("2 contacts to synchronize, over the maximum of 1 per user", error.message)
        self.assertEqual(error.area, "contacts")
        console = self.env["calendar.sync.console"].create({"provider": "exchange"})
        self.assertIn(error, console.error_log_ids)

    def test_one_failing_mailbox_does_not_stop_the_others(self):
        bob_user = new_test_user(self.env, login="bob_ews_contacts", email=BOB)
        bob = self.connect(bob_user)
        self.partner("Bob Customer", user=bob_user)
        self.partner("Ada Lovelace")
        # Alice's mailbox, synced first, is gone from Exchange; Bob's is not stopped.
        self.assertLess(self.account.id, bob.id)
        del self.ews.store.mailboxes[self.email]
        with mute_logger("odoo.addons.calendar_sync_base.models.calendar_sync_contact_link"):
            self.sync_contacts()
        self.assertEqual([c.surname for c in self.folder(mailbox(self.ews, BOB))], ["Customer"])
        [error] = self.errors()
        self.assertIn("not set up correctly", error.message)
        self.assertFalse(self.errors(bob))

    # ------------------------------------------------------------------ console

    def test_console_sync_contacts_now_queues_one_run(self):
        cron = self.env.ref("calendar_sync_exchange.calendar_sync_exchange_cron_sync_contacts")
        self.assertEqual(cron.name, "Exchange Server: synchronize contacts")
        triggers = self.env["ir.cron.trigger"]
        triggers.search([("cron_id", "=", cron.id)]).unlink()
        console = self.env["calendar.sync.console"].create({"provider": "exchange"})
        self.assertTrue(console.syncs_contacts)
        first = console.action_sync_contacts_now()["params"]
        second = console.action_sync_contacts_now()["params"]
        self.assertEqual((first["type"], second["type"]), ("success", "success"))
        self.assertIn("already queued", second["message"])
        self.assertEqual(triggers.search_count([("cron_id", "=", cron.id)]), 1)
