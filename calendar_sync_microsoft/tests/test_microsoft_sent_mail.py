import base64
import datetime as dt

from odoo import fields
from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.sent_mail_cases import SentMailCaseMixin

from calendar_sync_base.services.sent_mail import MAX_ATTACHMENTS_BYTES
from calendar_sync_microsoft.services.graph_sent_items import ODOO_MESSAGE_PROPERTY

from .common import MicrosoftSyncCase

SENT_ITEMS = r"/v1\.0/me/mailFolders/sentitems/messages$"


@tagged("post_install", "-at_install")
class TestMicrosoftSentMail(SentMailCaseMixin, MicrosoftSyncCase):
    """E-mails sent from Odoo saved once, as sent items, in the author's Outlook."""

    provider = "microsoft"

    def sent_items(self, email=None):
        return self.microsoft.mail_messages(email or self.email)

    def posts_to_sent_items(self):
        return self.microsoft.requests.count(method="POST", path_regex=SENT_ITEMS)

    def test_consent_asks_for_mail_only_when_enabled(self):
        Accounts = self.env["calendar.sync.account"]
        self.assertIn("Mail.ReadWrite", Accounts._microsoft_scopes())
        self.params.set_param("calendar_sync.sent_mail", False)
        self.assertNotIn("Mail.ReadWrite", Accounts._microsoft_scopes())

    def test_chatter_message_lands_once_in_sent_items(self):
        message = self.post(self.user, attachments=[("quote.pdf", b"%PDF-1.4 quote")])
        # A second outgoing mail of the same message (as a template's Cc makes) adds its
        # recipients to the copy.
        self.env["mail.mail"].create(
            {"mail_message_id": message.id, "email_cc": "Carol <carol@example.com>"}
        ).send()
        self.copy_sent()

        [copy] = self.sent_items()
        self.assertFalse(copy["isDraft"])
        self.assertTrue(copy["isRead"])
        self.assertEqual(copy["subject"], "Quote S00042")
        self.assertIn("Here is your quote", copy["body"]["content"])
        self.assertEqual(copy["from"]["emailAddress"]["address"], self.email)
        self.assertEqual(
            [r["emailAddress"]["address"] for r in copy["toRecipients"]], ["ada@example.com"]
        )
        self.assertEqual(
            [r["emailAddress"]["address"] for r in copy["ccRecipients"]], ["carol@example.com"]
        )
        sent = message.date.replace(tzinfo=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.assertEqual(copy["sentDateTime"], sent)
        self.assertEqual(
            [(a["name"], base64.b64decode(a["contentBytes"])) for a in copy["attachments"]],
            [("quote.pdf", b"%PDF-1.4 quote")],
        )
        row = self.SentMail.search([("message_id", "=", message.id)])
        self.assertRecordValues(row, [{"state": "done", "remote_id": copy["id"], "error": False}])
        self.assertEqual(self.params.get_param("calendar_sync.sent_mail_last_count"), "1")

        self.copy_sent()
        self.copy_sent()
        self.assertEqual(len(self.sent_items()), 1)
        self.assertEqual(self.posts_to_sent_items(), 1)

    def test_composer_e_mail_is_copied(self):
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.user)
            .with_context(default_model="res.partner", default_res_ids=self.customer.ids)
            .create(
                {
                    "subject": "Composed",
                    "body": "<p>From the composer</p>",
                    "partner_ids": self.customer.ids,
                }
            )
        )
        composer._action_send_mail()
        self.copy_sent()
        [copy] = self.sent_items()
        self.assertEqual(copy["subject"], "Composed")
        self.assertFalse(copy["isDraft"])
        self.assertIn("From the composer", copy["body"]["content"])

    def test_lost_answer_is_looked_up_not_copied_again(self):
        message = self.post(self.user)
        self.microsoft.faults.add(lose_answer=True, method="POST", path_regex=SENT_ITEMS)
        self.copy_sent()
        row = self.SentMail.search([("message_id", "=", message.id)])
        self.assertEqual(row.state, "pending")
        self.assertTrue(row.error)
        self.assertEqual(len(self.sent_items()), 1)  # Graph saved it; Odoo does not know

        self.copy_sent()
        self.assertEqual(len(self.sent_items()), 1)
        self.assertEqual(self.posts_to_sent_items(), 1)
        [copy] = self.sent_items()
        self.assertRecordValues(row, [{"state": "done", "remote_id": copy["id"], "error": False}])
        uuid = self.params.get_param("database.uuid")
        extended = {p["id"]: p["value"] for p in copy["singleValueExtendedProperties"]}
        self.assertEqual(extended[ODOO_MESSAGE_PROPERTY], f"{uuid}:{message.id}")

    def test_messages_before_the_minimum_date_or_of_others_are_not_copied(self):
        later = fields.Datetime.now() + dt.timedelta(days=1)
        self.params.set_param("calendar_sync.sent_mail_since", later)
        self.post(self.user, subject="Before the date")
        self.params.set_param("calendar_sync.sent_mail_since", False)
        self.post(self.bob, subject="From Bob, who is not connected")
        self.customer.message_post(  # an incoming reply: not sent from Odoo by the user
            body="<p>Thanks</p>", author_id=self.customer.id, message_type="email"
        )
        self.copy_sent()
        self.assertFalse(self.SentMail.search([]))
        self.assertEqual(self.sent_items(), [])

    def test_failing_mailbox_does_not_stop_the_others(self):
        self.microsoft.add_account("bob@example.com", "Bob")
        self.connect(self.bob, login_hint="bob@example.com")
        self.post(self.user, subject="From Alice")
        self.post(self.bob, subject="From Bob")
        self.revoke_grant()  # Alice's mailbox refuses the stored grant
        self.copy_sent()

        self.assertEqual([m["subject"] for m in self.sent_items("bob@example.com")], ["From Bob"])
        self.assertEqual(self.sent_items(), [])
        alice_row = self.SentMail.search([("account_id", "=", self.account.id)])
        self.assertEqual(alice_row.state, "pending")
        self.assertIn("reconnect", alice_row.error)
        self.assertEqual(self.account.state, "connected")  # the calendar sync decides that

    def test_refused_copy_is_not_retried(self):
        message = self.post(self.user)
        self.microsoft.faults.add(
            status=400,
            body={"error": {"code": "ErrorInvalidRecipients", "message": "No recipients."}},
            method="POST",
            path_regex=SENT_ITEMS,
        )
        self.copy_sent()
        self.copy_sent()
        row = self.SentMail.search([("message_id", "=", message.id)])
        self.assertEqual(row.state, "refused")
        self.assertIn("No recipients", row.error)
        self.assertEqual(self.posts_to_sent_items(), 1)

    def test_attachments_over_the_cap_are_left_out_with_a_note(self):
        big = b"x" * MAX_ATTACHMENTS_BYTES
        message = self.post(self.user, attachments=[("small.txt", b"ok"), ("big.bin", big)])
        self.copy_sent()
        [copy] = self.sent_items()
        self.assertEqual([a["name"] for a in copy["attachments"]], ["small.txt"])
        self.assertIn("big.bin", copy["body"]["content"])
        row = self.SentMail.search([("message_id", "=", message.id)])
        self.assertIn("big.bin", row.note)

    def test_disabled_feature_copies_nothing(self):
        self.post(self.user, subject="Queued while enabled")
        self.params.set_param("calendar_sync.sent_mail", False)
        self.post(self.user, subject="Sent while disabled")
        self.copy_sent()
        self.assertEqual(self.sent_items(), [])
        self.assertEqual(self.SentMail.search([]).mapped("subject"), ["Queued while enabled"])
