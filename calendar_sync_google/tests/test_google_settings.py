from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.calendar_sync_base.tests.contract_oauth import OAuthSettingsContract


@tagged("post_install", "-at_install")
class TestGoogleSettings(OAuthSettingsContract, TransactionCase):
    provider = "google"
    callback_route = "/calendar_sync_google/authentication"
    secret = "GOCSPX-secret"
    settings_values = {
        "calendar_sync_google_enabled": True,
        "calendar_sync_google_client_id": "cid.apps.googleusercontent.com",
        "calendar_sync_google_client_secret": secret,
    }
    secret_param = "calendar_sync_google.client_secret"
    secret_field = "calendar_sync_google_client_secret"
    secret_set_field = "calendar_sync_google_client_secret_set"
    redirect_uri_field = "calendar_sync_google_redirect_uri"

    def test_endpoints_default_to_google(self):
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(
            params.get_param("calendar_sync_google.token_endpoint"),
            "https://oauth2.googleapis.com/token",
        )
        self.assertEqual(
            params.get_param("calendar_sync_google.api_base"),
            "https://www.googleapis.com/calendar/v3",
        )


@tagged("post_install", "-at_install")
class TestGoogleEventToggle(TransactionCase):
    def test_the_event_toggle_shows_only_to_users_connected_to_google(self):
        alice = new_test_user(self.env, login="toggle_alice", groups="base.group_user")
        bob = new_test_user(self.env, login="toggle_bob", groups="base.group_user")
        self.env["calendar.sync.account"].create(
            {"user_id": alice.id, "provider": "google", "state": "connected"}
        )
        event = self.env["calendar.event"].create(
            {"name": "Shared", "start": "2026-12-01 09:00:00", "stop": "2026-12-01 10:00:00"}
        )
        self.assertTrue(event.with_user(alice).sync_google_connected)
        self.assertFalse(event.with_user(bob).sync_google_connected)
