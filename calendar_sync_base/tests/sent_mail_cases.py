"""Set-up and cases shared by each provider's tests of copying sent e-mails to Sent Items.

The provider case sets ``provider`` and ``self.user`` (connected), with the ``SyncCaseMixin``
adapter (``revoke_grant``); it reads its own emulator's Sent Items.
"""

from odoo.tests import new_test_user


class SentMailCaseMixin:
    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests else

    other_email = "bob@example.com"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.params = cls.env["ir.config_parameter"].sudo()
        cls.params.set_param("calendar_sync.sent_mail", "True")
        cls.params.set_param("calendar_sync.sent_mail_since", False)
        cls.customer = cls.env["res.partner"].create(
            {"name": "Ada Lovelace", "email": "ada@example.com"}
        )
        cls.bob = new_test_user(
            cls.env,
            login=f"bob_sent_mail_{cls.provider}",
            email=cls.other_email,
            groups="base.group_user",
        )
        cls.SentMail = cls.env["calendar.sync.sent.mail"]
        # Posting on a contact's chatter needs the right to edit contacts.
        (cls.user | cls.bob).groups_id += cls.env.ref("base.group_partner_manager")

    def setUp(self):
        super().setUp()
        # The scheduled action copies each mailbox through its own cursor.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)

    def post(self, user, subject="Quote S00042", attachments=()):
        """Send a message from the chatter of the customer, as ``user``."""
        return self.customer.with_user(user).message_post(
            body="<p>Here is your quote</p>",
            subject=subject,
            partner_ids=self.customer.ids,
            attachments=list(attachments),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def copy_sent(self):
        self.SentMail._cron_copy_sent_mails(self.provider)
        self.env.invalidate_all()  # the run wrote through its own cursors

    def console(self):
        return self.env["calendar.sync.console"].create({"provider": self.provider})

    def test_console_counts_copies_and_logs_a_failing_mailbox(self):
        self.post(self.user, subject="First")
        self.copy_sent()
        console = self.console()
        self.assertTrue(console.copies_mail)
        self.assertEqual((console.mail_copied_count, console.mail_last_run_count), (1, 1))
        self.assertTrue(console.last_mail_sync_date)

        self.post(self.user, subject="Second")
        self.revoke_grant()
        self.copy_sent()
        console = self.console()
        self.assertEqual((console.mail_copied_count, console.mail_last_run_count), (1, 0))
        [error] = console.error_log_ids
        self.assertEqual((error.area, error.user_id), ("mail", self.user))
        self.assertIn("1 e-mails could not be copied to Sent Items", error.message)
        error_log = self.env["calendar.sync.log"].search(
            [*console.action_open_error_log()["domain"], ("area", "=", "mail")]
        )
        self.assertEqual(error_log, error)
        console.action_clear_error_log()
        self.assertFalse(error.exists())
