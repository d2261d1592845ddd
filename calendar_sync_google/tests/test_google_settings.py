from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestGoogleSettings(TransactionCase):
    def test_secret_is_saved_but_never_sent_back(self):
        self.env["res.config.settings"].create(
            {
                "calendar_sync_google_enabled": True,
                "calendar_sync_google_client_id": "cid.apps.googleusercontent.com",
                "calendar_sync_google_client_secret": "GOCSPX-secret",
            }
        ).execute()
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("calendar_sync_google.client_secret"), "GOCSPX-secret")
        values = self.env["res.config.settings"].default_get(
            ["calendar_sync_google_client_secret", "calendar_sync_google_client_secret_set"]
        )
        self.assertFalse(values["calendar_sync_google_client_secret"])
        self.assertTrue(values["calendar_sync_google_client_secret_set"])

    def test_redirect_uri_follows_web_base_url(self):
        self.env["ir.config_parameter"].set_param("web.base.url", "https://erp.example.com")
        settings = self.env["res.config.settings"].create({})
        expected = "https://erp.example.com/calendar_sync_google/authentication"
        self.assertEqual(settings.calendar_sync_google_redirect_uri, expected)
        # The settings form opens through onchange on a new record, not a saved one.
        form = self.env["res.config.settings"].onchange(
            {}, [], {"calendar_sync_google_redirect_uri": {}, "company_id": {}}
        )
        self.assertEqual(form["value"]["calendar_sync_google_redirect_uri"], expected)

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
