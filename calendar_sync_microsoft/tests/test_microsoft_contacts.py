from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.contract_console import OTHER_EMAIL

from calendar_sync_microsoft.services.graph_contacts import (
    BUSINESS_FAX_PROPERTY,
    ODOO_CONTACT_PROPERTY,
)

from .common import MicrosoftSyncCase

CONTACT_WRITES = r"/v1\.0/(\$batch|me/contactFolders.*)$"


class MicrosoftContactsCase(MicrosoftSyncCase):
    """Partners a user owns or follows mirrored in an "Odoo" contact folder of his Outlook,
    against the Graph emulator: the fixtures and helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.params = cls.env["ir.config_parameter"].sudo()
        cls.Links = cls.env["calendar.sync.contact.link"]
        cls.acme = cls.env["res.partner"].create({"name": "Acme", "is_company": True})
        cls.mr = cls.env["res.partner.title"].create({"name": "Doctor", "shortcut": "Dr."})

    def setUp(self):
        super().setUp()
        # The scheduled action syncs each mailbox through its own cursor.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)

    def partner(self, name="Ada King Lovelace", **vals):
        return self.env["res.partner"].create(
            {"name": name, "user_id": self.user.id, "email": "ada@example.com", **vals}
        )

    def sync_contacts(self):
        self.Links._cron_sync_contacts("microsoft")
        self.env.invalidate_all()  # the run wrote through its own cursors

    def folder(self, email=None):
        return self.microsoft.contacts(email or self.email, "Odoo")

    def stamp(self, contact):
        values = {p["id"]: p["value"] for p in contact.get("singleValueExtendedProperties", [])}
        return values.get(ODOO_CONTACT_PROPERTY)

    def errors(self, account=None):
        return self.env["calendar.sync.log"].search(
            [("account_id", "=", (account or self.account).id), ("operation", "=", "error")]
        )


@tagged("post_install", "-at_install")
class TestMicrosoftContacts(MicrosoftContactsCase):
    """Odoo -> Outlook (the default direction)."""

    # ------------------------------------------------------------------ create / update / delete

    def test_partner_is_created_with_the_mapped_fields_then_updated(self):
        partner = self.partner(
            title=self.mr.id,
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
            (remote["givenName"], remote["middleName"], remote["surname"], remote["title"]),
            ("Ada", "King", "Lovelace", "Dr."),
        )
        self.assertEqual(remote["companyName"], "Acme")
        self.assertEqual(remote["jobTitle"], "Analyst")
        self.assertEqual(
            [e["address"] for e in remote["emailAddresses"]],
            ["ada@example.com", "ada@home.example"],
        )
        self.assertEqual(remote["businessPhones"], ["+32 2 555 01 01"])
        self.assertEqual(remote["mobilePhone"], "+32 470 55 01 01")
        self.assertIn("Met at the *exhibition*", remote["personalNotes"])
        self.assertEqual(remote["businessAddress"]["city"], "Brussels")
        self.assertEqual(remote["businessAddress"]["countryOrRegion"], "Belgium")
        self.assertEqual(remote["homeAddress"]["city"], "Antwerp")
        db_uuid = self.params.get_param("database.uuid")
        self.assertEqual(self.stamp(remote), f"{db_uuid}:{partner.id}")
        link = self.Links.search([("partner_id", "=", partner.id)])
        self.assertRecordValues(link, [{"remote_id": remote["id"], "origin": "created"}])
        self.assertEqual(self.microsoft.contacts(self.email), [])  # default folder untouched

        partner.write({"name": "Ada Lovelace", "function": False})
        self.sync_contacts()
        [remote] = self.folder()
        self.assertEqual((remote["middleName"], remote["jobTitle"]), ("", ""))
        self.assertEqual(link.etag, remote["changeKey"])

    def test_company_is_a_company_contact(self):
        self.acme.user_id = self.user
        self.sync_contacts()
        [remote] = self.folder()
        self.assertEqual((remote["companyName"], remote["displayName"]), ("Acme", "Acme"))
        self.assertEqual((remote["givenName"], remote["surname"]), ("", ""))
        self.acme.user_id = False

    def test_archived_deleted_or_no_longer_mine_partners_are_deleted(self):
        archived, deleted, given_away = (self.partner(f"P{n} Person") for n in range(3))
        followed = self.env["res.partner"].create({"name": "Followed Person"})
        followed.message_subscribe(partner_ids=self.user.partner_id.ids)
        self.sync_contacts()
        self.assertEqual(len(self.folder()), 4)
        archived.active = False
        deleted.unlink()
        # Given to another salesperson: Odoo made the user a follower when he was assigned.
        given_away.user_id = False
        self.assertIn(self.user.partner_id, given_away.message_partner_ids)
        given_away.message_unsubscribe(partner_ids=self.user.partner_id.ids)
        followed.message_unsubscribe(partner_ids=self.user.partner_id.ids)
        self.sync_contacts()
        self.assertEqual(self.folder(), [])
        self.assertFalse(self.Links.search([("account_id", "=", self.account.id)]))
        archived.active = True
        self.sync_contacts()
        self.assertEqual([c["surname"] for c in self.folder()], ["Person"])

    def test_domain_filter_in_settings(self):
        self.partner("Ada Lovelace", city="Brussels")
        self.partner("Bob Smith", city="Paris")
        self.params.set_param("calendar_sync.contact_domain", "[('city', '=', 'Paris')]")
        self.sync_contacts()
        self.assertEqual([c["surname"] for c in self.folder()], ["Smith"])

    # ------------------------------------------------------------------ matching, no duplicates

    def test_first_sync_links_existing_contacts_on_oro_keys(self):
        ada = self.partner("Ada Lovelace", email="ada@example.com")
        bob = self.partner("Bob Smith", email="bob@example.com")
        hand_made = self.microsoft.insert_contact(
            self.email,
            {
                "givenName": "ada",
                "surname": "Lovelace",
                "emailAddresses": [{"address": "ADA@example.com"}],
            },
            "Odoo",
        )
        namesake = self.microsoft.insert_contact(
            self.email,
            {
                "givenName": "Bob",
                "surname": "Smith",
                "emailAddresses": [{"address": "another.bob@example.com"}],
            },
            "Odoo",
        )
        self.sync_contacts()
        ada_link = self.Links.search([("partner_id", "=", ada.id)])
        self.assertRecordValues(ada_link, [{"remote_id": hand_made["id"], "origin": "matched"}])
        bob_link = self.Links.search([("partner_id", "=", bob.id)])
        self.assertNotIn(bob_link.remote_id, (hand_made["id"], namesake["id"]))
        remote = {c["id"]: c for c in self.folder()}
        self.assertEqual(len(remote), 3)  # Ada linked, not duplicated; Bob's namesake kept
        self.assertEqual(remote[hand_made["id"]]["givenName"], "Ada")  # Odoo's data written
        self.assertIsNone(self.stamp(remote[hand_made["id"]]))  # never stamped
        self.assertIsNotNone(self.stamp(remote[bob_link.remote_id]))

    def test_re_runs_never_duplicate_and_an_idle_run_sends_nothing(self):
        self.partner("Ada Lovelace")
        self.sync_contacts()
        before = len(self.microsoft.requests)
        self.sync_contacts()
        self.sync_contacts()
        self.assertEqual(len(self.folder()), 1)
        self.assertEqual(len(self.microsoft.requests), before)

    def test_a_create_whose_commit_was_lost_is_adopted(self):
        partner = self.partner("Ada Lovelace")
        self.sync_contacts()
        [created] = self.folder()
        self.Links.search([("partner_id", "=", partner.id)]).unlink()  # as if never committed
        self.sync_contacts()
        self.assertEqual([c["id"] for c in self.folder()], [created["id"]])
        link = self.Links.search([("partner_id", "=", partner.id)])
        self.assertRecordValues(link, [{"remote_id": created["id"], "origin": "created"}])

    def test_a_contact_deleted_in_outlook_comes_back_when_the_partner_changes(self):
        partner = self.partner("Ada Lovelace")
        self.sync_contacts()
        self.microsoft.outlook_store(self.email).contacts.clear()
        partner.function = "Analyst"
        self.sync_contacts()  # the update finds it gone: the link goes
        self.sync_contacts()  # and the contact is created again
        self.assertEqual([c["jobTitle"] for c in self.folder()], ["Analyst"])

    # ------------------------------------------------------------------ limits and isolation

    def test_limit_stops_the_user_before_any_request(self):
        self.partner("Ada Lovelace")
        self.partner("Bob Smith")
        self.params.set_param("calendar_sync.max_contacts_per_user", 1)
        before = self.microsoft.requests.count(path_regex=CONTACT_WRITES)
        self.sync_contacts()
        self.assertEqual(self.folder(), [])
        self.assertEqual(self.microsoft.requests.count(path_regex=CONTACT_WRITES), before)
        [error] = self.errors()
        self.assertIn("2 contacts to synchronize, over the maximum of 1 per user", error.message)
        self.assertEqual(error.area, "contacts")
        console = self.env["calendar.sync.console"].create({"provider": "microsoft"})
        self.assertIn(error, console.error_log_ids)

    def test_one_failing_mailbox_does_not_stop_the_others(self):
        bob_user = new_test_user(self.env, login="bob_contacts", email=OTHER_EMAIL)
        self.microsoft.add_account(OTHER_EMAIL, "Bob")
        bob = self.connect(bob_user, login_hint=OTHER_EMAIL)
        self.env["res.partner"].create({"name": "Bob Customer", "user_id": bob_user.id})
        self.partner("Ada Lovelace")
        # Alice's mailbox, synced first, fails (revoked grant); Bob's is not stopped.
        self.assertLess(self.account.id, bob.id)
        self.revoke_grant()
        with mute_logger("odoo.addons.calendar_sync_base.models.calendar_sync_contact_link"):
            self.sync_contacts()
        self.assertEqual([c["surname"] for c in self.folder(OTHER_EMAIL)], ["Customer"])
        self.assertEqual(self.folder(), [])
        [error] = self.errors()
        self.assertIn("reconnect", error.message)
        self.assertFalse(self.errors(bob))

    def test_contact_sync_off_sends_nothing_and_drops_the_scope(self):
        Accounts = self.env["calendar.sync.account"]
        self.assertIn("Contacts.ReadWrite", Accounts._microsoft_scopes())
        self.params.set_param("calendar_sync.contact_direction", "off")
        self.assertNotIn("Contacts.ReadWrite", Accounts._microsoft_scopes())
        self.partner("Ada Lovelace")
        self.sync_contacts()
        self.assertEqual(self.folder(), [])

    # ------------------------------------------------------------------ console

    def console(self):
        return self.env["calendar.sync.console"].create({"provider": "microsoft"})

    def test_console_sync_contacts_now_queues_one_run(self):
        cron = self.env.ref("calendar_sync_microsoft.calendar_sync_microsoft_cron_sync_contacts")
        triggers = self.env["ir.cron.trigger"]
        triggers.search([("cron_id", "=", cron.id)]).unlink()
        first = self.console().action_sync_contacts_now()["params"]
        second = self.console().action_sync_contacts_now()["params"]
        self.assertEqual((first["type"], second["type"]), ("success", "success"))
        self.assertIn("already queued", second["message"])
        self.assertEqual(triggers.search_count([("cron_id", "=", cron.id)]), 1)

    def test_console_sync_e_mail_now_queues_one_run_and_says_when_it_cannot(self):
        cron = self.env.ref("calendar_sync_microsoft.calendar_sync_microsoft_cron_copy_sent_mails")
        triggers = self.env["ir.cron.trigger"]
        triggers.search([("cron_id", "=", cron.id)]).unlink()
        self.console().action_sync_mail_now()
        self.console().action_sync_mail_now()
        self.assertEqual(triggers.search_count([("cron_id", "=", cron.id)]), 1)
        cron.active = False
        params = self.console().action_sync_mail_now()["params"]
        self.assertEqual(params["type"], "warning")
        self.params.set_param("calendar_sync_microsoft.paused", "True")
        params = self.console().action_sync_contacts_now()["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("paused", params["message"])

    def test_console_details_count_contacts_and_last_sync(self):
        self.partner("Ada Lovelace")
        self.partner("Bob Smith")
        console = self.console()
        self.assertTrue(console.syncs_contacts and console.copies_mail)
        self.assertEqual(console.contact_count, 0)
        self.sync_contacts()
        console = self.console()
        self.assertEqual(console.contact_count, 2)
        self.assertTrue(console.last_contact_sync_date)

    def test_reset_all_deletes_only_the_contacts_this_database_created(self):
        self.partner("Ada Lovelace")
        self.partner("Bob Smith", email="bob@example.com")
        self.microsoft.insert_contact(self.email, {"givenName": "Hand", "surname": "Made"})
        self.microsoft.insert_contact(self.email, {"givenName": "Bob", "surname": "Smith"}, "Odoo")
        self.microsoft.insert_contact(
            self.email,
            {
                "givenName": "Other",
                "surname": "Database",
                "singleValueExtendedProperties": [
                    {"id": ODOO_CONTACT_PROPERTY, "value": "another-db:1"},
                    {"id": BUSINESS_FAX_PROPERTY, "value": ""},
                ],
            },
            "Odoo",
        )
        self.sync_contacts()
        self.assertEqual(len(self.folder()), 3)  # Ada created, Bob matched, the other db's
        wizard = self.env["calendar.sync.console.reset.wizard"].create(
            {"provider": "microsoft", "confirmation": "DELETE"}
        )
        self.assertEqual(wizard.contact_link_count, 2)
        report = wizard.action_reset_all()["params"]["message"]
        self.assertIn(f"{self.user.name}: 1 contacts deleted.", report)
        self.assertEqual(
            sorted(c["surname"] for c in self.folder()), ["Database", "Smith"]
        )  # matched and another database's stay
        self.assertEqual([c["surname"] for c in self.microsoft.contacts(self.email)], ["Made"])
        self.assertFalse(self.Links.search([("account_id", "=", self.account.id)]))
        again = self.env["calendar.sync.console.reset.wizard"].create(
            {"provider": "microsoft", "confirmation": "DELETE"}
        )
        self.assertIn("0 contacts deleted", again.action_reset_all()["params"]["message"])
