import datetime as dt
import json

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.calendar_sync_base.tests.common import PUBLIC_HOST, PushCaseMixin

from .common import MicrosoftSyncCase

NOTIFY = "/calendar_sync_microsoft/notify"
LIFECYCLE = "/calendar_sync_microsoft/lifecycle"


@tagged("post_install", "-at_install")
class TestMicrosoftPushNotifications(PushCaseMixin, MicrosoftSyncCase, HttpCase):
    """Graph subscriptions on me/events: created after Graph validated both URLs against
    Odoo's routes, notifications checked against clientState and turned into a sync request,
    lifecycle events handled, renewed in place, deleted on disconnect / reset."""

    @property
    def emulator(self):
        return self.microsoft

    def setUp(self):
        super().setUp()
        self.sync()

    def subscription(self):
        channel = self.channels()
        self.assertEqual(len(channel), 1)
        return channel, self.microsoft.subscriptions[channel.remote_id]

    def post_json(self, path, body):
        return self.post(path, headers={"Content-Type": "application/json"}, data=json.dumps(body))

    def last_notification(self):
        return self.microsoft.notifications[-1]["body"]

    def test_the_subscription_is_created_after_graph_validated_odoo(self):
        self.maintain_channels()
        channel, remote = self.subscription()
        self.assertEqual(remote.notification_url, f"https://{PUBLIC_HOST}{NOTIFY}")
        self.assertEqual(remote.lifecycle_url, f"https://{PUBLIC_HOST}{LIFECYCLE}")
        self.assertEqual(remote.client_state, channel.secret)
        self.assertEqual(remote.change_types, ("created", "updated", "deleted"))
        self.assertEqual(channel.expiration, remote.expiration.replace(tzinfo=None))
        self.assertGreater(channel.expiration, fields.Datetime.now() + dt.timedelta(days=6))
        settings = self.env["res.config.settings"].create({})
        self.assertIn("Push notifications are on", settings.calendar_sync_microsoft_push_status)

    def test_the_validation_token_is_echoed_unescaped_in_plain_text(self):
        token = "Validation: Testing client application reachability <&> +%"
        for path in (NOTIFY, LIFECYCLE):
            response = self.post(path, params={"validationToken": token})
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.text, token)
            self.assertTrue(response.headers["Content-Type"].startswith("text/plain"))
        self.assertFalse(self.account.sync_requested)

    def test_no_subscription_without_a_public_https_address(self):
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "http://127.0.0.1:8069")
        self.maintain_channels()
        self.assertFalse(self.channels())
        self.assertEqual(self.microsoft.subscriptions, {})
        settings = self.env["res.config.settings"].create({})
        self.assertIn("Push notifications are off", settings.calendar_sync_microsoft_push_status)

    def test_a_change_notification_asks_for_a_sync_of_that_account(self):
        self.maintain_channels()
        before = self.cron_triggers("microsoft")
        self.remote_event(subject="Changed in Outlook")
        response = self.post_json(NOTIFY, self.last_notification())
        self.assertEqual(response.status_code, 202)
        self.assertTrue(self.account.sync_requested)
        self.assertEqual(self.cron_triggers("microsoft"), before + 1)
        self.assertFalse(self.env["calendar.event"].search([("name", "=", "Changed in Outlook")]))

    def test_forged_or_unknown_subscriptions_are_refused_without_sync(self):
        self.maintain_channels()
        self.remote_event()
        body = self.last_notification()
        item = body["value"][0]
        before = self.cron_triggers("microsoft")
        forged = self.post_json(NOTIFY, {"value": [{**item, "clientState": "guessed"}]})
        self.assertEqual(forged.status_code, 403)
        unknown = self.post_json(NOTIFY, {"value": [{**item, "subscriptionId": "not-ours"}]})
        self.assertEqual(unknown.status_code, 404)
        lifecycle = {**item, "clientState": "guessed", "lifecycleEvent": "subscriptionRemoved"}
        self.assertEqual(self.post_json(LIFECYCLE, {"value": [lifecycle]}).status_code, 403)
        self.assertEqual(self.post(NOTIFY, data=b"not json").status_code, 400)
        self.assertFalse(self.account.sync_requested)
        self.assertFalse(self.channels().lifecycle_event)
        self.assertEqual(self.cron_triggers("microsoft"), before)

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

    def test_disconnect_and_reset_delete_the_subscription(self):
        self.maintain_channels()
        self.account.with_user(self.user).action_disconnect()
        self.assertFalse(self.channels())
        self.assertEqual(self.microsoft.subscriptions, {})

        self.account = self.connect(self.user)
        self.maintain_channels()
        self.assertEqual(len(self.microsoft.subscriptions), 1)
        self.env["calendar.sync.reset.wizard"].with_user(self.user).create(
            {"account_id": self.account.id, "delete_policy": "dont_delete"}
        ).action_reset()
        self.assertFalse(self.channels())
        self.assertEqual(self.microsoft.subscriptions, {})
