import datetime as dt

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import PUBLIC_HOST, PushCaseMixin

from .common import GoogleSyncCase

NOTIFY = "/calendar_sync_google/notify"


@tagged("post_install", "-at_install")
class TestGooglePushNotifications(PushCaseMixin, GoogleSyncCase, HttpCase):
    """events.watch channels: opened while Odoo is publicly reachable, notifications checked
    against the channel's token and turned into a sync request, renewed, stopped."""

    @property
    def emulator(self):
        return self.google

    def setUp(self):
        super().setUp()
        self.sync()  # a connected account whose first sync is done

    def notification(self, state="exists"):
        """The headers of the emulator's latest notification in ``state``."""
        notes = [
            n for n in self.google.notifications if n["headers"]["X-Goog-Resource-State"] == state
        ]
        return notes[-1]["headers"]

    def test_a_channel_is_opened_only_for_a_public_https_address(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("web.base.url", "http://localhost:8069")
        self.maintain_channels()
        self.assertFalse(self.channels())
        self.assertEqual(self.google.channels, {})
        settings = self.env["res.config.settings"].create({})
        self.assertIn("Push notifications are off", settings.calendar_sync_google_push_status)
        self.assertIn("http://localhost:8069", settings.calendar_sync_google_push_status)

        params.set_param("web.base.url", f"https://{PUBLIC_HOST}")
        self.maintain_channels()
        channel = self.channels()
        self.assertEqual(len(channel), 1)
        remote = self.google.channels[channel.remote_id]
        self.assertEqual(remote["address"], f"https://{PUBLIC_HOST}{NOTIFY}")
        self.assertEqual(remote["token"], channel.secret)
        self.assertEqual(remote["resourceId"], channel.resource_id)
        self.assertGreater(channel.expiration, fields.Datetime.now() + dt.timedelta(days=6))
        settings = self.env["res.config.settings"].create({})
        self.assertIn("Push notifications are on", settings.calendar_sync_google_push_status)

        self.maintain_channels()  # nothing to do: the same channel stays
        self.assertEqual(self.channels(), channel)
        self.assertEqual(list(self.google.channels), [channel.remote_id])

    def test_a_change_notification_asks_for_a_sync_of_that_account(self):
        self.maintain_channels()
        before = self.cron_triggers("google")
        response = self.post(NOTIFY, headers=self.notification("sync"))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self.account.sync_requested, "the sync message only opens the channel")

        self.remote_event(summary="Changed in Google")
        response = self.post(NOTIFY, headers=self.notification("exists"))
        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.account.sync_requested)
        self.assertEqual(self.cron_triggers("google"), before + 1)
        self.assertFalse(
            self.env["calendar.event"].search([("name", "=", "Changed in Google")]),
            "the request does not pull: the cron worker does",
        )

    def test_forged_or_unknown_channels_are_refused_without_sync(self):
        self.maintain_channels()
        self.remote_event()
        headers = self.notification()
        before = self.cron_triggers("google")
        forged = self.post(NOTIFY, headers={**headers, "X-Goog-Channel-Token": "guessed"})
        self.assertEqual(forged.status_code, 403)
        no_token = dict(headers)
        no_token.pop("X-Goog-Channel-Token")
        self.assertEqual(self.post(NOTIFY, headers=no_token).status_code, 403)
        unknown = self.post(NOTIFY, headers={**headers, "X-Goog-Channel-ID": "not-ours"})
        self.assertEqual(unknown.status_code, 404)
        self.assertFalse(self.account.sync_requested)
        self.assertEqual(self.cron_triggers("google"), before)

    def test_a_channel_near_its_expiration_is_replaced_then_stopped(self):
        self.maintain_channels()
        old = self.channels()
        old_id = old.remote_id
        old.expiration = fields.Datetime.now() + dt.timedelta(hours=2)
        self.maintain_channels()
        new = self.channels()
        self.assertEqual(len(new), 1)
        self.assertNotEqual(new.remote_id, old_id)
        self.assertEqual(list(self.google.channels), [new.remote_id], "the old one is stopped")
        watch, stop = (
            [r for r in self.google.requests if r.path.endswith(path)]
            for path in ("/events/watch", "/channels/stop")
        )
        self.assertLess(watch[-1].time, stop[-1].time, "the new channel opens first")

    def test_a_refused_watch_is_logged_and_retried_on_the_next_run(self):
        self.google.faults.add(status=400, path_regex=r".*/events/watch$")
        with mute_logger("odoo.addons.calendar_sync_base.models.calendar_sync_channel"):
            self.maintain_channels()
        self.assertFalse(self.channels())
        self.maintain_channels()
        self.assertEqual(len(self.channels()), 1)

    def test_an_expired_channel_is_replaced(self):
        self.maintain_channels()
        self.channels().expiration = fields.Datetime.now() - dt.timedelta(minutes=1)
        self.maintain_channels()
        self.assertEqual(len(self.channels()), 1)
        self.assertGreater(self.channels().expiration, fields.Datetime.now())

    def test_disconnect_stops_the_channel(self):
        self.maintain_channels()
        self.account.with_user(self.user).action_disconnect()
        self.assertFalse(self.channels())
        self.assertEqual(self.google.channels, {})
        self.maintain_channels()  # a disconnected account gets none
        self.assertEqual(self.google.channels, {})

    def test_reset_stops_the_channel(self):
        self.maintain_channels()
        wizard = (
            self.env["calendar.sync.reset.wizard"]
            .with_user(self.user)
            .create({"account_id": self.account.id, "delete_policy": "dont_delete"})
        )
        wizard.action_reset()
        self.assertFalse(self.channels())
        self.assertEqual(self.google.channels, {})

    def test_an_address_gone_private_closes_the_channel(self):
        self.maintain_channels()
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "https://10.0.0.5")
        self.maintain_channels()
        self.assertFalse(self.channels())
        self.assertEqual(self.google.channels, {})

    def test_a_healthy_channel_makes_polling_a_safety_net(self):
        accounts = self.env["calendar.sync.account"].sudo()

        def due():
            self.env.flush_all()
            return self.account in accounts.search(accounts._sync_due_domain("google"))

        self.account.write({"last_attempt_date": fields.Datetime.now() - dt.timedelta(minutes=10)})
        self.assertTrue(due(), "polled every 5 minutes without push")
        self.maintain_channels()
        self.assertFalse(due(), "a healthy channel: not due after 10 minutes")
        self.account.write({"last_attempt_date": fields.Datetime.now() - dt.timedelta(minutes=31)})
        self.assertTrue(due(), "still polled every 30 minutes")
        self.account.write({"last_attempt_date": fields.Datetime.now() - dt.timedelta(minutes=10)})
        self.channels().expiration = fields.Datetime.now() - dt.timedelta(minutes=1)
        self.assertTrue(due(), "an expired channel is not healthy")
