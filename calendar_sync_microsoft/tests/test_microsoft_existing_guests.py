from odoo.tests import new_test_user, tagged

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftExistingGuests(MicrosoftSyncCase):
    """Graph e-mails the guests of every event created with guests: a first sync or a reset
    pushes existing events with guests only as the user chose."""

    def setUp(self):
        super().setUp()
        bob = self.env["res.partner"].create({"name": "Bob", "email": "bob@example.org"})
        self.meeting = self.odoo_event(
            "With Bob", partner_ids=[(6, 0, [self.user.partner_id.id, bob.id])]
        )
        self.alone = self.odoo_event("Alone", hours_from_now=72)
        self.microsoft.requests.clear()

    def invitations(self):
        """Events created on Graph with attendees: Outlook e-mails each of them."""
        return [
            part.json()["subject"]
            for part in self.microsoft.requests
            if part.method == "POST"
            and part.path.endswith("/me/events")
            and (part.json() or {}).get("attendees")
        ]

    def remote_attendees(self, event):
        remote = self.microsoft.get_event(self.email, event.sudo().sync_link_ids.remote_id)
        return [a["emailAddress"]["address"] for a in remote["attendees"]]

    def test_without_guests_pushes_the_event_and_keeps_the_guests_in_odoo(self):
        self.assertEqual(self.account.existing_guests_policy, "without_guests", "the default")
        self.sync()
        self.assertEqual(self.invitations(), [])
        self.assertEqual(self.remote_attendees(self.meeting), [])
        self.meeting.with_user(self.user).write({"name": "With Bob (moved)"})
        self.sync()
        self.sync()
        self.assertEqual(self.remote_title(self.meeting.sudo().sync_link_ids.remote_id),
                         "With Bob (moved)")  # fmt: skip
        self.assertEqual(self.invitations(), [], "later edits do not invite either")
        self.assertIn("bob@example.org", self.meeting.partner_ids.mapped("email"))

    def test_hold_keeps_events_with_guests_back_until_they_change(self):
        self.account.existing_guests_policy = "hold"
        self.sync()
        self.assertFalse(self.meeting.sudo().sync_link_ids)
        self.assertTrue(self.alone.sudo().sync_link_ids.remote_id)
        self.assertEqual(self.invitations(), [])
        self.meeting.with_user(self.user).write({"name": "With Bob (confirmed)"})
        self.sync()
        self.assertEqual(self.invitations(), ["With Bob (confirmed)"])
        self.assertEqual(self.remote_attendees(self.meeting), ["bob@example.org"])

    def test_with_guests_invites_them(self):
        self.account.with_user(self.user).write({"existing_guests_policy": "with_guests"})
        self.sync()
        self.assertEqual(self.invitations(), ["With Bob"])
        self.assertEqual(self.remote_attendees(self.meeting), ["bob@example.org"])

    def test_reset_asks_again(self):
        self.sync()
        wizard = (
            self.env["calendar.sync.reset.wizard"]
            .with_user(self.user)
            .create(
                {
                    "account_id": self.account.id,
                    "delete_policy": "delete_remote",
                    "sync_policy": "all",
                    "existing_guests_policy": "hold",
                }
            )
        )
        self.assertTrue(wizard.asks_existing_guests)
        wizard.action_reset()
        self.assertEqual(self.account.existing_guests_policy, "hold")
        self.account = self.connect(self.user)
        self.microsoft.requests.clear()
        self.sync()
        self.assertFalse(self.meeting.sudo().sync_link_ids)
        self.assertEqual(self.invitations(), [])

    def test_connect_button_asks_first_and_remembers_the_choice(self):
        newcomer = new_test_user(
            self.env, login="newcomer_ms", email="newcomer@example.com", groups="base.group_user"
        )
        accounts = self.env["calendar.sync.account"].with_user(newcomer)
        question = accounts.action_sync_button("microsoft")
        self.assertEqual(question["status"], "choose_existing_guests")
        self.assertEqual(
            [choice["value"] for choice in question["choices"]],
            ["with_guests", "without_guests", "hold"],
        )
        answer = accounts.action_sync_button("microsoft", "hold")
        self.assertEqual(answer["status"], "redirect")
        account = accounts.search([("provider", "=", "microsoft")])
        self.assertEqual((account.state, account.existing_guests_policy), ("disconnected", "hold"))
        self.assertEqual(accounts.action_sync_button("microsoft")["status"], "redirect")
