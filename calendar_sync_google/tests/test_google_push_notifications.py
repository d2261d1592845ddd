from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.contract_push import PUBLIC_HOST, PushContract

from .common import GoogleSyncCase

NOTIFY = "/calendar_sync_google/notify"


@tagged("post_install", "-at_install")
class TestGooglePushNotifications(PushContract, GoogleSyncCase, HttpCase):
    """events.watch channels: the push contract, plus what is Google's own (the channel's
    token and resource id, the "sync" message, a refused watch, replacing a channel)."""

    @property
    def emulator(self):
        return self.google

    def notification(self, state="exists"):
        """The headers of the emulator's latest notification in ``state``."""
        notes = [
            n for n in self.google.notifications if n["headers"]["X-Goog-Resource-State"] == state
        ]
        return notes[-1]["headers"]

    # ------------------------------------------------------------------ the contract's adapter

    def remote_channel_ids(self):
        return set(self.google.channels)

    def push_status(self):
        return self.env["res.config.settings"].create({}).calendar_sync_google_push_status

    def post_change_notification(self):
        return self.post(NOTIFY, headers=self.notification())

    def post_forged_notification(self):
        return self.post(NOTIFY, headers={**self.notification(), "X-Goog-Channel-Token": "guessed"})

    def post_unknown_notification(self):
        return self.post(NOTIFY, headers={**self.notification(), "X-Goog-Channel-ID": "not-ours"})

    # ------------------------------------------------------------------ Google's own

    def test_the_channel_watches_the_calendar_with_its_token(self):
        self.maintain_channels()
        channel = self.channels()
        remote = self.google.channels[channel.remote_id]
        self.assertEqual(remote["address"], f"https://{PUBLIC_HOST}{NOTIFY}")
        self.assertEqual(remote["token"], channel.secret)
        self.assertEqual(remote["resourceId"], channel.resource_id)

    def test_the_sync_message_only_opens_the_channel(self):
        self.maintain_channels()
        response = self.post(NOTIFY, headers=self.notification("sync"))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self.account.sync_requested)

    def test_a_notification_without_token_is_refused(self):
        self.maintain_channels()
        self.new_remote("Changed in Google")
        no_token = dict(self.notification())
        no_token.pop("X-Goog-Channel-Token")
        self.assertEqual(self.post(NOTIFY, headers=no_token).status_code, 403)
        self.assertFalse(self.account.sync_requested)

    def test_a_channel_is_replaced_new_one_first_then_the_old_stopped(self):
        self.maintain_channels()
        old = self.channels()
        old_id = old.remote_id
        old.expiration = fields.Datetime.add(fields.Datetime.now(), hours=2)
        self.maintain_channels()
        self.assertNotEqual(self.channels().remote_id, old_id, "Google cannot renew a channel")
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
