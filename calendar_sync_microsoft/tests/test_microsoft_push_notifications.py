import datetime as dt
import json

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.calendar_sync_base.tests.contract_push import PUBLIC_HOST, PushContract

from .common import MicrosoftSyncCase

NOTIFY = "/calendar_sync_microsoft/notify"
LIFECYCLE = "/calendar_sync_microsoft/lifecycle"


@tagged("post_install", "-at_install")
class TestMicrosoftPushNotifications(PushContract, MicrosoftSyncCase, HttpCase):
    """Graph subscriptions on me/events: the push contract, plus what is Graph's own
    (validation of both URLs, lifecycle events, renewal in place)."""

    @property
    def emulator(self):
        return self.microsoft

    def subscription(self):
        channel = self.channels()
        self.assertEqual(len(channel), 1)
        return channel, self.microsoft.subscriptions[channel.remote_id]

    def post_json(self, path, body):
        return self.post(path, headers={"Content-Type": "application/json"}, data=json.dumps(body))

    def last_notification(self):
        return self.microsoft.notifications[-1]["body"]

    def last_change(self, **changes):
        """The latest change notification, its one item changed by ``changes``."""
        item = self.last_notification()["value"][0]
        return {"value": [{**item, **changes}]}

    # ------------------------------------------------------------------ the contract's adapter

    def remote_channel_ids(self):
        return set(self.microsoft.subscriptions)

    def push_status(self):
        return self.env["res.config.settings"].create({}).calendar_sync_microsoft_push_status

    def post_change_notification(self):
        return self.post_json(NOTIFY, self.last_notification())

    def post_forged_notification(self):
        return self.post_json(NOTIFY, self.last_change(clientState="guessed"))

    def post_unknown_notification(self):
        return self.post_json(NOTIFY, self.last_change(subscriptionId="not-ours"))

    # ------------------------------------------------------------------ Graph's own

    def test_the_subscription_is_created_after_graph_validated_odoo(self):
        self.maintain_channels()
        channel, remote = self.subscription()
        self.assertEqual(remote.notification_url, f"https://{PUBLIC_HOST}{NOTIFY}")
        self.assertEqual(remote.lifecycle_url, f"https://{PUBLIC_HOST}{LIFECYCLE}")
        self.assertEqual(remote.client_state, channel.secret)
        self.assertEqual(remote.change_types, ("created", "updated", "deleted"))
        self.assertEqual(channel.expiration, remote.expiration.replace(tzinfo=None))

    def test_the_validation_token_is_echoed_unescaped_in_plain_text(self):
        token = "Validation: Testing client application reachability <&> +%"
        for path in (NOTIFY, LIFECYCLE):
            response = self.post(path, params={"validationToken": token})
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.text, token)
            self.assertTrue(response.headers["Content-Type"].startswith("text/plain"))
        self.assertFalse(self.account.sync_requested)

    def test_forged_lifecycle_and_unreadable_notifications_are_refused(self):
        self.maintain_channels()
        self.new_remote("Changed in Outlook")
        lifecycle = self.last_change(clientState="guessed", lifecycleEvent="subscriptionRemoved")
        self.assertEqual(self.post_json(LIFECYCLE, lifecycle).status_code, 403)
        self.assertEqual(self.post(NOTIFY, data=b"not json").status_code, 400)
        self.assertFalse(self.account.sync_requested)
        self.assertFalse(self.channels().lifecycle_event)

    def test_renewal_moves_the_expiration_of_the_same_subscription(self):
        self.maintain_channels()
        channel, remote = self.subscription()
        channel.expiration = fields.Datetime.now() + dt.timedelta(hours=3)
        remote.expiration = channel.expiration.replace(tzinfo=dt.timezone.utc)
        self.maintain_channels()
        renewed, remote = self.subscription()
        self.assertEqual(renewed, channel)
        self.assertGreater(renewed.expiration, fields.Datetime.now() + dt.timedelta(days=6))
        self.assertEqual(renewed.expiration, remote.expiration.replace(tzinfo=None))
        self.assertEqual(len(self.microsoft.subscriptions), 1)

    def test_reauthorization_required_is_answered_by_the_channel_cron(self):
        self.maintain_channels()
        channel, remote = self.subscription()
        note = self.microsoft.lifecycle_event(channel.remote_id, "reauthorizationRequired")
        self.assertTrue(remote.needs_reauthorization)
        self.assertEqual(self.post_json(LIFECYCLE, note["body"]).status_code, 202)
        self.assertEqual(channel.lifecycle_event, "reauthorize")
        self.assertFalse(self.account.sync_requested)
        self.maintain_channels()
        self.assertFalse(remote.needs_reauthorization)
        self.assertFalse(channel.lifecycle_event)
        self.assertTrue(
            any(r.path.endswith("/reauthorize") for r in self.microsoft.requests),
            "POST /subscriptions/{id}/reauthorize",
        )

    def test_a_removed_subscription_is_recreated_then_synced(self):
        self.maintain_channels()
        channel, _remote = self.subscription()
        old_id = channel.remote_id
        note = self.microsoft.lifecycle_event(old_id, "subscriptionRemoved")
        self.assertEqual(self.post_json(LIFECYCLE, note["body"]).status_code, 202)
        self.assertEqual(channel.lifecycle_event, "recreate")
        self.maintain_channels()
        new, remote = self.subscription()
        self.assertNotEqual(new.remote_id, old_id)
        self.assertEqual(list(self.microsoft.subscriptions), [new.remote_id])
        self.assertEqual(remote.client_state, new.secret)
        self.assertTrue(self.account.sync_requested, "the delta pull reads what was missed")

    def test_missed_notifications_ask_for_a_delta_sync(self):
        self.maintain_channels()
        channel, _remote = self.subscription()
        note = self.microsoft.lifecycle_event(channel.remote_id, "missed")
        self.assertEqual(self.post_json(LIFECYCLE, note["body"]).status_code, 202)
        self.assertTrue(self.account.sync_requested)
        self.assertFalse(channel.lifecycle_event)

    def test_a_reconnected_account_subscribes_again(self):
        self.maintain_channels()
        self.account.with_user(self.user).action_disconnect()
        self.account = self.connect(self.user)
        self.maintain_channels()
        self.assertEqual(len(self.microsoft.subscriptions), 1)
