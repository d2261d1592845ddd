from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import ACCOUNT_LOGGER, make_user

from .common import PASSWORDS, PROVIDER, ExchangeSyncCase, mailbox, operations


@tagged("post_install", "-at_install")
class TestExchangeConnect(ExchangeSyncCase):
    def test_impersonation_connects_at_once_by_e_mail_and_syncs_in_the_background(self):
        self.assertEqual(
            (self.account.state, self.account.remote_email, self.account.sync_requested),
            ("connected", self.email, True),
        )
        cron = self.env.ref("calendar_sync_exchange.calendar_sync_exchange_cron_sync")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.assertFalse(self.ews.requests, "connecting sends nothing: the cron syncs")
        remote_id = self.new_remote("Budget review")
        self.sync()
        self.assertEqual(self.linked(remote_id).name, "Budget review")
        self.assertEqual(self.account.sudo().exchange_password, False, "the service's only")

    def test_administrator_connects_users_by_e_mail(self):
        bob = make_user(self.env, "bob")
        nomail = make_user(self.env, "nomail")
        nomail.email = False
        wizard = self.env["calendar.sync.exchange.connect.users"].create(
            {"user_ids": [(6, 0, (bob | nomail).ids)]}
        )
        answer = wizard.action_connect()
        self.assertIn("1 users connected", answer["params"]["message"])
        self.assertIn("no e-mail address: nomail", answer["params"]["message"])
        accounts = self.env["calendar.sync.account"].search([("provider", "=", PROVIDER)])
        self.assertEqual(
            sorted(accounts.mapped("remote_email")), ["alice@example.com", "bob@example.com"]
        )
        with self.assertRaises(AccessError):
            wizard.with_user(self.user).action_connect()

    @mute_logger(ACCOUNT_LOGGER)  # the refused mailbox's WARNING line
    def test_one_unreachable_mailbox_does_not_stop_the_others(self):
        """carol has no mailbox the service account may open: only her connection shows it,
        in plain words; alice's sync goes on in the same scheduled run."""
        carol = make_user(self.env, "carol")
        carol_account = self.connect(carol)
        remote_id = self.new_remote("Still synced")
        self.registry.enter_test_mode(self.cr)  # the cron's own cursors share this one
        self.addCleanup(self.registry.leave_test_mode)
        self.env["calendar.sync.account"]._cron_sync(PROVIDER)
        self.env.invalidate_all()
        self.assertEqual(self.linked(remote_id).name, "Still synced")
        self.assertEqual(self.account.state, "connected")
        self.assertEqual(carol_account.state, "error")
        self.assertIn("not set up correctly", carol_account.last_error)
        notice = self.env["mail.message"].search([("subject", "ilike", "misconfigured")])
        self.assertIn("Exchange has no mailbox carol@example.com", notice.body)


@tagged("post_install", "-at_install")
class TestExchangePerUserConnect(ExchangeSyncCase):
    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].set_param("calendar_sync_exchange.access", "delegate")
        self.bob = make_user(self.env, "bob")

    def login_form(self, password):
        answer = self.env["calendar.sync.account"].with_user(self.bob).action_sync_button(PROVIDER)
        self.assertEqual(answer["action"]["res_model"], "calendar.sync.exchange.login")
        return (
            self.env["calendar.sync.exchange.login"]
            .with_user(self.bob)
            .create({"login": "bob@example.com", "password": password})
        )

    def bob_account(self):
        return self.env["calendar.sync.account"].search(
            [("user_id", "=", self.bob.id), ("provider", "=", PROVIDER)]
        )

    def test_a_wrong_password_is_refused_in_plain_words_and_nothing_is_kept(self):
        form = self.login_form("wrong")
        self.assertEqual(form.email, "bob@example.com")
        answer = form.action_connect()
        self.assertEqual((answer["res_model"], answer["res_id"]), (form._name, form.id))
        self.assertEqual(
            form.error,
            "Exchange Server refused this user name and password. Check them and try again.",
        )
        self.assertFalse(form.password, "the typed password is not kept")
        self.assertFalse(self.bob_account())

    def test_the_users_own_login_is_checked_then_readable_by_administrators_only(self):
        form = self.login_form(PASSWORDS["bob@example.com"])
        self.ews.requests.clear()
        answer = form.action_connect()
        self.assertEqual(answer["params"]["type"], "success")
        self.assertEqual(
            {request.context["mailbox"] for request in operations(self.ews, "GetFolder")},
            {"bob@example.com"},
            "checked with Exchange",
        )
        self.assertFalse(form.password)
        account = self.bob_account()
        self.assertEqual((account.state, account.remote_email), ("connected", "bob@example.com"))
        self.assertEqual(account.sudo().exchange_password, PASSWORDS["bob@example.com"])
        with self.assertRaises(AccessError):
            account.with_user(self.bob).read(["exchange_password"])
        bob_event = (
            self.env["calendar.event"]
            .with_user(self.bob)
            .create(
                {"name": "Bob's own", "start": "2030-01-02 10:00:00", "stop": "2030-01-02 11:00:00"}
            )
        )
        self.sync(account)
        [item] = mailbox(self.ews, "bob@example.com").calendar.all().only("subject")
        self.assertEqual(item.subject, "Bob's own")
        self.assertEqual(bob_event.sudo().sync_link_ids.remote_id, item.id)
        account.with_user(self.bob).action_disconnect()
        self.assertFalse(account.sudo().exchange_password, "forgotten on disconnect")
