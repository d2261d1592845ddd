from odoo.tests import new_test_user, tagged

from odoo.addons.calendar_sync_base.tests.contract_console import OTHER_EMAIL

from .test_microsoft_contacts import MicrosoftContactsCase

DELTA = r"/contacts/delta"


@tagged("post_install", "-at_install")
class TestMicrosoftContactsBothWays(MicrosoftContactsCase):
    """Contacts both ways: the "Odoo" folder's edits, deletions and new contacts come back,
    read through Graph's contacts delta."""

    def setUp(self):
        super().setUp()
        self.params.set_param("calendar_sync.contact_direction", "both")

    def synced(self, name="Ada Lovelace", **vals):
        partner = self.partner(name, **vals)
        self.sync_contacts()
        [contact] = [c for c in self.folder() if c["displayName"].endswith(name)]
        return partner, contact

    def contact_writes(self):
        """Contacts created, updated or deleted so far (the parts of Graph's $batch)."""
        return sum(
            request.method != "GET" and "/contact" in request.path
            for request in self.microsoft.requests
        )

    def link(self, partner):
        return self.Links.search([("partner_id", "=", partner.id)])

    def test_an_outlook_edit_updates_the_partner_and_sends_nothing_back(self):
        partner, contact = self.synced(function="Analyst")
        self.microsoft.edit_contact(
            self.email, contact["id"], {"jobTitle": "Chief Analyst", "mobilePhone": "+32 470"}
        )
        writes = self.contact_writes()
        self.sync_contacts()
        self.assertRecordValues(partner, [{"function": "Chief Analyst", "mobile": "+32 470"}])
        self.assertEqual(self.contact_writes(), writes)
        # The next run reads one delta page and sends nothing.
        before = len(self.microsoft.requests)
        self.sync_contacts()
        self.assertEqual(
            [r.path for r in self.microsoft.requests[before:]],
            [self.microsoft.requests[-1].path],
        )
        self.assertRegex(self.microsoft.requests[-1].path, DELTA)

    def test_edits_on_both_sides_merge_field_by_field(self):
        partner, contact = self.synced(function="Analyst", phone="+32 2 1")
        self.microsoft.edit_contact(self.email, contact["id"], {"jobTitle": "Chief Analyst"})
        partner.phone = "+32 2 2"
        self.sync_contacts()
        self.assertEqual(partner.function, "Chief Analyst")
        [contact] = self.folder()
        self.assertEqual((contact["jobTitle"], contact["businessPhones"]),
                         ("Chief Analyst", ["+32 2 2"]))  # fmt: skip

    def test_a_conflict_follows_the_conflict_policy(self):
        for policy, expected in (("odoo", "Odoo title"), ("remote", "Outlook title")):
            with self.subTest(policy=policy):
                self.params.set_param("calendar_sync.conflict_policy", policy)
                partner, contact = self.synced(f"Ada {policy.title()}", function="Analyst")
                self.microsoft.edit_contact(
                    self.email, contact["id"], {"jobTitle": "Outlook title"}
                )
                partner.function = "Odoo title"
                self.sync_contacts()
                self.assertEqual(partner.function, expected)
                [contact] = [c for c in self.folder() if c["id"] == contact["id"]]
                self.assertEqual(contact["jobTitle"], expected)

    def test_what_odoo_does_not_hold_stays_as_typed_in_outlook(self):
        partner, contact = self.synced()
        home = {"street": "3 Dock", "city": "Antwerp"}
        self.microsoft.edit_contact(self.email, contact["id"], {"homeAddress": home})
        self.sync_contacts()
        partner.function = "Analyst"  # an Odoo change: only its member is sent
        self.sync_contacts()
        [contact] = self.folder()
        self.assertEqual(contact["jobTitle"], "Analyst")
        self.assertEqual(
            (contact["homeAddress"]["street"], contact["homeAddress"]["city"]),
            ("3 Dock", "Antwerp"),
        )

    def test_an_outlook_deletion_unlinks_and_keeps_the_partner_until_it_changes(self):
        partner, contact = self.synced()
        self.microsoft.remove_contact(self.email, contact["id"])
        self.sync_contacts()
        self.assertTrue(partner.active)
        self.assertRecordValues(self.link(partner), [{"remote_id": False}])
        self.sync_contacts()
        self.assertEqual(self.folder(), [], "not sent again while the partner is unchanged")
        partner.function = "Analyst"
        self.sync_contacts()
        [contact] = self.folder()
        self.assertEqual(contact["jobTitle"], "Analyst")
        self.assertEqual(self.link(partner).remote_id, contact["id"])

    def test_a_contact_made_in_the_odoo_folder_becomes_the_users_partner(self):
        self.sync_contacts()  # the folder exists; the first full listing is done
        made = self.microsoft.insert_contact(
            self.email,
            {"givenName": "Grace", "surname": "Hopper", "jobTitle": "Admiral",
             "emailAddresses": [{"name": "Grace", "address": "grace@example.com"}]},
            "Odoo",
        )  # fmt: skip
        writes = self.contact_writes()
        self.sync_contacts()
        partner = self.env["res.partner"].search([("email", "=", "grace@example.com")])
        self.assertRecordValues(
            partner, [{"name": "Grace Hopper", "function": "Admiral", "user_id": self.user.id}]
        )
        self.assertRecordValues(
            self.link(partner), [{"remote_id": made["id"], "origin": "imported"}]
        )
        self.assertEqual(self.contact_writes(), writes)
        self.sync_contacts()
        self.assertEqual(len(self.folder()), 1, "never duplicated")
        self.assertEqual(self.stamp(self.folder()[0]), None, "the user's contact, not stamped")

    def test_a_contact_outside_the_settings_filter_is_not_imported(self):
        self.params.set_param("calendar_sync.contact_domain", "[('function', '=', 'Buyer')]")
        self.sync_contacts()
        self.microsoft.insert_contact(
            self.email, {"givenName": "Grace", "surname": "Hopper"}, "Odoo"
        )
        self.sync_contacts()
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Grace Hopper")]))
        self.assertEqual(len(self.folder()), 1, "left alone in Outlook")

    def test_an_expired_delta_token_lists_the_folder_again_without_duplicates(self):
        partner, contact = self.synced()
        self.microsoft.expire_delta_tokens(self.email)
        self.microsoft.edit_contact(self.email, contact["id"], {"jobTitle": "Analyst"})
        self.sync_contacts()
        self.assertEqual(partner.function, "Analyst")
        self.assertEqual(len(self.folder()), 1)
        self.assertEqual(self.Links.search_count([("account_id", "=", self.account.id)]), 1)


@tagged("post_install", "-at_install")
class TestMicrosoftContactsRefusalsAndLimits(MicrosoftContactsCase):
    """A refused contact is not sent again every hour; limits are said once; the run keeps
    within its time budget."""

    def test_a_refused_contact_is_not_retried_until_the_partner_changes(self):
        refusal = self.microsoft.faults.add(
            status=400, method="POST", path_regex=r"/contactFolders/[^/]+/contacts$", times=None
        )
        partner = self.partner("Ada Lovelace")
        self.sync_contacts()
        self.assertIn("refused", self.errors().message)
        self.assertTrue(self.Links.search([("partner_id", "=", partner.id)]).error)
        tries = self.microsoft.requests.count(path_regex=r"/\$batch$")
        self.sync_contacts()
        self.assertEqual(self.microsoft.requests.count(path_regex=r"/\$batch$"), tries)
        self.assertEqual(len(self.errors()), 1)
        self.microsoft.faults.remove(refusal)
        partner.function = "Analyst"
        self.sync_contacts()
        [contact] = self.folder()
        link = self.Links.search([("partner_id", "=", partner.id)])
        self.assertRecordValues(link, [{"remote_id": contact["id"], "error": False}])

    def test_the_limit_message_is_written_once_per_state_change(self):
        self.partner("Ada Lovelace")
        self.partner("Bob Smith")
        self.params.set_param("calendar_sync.max_contacts_per_user", 1)
        self.sync_contacts()
        self.sync_contacts()
        self.assertEqual(len(self.errors()), 1)
        self.params.set_param("calendar_sync.max_contacts_per_user", 2)
        self.sync_contacts()
        self.assertEqual(len(self.folder()), 2)
        self.params.set_param("calendar_sync.max_contacts_per_user", 1)
        self.sync_contacts()
        self.assertEqual(len(self.errors()), 2, "over the limit again: said again")

    def test_the_run_keeps_within_its_time_budget_and_continues_later(self):
        bob_user = new_test_user(self.env, login="bob_budget", email=OTHER_EMAIL)
        self.microsoft.add_account(OTHER_EMAIL, "Bob")
        bob = self.connect(bob_user, login_hint=OTHER_EMAIL)
        self.env["res.partner"].create({"name": "Bob Customer", "user_id": bob_user.id})
        self.partner("Ada Lovelace")
        # No account's share fits after the first one: the second waits for a run of its own.
        self.params.set_param("calendar_sync.cron_time_budget", "1")
        self.params.set_param("calendar_sync.account_time_budget", "1")
        cron = self.env.ref("calendar_sync_microsoft.calendar_sync_microsoft_cron_sync_contacts")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.Links.with_context(cron_id=cron.id)._cron_sync_contacts("microsoft")
        self.env.invalidate_all()
        self.assertEqual(len(self.folder()) + len(self.folder(OTHER_EMAIL)), 1)
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers
        )
        # The next run takes the one not reached first.
        self.Links.with_context(cron_id=cron.id)._cron_sync_contacts("microsoft")
        self.env.invalidate_all()
        self.assertEqual(len(self.folder()), 1)
        self.assertEqual(len(self.folder(OTHER_EMAIL)), 1)
        self.assertTrue(bob.contact_last_attempt_date)
