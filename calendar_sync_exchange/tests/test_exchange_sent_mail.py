from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.sent_mail_cases import SentMailCaseMixin

from calendar_sync_exchange.services.ews_sent_items import register_message_properties

from .common import ExchangeSyncCase, mailbox, operations


@tagged("post_install", "-at_install")
class TestExchangeSentMail(SentMailCaseMixin, ExchangeSyncCase):
    """E-mails sent from Odoo saved once, as sent items, in the author's Exchange mailbox."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        register_message_properties()

    def sent_items(self, outlook=None):
        return list((outlook or self.outlook).sent.all())

    def creates(self):
        return len(operations(self.ews, "CreateItem"))

    def test_chatter_message_lands_once_in_sent_items_never_as_a_draft(self):
        message = self.post(self.user, attachments=[("quote.pdf", b"%PDF-1.4 quote")])
        self.copy_sent()
        [copy] = self.sent_items()
        self.assertEqual((copy.is_draft, copy.is_read), (False, True))
        self.assertEqual(copy.subject, "Quote S00042")
        self.assertIn("Here is your quote", copy.body)
        self.assertEqual(copy.author.email_address, self.email)
        self.assertEqual([r.email_address for r in copy.to_recipients], ["ada@example.com"])
        sent = message.date.strftime("%Y-%m-%d %H:%M:%S")
        self.assertEqual(copy.datetime_sent.strftime("%Y-%m-%d %H:%M:%S"), sent)
        self.assertEqual([a.name for a in copy.attachments], ["quote.pdf"])
        uuid = self.params.get_param("database.uuid")
        self.assertEqual(copy.calendar_sync_odoo_message, f"{uuid}:{message.id}")
        row = self.SentMail.search([("message_id", "=", message.id)])
        self.assertRecordValues(row, [{"state": "done", "remote_id": copy.id, "error": False}])
        self.assertEqual(self.params.get_param("calendar_sync.sent_mail_last_count"), "1")

        self.copy_sent()
        self.copy_sent()
        self.assertEqual(len(self.sent_items()), 1)
        self.assertEqual(self.creates(), 1)

    def test_a_copy_whose_commit_was_lost_is_looked_up_not_saved_again(self):
        message = self.post(self.user)
        self.copy_sent()
        row = self.SentMail.search([("message_id", "=", message.id)])
        [copy] = self.sent_items()
        row.write({"state": "pending", "remote_id": False})  # as if never committed
        self.copy_sent()
        self.assertRecordValues(row, [{"state": "done", "remote_id": copy.id}])
        self.assertEqual(len(self.sent_items()), 1)
        self.assertEqual(self.creates(), 1)

    def test_a_failing_mailbox_does_not_stop_the_others(self):
        self.connect(self.bob)
        self.post(self.user, subject="From Alice")
        self.post(self.bob, subject="From Bob")
        del self.ews.store.mailboxes[self.email]  # Alice's mailbox is gone from Exchange
        self.copy_sent()
        self.assertEqual(
            [m.subject for m in self.sent_items(mailbox(self.ews, self.other_email))], ["From Bob"]
        )
        alice_row = self.SentMail.search([("account_id", "=", self.account.id)])
        self.assertEqual(alice_row.state, "pending")
        self.assertIn("not set up correctly", alice_row.error)

    def test_console_sync_e_mail_now_queues_one_run(self):
        cron = self.env.ref("calendar_sync_exchange.calendar_sync_exchange_cron_copy_sent_mails")
        self.assertEqual(cron.name, "Exchange Server: copy sent e-mails")
        triggers = self.env["ir.cron.trigger"]
        triggers.search([("cron_id", "=", cron.id)]).unlink()
        console = self.env["calendar.sync.console"].create({"provider": "exchange"})
        self.assertTrue(console.copies_mail)
        first = console.action_sync_mail_now()["params"]
        second = console.action_sync_mail_now()["params"]
        self.assertEqual((first["type"], second["type"]), ("success", "success"))
        self.assertIn("already queued", second["message"])
        self.assertEqual(triggers.search_count([("cron_id", "=", cron.id)]), 1)
