"""Contract suite of the providers with push notifications (``_sync_push_notifications``):
channels opened while Odoo is publicly reachable, notifications checked and turned into a
sync request, channels renewed, replaced and closed. A provider without push notifications
does not run it (``setUp`` checks the capability); its accounts are polled.

For the provider's ``HttpCase`` (with the ``SyncCaseMixin`` adapter) whose ``emulator``
property is its emulator, reaching Odoo's test server at a public https address
(``PUBLIC_HOST``) as DNS would route the real service (``webhook_hosts``). Notifications the
emulator records are posted by the test itself, in the test's thread: an emulator thread
posting on its own would share the test's database connection with it. The adapter answers:

- ``remote_channel_ids()``: the ids of the channels open at the provider;
- ``push_status()``: what the provider's settings say of push notifications;
- ``post_change_notification()``: post the provider's latest notification of a change to
  Odoo as the provider does; the response;
- ``post_forged_notification()`` / ``post_unknown_notification()``: the same notification
  with a secret that is not the channel's / naming a channel Odoo never opened.
"""

import datetime as dt

from odoo import fields

PUBLIC_HOST = "odoo.example.com"


class PushContract:
    """Channels and notifications, the same for every provider that pushes."""

    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests else

    def setUp(self):
        super().setUp()
        provider = self.env["calendar.sync.account"]._sync_provider(self.account.provider)
        self.assertTrue(provider._sync_push_notifications, "a provider with push channels")
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", f"https://{PUBLIC_HOST}")
        self.emulator.webhook_hosts = {PUBLIC_HOST: self.base_url()}
        self.emulator.deliver_notifications = False
        self.addCleanup(setattr, self.emulator, "webhook_hosts", {})
        self.sync()  # a connected account whose first sync is done

    # ------------------------------------------------------------------ helpers

    def maintain_channels(self):
        """The hourly channel cron; the provider may call Odoo back meanwhile (validation)."""
        self.env.flush_all()
        self.env["calendar.sync.channel"]._cron_push_channels()
        self.env.invalidate_all()

    def channels(self):
        return self.account.sudo().push_channel_ids

    def post(self, path, headers=None, data=b"", params=None):
        """POST to Odoo's test server as the provider does (no session, no CSRF token)."""
        self.env.flush_all()
        response = self.opener.post(
            self.base_url() + path, data=data, headers=headers, params=params, timeout=10
        )
        self.env.invalidate_all()
        return response

    def cron_triggers(self):
        cron = self.env["calendar.sync.account"]._sync_cron(self.account.provider)
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

    def assert_one_open_channel(self):
        channel = self.channels()
        self.assertEqual(len(channel), 1)
        self.assertEqual(self.remote_channel_ids(), {channel.remote_id})
        self.assertGreater(channel.expiration, fields.Datetime.now() + dt.timedelta(days=6))
        return channel

    def assert_no_channel(self):
        self.assertFalse(self.channels())
        self.assertEqual(self.remote_channel_ids(), set())

    # ------------------------------------------------------------------ opening

    def test_a_channel_is_opened_only_for_a_public_https_address(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("web.base.url", "http://localhost:8069")
        self.maintain_channels()
        self.assert_no_channel()
        self.assertIn("Push notifications are off", self.push_status())
        self.assertIn("http://localhost:8069", self.push_status())

        params.set_param("web.base.url", f"https://{PUBLIC_HOST}")
        self.maintain_channels()
        channel = self.assert_one_open_channel()
        self.assertIn("Push notifications are on", self.push_status())
        self.maintain_channels()  # nothing to do: the same channel stays
        self.assertEqual(self.assert_one_open_channel(), channel)

    def test_an_address_gone_private_closes_the_channel(self):
        self.maintain_channels()
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "https://10.0.0.5")
        self.maintain_channels()
        self.assert_no_channel()

    # ------------------------------------------------------------------ notifications

    def test_a_change_notification_asks_for_a_sync_of_that_account(self):
        self.maintain_channels()
        before = self.cron_triggers()
        self.new_remote("Changed remotely")
        response = self.post_change_notification()
        self.assertIn(response.status_code, (200, 202))
        self.assertTrue(self.account.sync_requested)
        self.assertEqual(self.cron_triggers(), before + 1)
        self.assertFalse(
            self.env["calendar.event"].search([("name", "=", "Changed remotely")]),
            "the request does not pull: the cron worker does",
        )

    def test_forged_or_unknown_channels_are_refused_without_sync(self):
        self.maintain_channels()
        self.new_remote("Changed remotely")
        before = self.cron_triggers()
        self.assertEqual(self.post_forged_notification().status_code, 403)
        self.assertEqual(self.post_unknown_notification().status_code, 404)
        self.assertFalse(self.account.sync_requested)
        self.assertEqual(self.cron_triggers(), before)

    # ------------------------------------------------------------------ lifetime

    def test_a_channel_near_its_expiration_is_renewed_or_replaced(self):
        self.maintain_channels()
        self.channels().expiration = fields.Datetime.now() + dt.timedelta(hours=2)
        self.maintain_channels()
        self.assert_one_open_channel()

    def test_an_expired_channel_is_replaced(self):
        self.maintain_channels()
        self.channels().expiration = fields.Datetime.now() - dt.timedelta(minutes=1)
        self.maintain_channels()
        channel = self.channels()
        self.assertEqual(len(channel), 1)
        self.assertIn(channel.remote_id, self.remote_channel_ids())
        self.assertGreater(channel.expiration, fields.Datetime.now() + dt.timedelta(days=6))

    def test_disconnect_stops_the_channel(self):
        self.maintain_channels()
        self.account.with_user(self.user).action_disconnect()
        self.assert_no_channel()
        self.maintain_channels()  # a disconnected account gets none
        self.assertEqual(self.remote_channel_ids(), set())

    def test_reset_stops_the_channel(self):
        self.maintain_channels()
        wizard = (
            self.env["calendar.sync.reset.wizard"]
            .with_user(self.user)
            .create({"account_id": self.account.id, "delete_policy": "dont_delete"})
        )
        wizard.action_reset()
        self.assert_no_channel()

    def test_a_healthy_channel_makes_polling_a_safety_net(self):
        accounts = self.env["calendar.sync.account"].sudo()
        provider = self.account.provider

        def due():
            self.env.flush_all()
            return self.account in accounts.search(accounts._sync_due_domain(provider))

        self.account.write({"last_attempt_date": fields.Datetime.now() - dt.timedelta(minutes=10)})
        self.assertTrue(due(), "polled every 5 minutes without push")
        self.maintain_channels()
        self.assertFalse(due(), "a healthy channel: not due after 10 minutes")
        self.account.write({"last_attempt_date": fields.Datetime.now() - dt.timedelta(minutes=31)})
        self.assertTrue(due(), "still polled every 30 minutes")
        self.account.write({"last_attempt_date": fields.Datetime.now() - dt.timedelta(minutes=10)})
        self.channels().expiration = fields.Datetime.now() - dt.timedelta(minutes=1)
        self.assertTrue(due(), "an expired channel is not healthy")
