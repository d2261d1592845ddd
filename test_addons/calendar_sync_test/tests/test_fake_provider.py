"""The provider seam, proven by a provider the base knows nothing of: registry, capabilities,
connecting, what a sync tells the calendar and the Sync Console, through
``calendar.sync.provider.fake`` (the sync itself is the contract suites', test_contracts.py)."""

import json

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import ACCOUNT_LOGGER
from odoo.addons.calendar_sync_base.tests.contract_console import OTHER_EMAIL, ConsoleContract

from calendar_sync_test.services.fake_calendar import SERVER

from .common import FAKE_SERVER, PROVIDER, FakeSyncCase


@tagged("post_install", "-at_install")
class TestFakeProviderRegistry(FakeSyncCase):
    def test_the_base_finds_the_provider_through_the_registry(self):
        provider = self.account._sync_provider()
        self.assertEqual(provider._name, "calendar.sync.provider.fake")
        self.assertEqual(provider._sync_label(), "Fake Calendar")
        self.assertIn(PROVIDER, self.env["calendar.sync.provider"]._sync_provider_models())
        self.assertEqual(
            self.account._sync_cron(PROVIDER),
            self.env.ref("calendar_sync_test.calendar_sync_test_cron_sync"),
        )

    def test_no_push_channel_for_a_provider_without_push_notifications(self):
        self.assertFalse(self.account._sync_provider()._sync_push_notifications)
        self.env["ir.config_parameter"].set_param("web.base.url", "https://odoo.example.com")
        self.env["calendar.sync.channel"]._cron_push_channels()
        self.assertFalse(self.account.sudo().push_channel_ids, "polled, not pushed")

    def test_capabilities_reach_the_base(self):
        self.assertTrue(self.account._sync_provider_pushes_silently(PROVIDER))
        self.assertEqual(self.account._sync_batch_size(), 50, "the provider's default")
        self.env["ir.config_parameter"].set_param("calendar_sync.batch_size", 3)
        self.assertEqual(self.account._sync_batch_size(), 3, "the administrator's number")


@tagged("post_install", "-at_install")
class TestFakeProviderConnect(FakeSyncCase):
    def setUp(self):
        super().setUp()
        self.account.unlink()
        self.accounts = self.env["calendar.sync.account"].with_user(self.user)

    def test_connecting_asks_nothing_and_wakes_the_cron(self):
        cron = self.env.ref("calendar_sync_test.calendar_sync_test_cron_sync")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        [entry] = [e for e in self.accounts.get_sync_panel_state() if e["provider"] == PROVIDER]
        self.assertEqual(entry["state"], "disconnected")
        answer = self.accounts.action_sync_button(PROVIDER)
        self.assertEqual(answer["status"], "action")
        self.assertEqual(answer["action"]["tag"], "display_notification")
        account = self.accounts.search([("provider", "=", PROVIDER)])
        self.assertEqual((account.state, account.remote_email), ("connected", self.email))
        self.assertTrue(account.sync_requested)
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1
        )

    def test_an_unconfigured_provider_says_so_and_tells_the_administrators(self):
        self.env["ir.config_parameter"].set_param("calendar_sync_fake.server", "")
        answer = self.accounts.action_sync_button(PROVIDER)
        self.assertEqual(answer["status"], "need_config")
        self.assertIn("finish setting up Fake Calendar", answer["message"])
        notice = self.env["mail.message"].search(
            [("subject", "ilike", "misconfigured")], order="id desc", limit=1
        )
        self.assertIn("The settings of Fake Calendar are incomplete.", str(notice.body))
        self.assertFalse(self.accounts.search([("provider", "=", PROVIDER)]))


@tagged("post_install", "-at_install")
class TestFakeProviderSync(FakeSyncCase):
    """What the contract suites (``test_contracts.py``) do not already say."""

    def test_first_sync_pulls_and_pushes_then_settles(self):
        remote_id = self.new_remote("From the fake calendar")
        event = self.odoo_event("From Odoo")
        counts = self.sync()
        self.assertEqual((counts.pulled_created, counts.pushed_created), (1, 1))
        self.assertEqual(self.linked(remote_id).name, "From the fake calendar")
        self.assertEqual(self.remote_titles(), ["From Odoo", "From the fake calendar"])
        self.assertEqual(self.remote_title(event.sudo().sync_link_ids.remote_id), "From Odoo")
        self.assertTrue(self.account.first_sync_done)
        counts = self.sync()
        self.assertEqual((counts.pulled, counts.pushed), (0, 0), "settled: nothing to do")

    def test_reset_wizard_asks_nothing_of_a_provider_that_creates_silently(self):
        self.odoo_event("Mine")
        self.sync()
        wizard = (
            self.env["calendar.sync.reset.wizard"]
            .with_user(self.user)
            .create({"account_id": self.account.id})
        )
        self.assertEqual(wizard.provider_label, "Fake Calendar")
        self.assertFalse(wizard.asks_existing_guests, "the fake creates events silently")

    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_a_withdrawn_access_says_who_can_give_it_back(self):
        """Connecting asks the user nothing (admin_credentials): reconnecting, or the
        administrator, gives the access back; no consent page to go through."""
        self.revoke_grant()
        self.sync(expect_ok=False)
        self.assertEqual(self.account.state, "needs_reconnect")
        self.assertIn("ask your administrator", self.account.last_error)
        self.assertNotIn("expired or was revoked", self.account.last_error)
        self.env["calendar.sync.account"].with_user(self.user).action_sync_button(PROVIDER)
        self.assertEqual(self.account.state, "connected", "reconnected at once")
        self.sync()

    def test_a_sync_tells_the_open_calendar(self):
        self.env["bus.bus"].sudo().search([]).unlink()
        self.new_remote("News")
        self.sync()
        messages = [json.loads(message.message) for message in self.env["bus.bus"].search([])]
        self.assertIn(
            {"provider": PROVIDER, "summary": self.account.last_sync_summary},
            [m["payload"] for m in messages if m["type"] == "calendar_sync/synced"],
        )


@tagged("post_install", "-at_install")
class TestFakeProviderConsole(ConsoleContract, FakeSyncCase):
    """The Sync Console's buttons (``ConsoleContract``)."""

    provider = PROVIDER
    accepted_configuration = FAKE_SERVER

    def connect_other_user(self):
        other = self.connect(self.other_user())
        return other, lambda: SERVER.revoke(OTHER_EMAIL)

    def spoil_credentials(self):
        self.break_configuration()
        return "No fake server is set"
