from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.calendar_sync_base.tests.contract_console import OTHER_EMAIL, ConsoleContract

from .common import CLIENT_ID, GoogleSyncCase, point_odoo_at, start_emulator


@tagged("post_install", "-at_install")
class TestGoogleConsole(ConsoleContract, GoogleSyncCase):
    provider = "google"
    accepted_configuration = CLIENT_ID

    def spoil_credentials(self):
        self.env["ir.config_parameter"].set_param(
            "calendar_sync_google.client_secret", "not-the-secret"
        )
        return "invalid_client"

    def connect_other_user(self):
        self.google.add_account(OTHER_EMAIL)
        access_token, refresh_token = self.google.issue_tokens(OTHER_EMAIL)
        account = self.connect(self.other_user(), refresh_token, access_token)
        return account, lambda: self.google.revoke(refresh_token)

    def test_test_connection_with_an_unknown_client_says_why(self):
        self.env["ir.config_parameter"].set_param(
            "calendar_sync_google.client_id", "unknown.apps.googleusercontent.com"
        )
        kind, message = self.notified(self.console().action_test_connection())
        self.assertEqual(kind, "danger")
        self.assertIn("invalid_client: The OAuth client was not found.", message)

    def test_validate_users_gives_google_reason_for_a_refused_client(self):
        self.account.access_token = False  # the check must refresh with the client
        self.env["ir.config_parameter"].set_param("calendar_sync_google.client_secret", "wrong")
        self.console().action_validate_users()
        self.assertFalse(self.account.validated)
        self.assertIn("Google refused the configuration", self.account.validation_error)
        self.assertIn("invalid_client", self.account.validation_error)

    def test_reset_all_leaves_a_copy_without_the_odoo_stamp(self):
        event = self.odoo_event("Stamp removed")
        self.sync()
        remote_id = event.sudo().sync_link_ids.remote_id
        self.google.patch_event(self.email, remote_id, {"extendedProperties": None})
        wizard = self.env["calendar.sync.console.reset.wizard"].create(
            {"provider": "google", "confirmation": "DELETE"}
        )
        report = wizard.action_reset_all()["params"]["message"]
        self.assertIn("0 deleted", report)
        self.assertEqual(self.remote_titles(), ["Stamp removed"])


@tagged("post_install", "-at_install")
class TestGoogleConsoleTour(HttpCase):
    def test_console_in_the_browser(self):
        google = start_emulator(self.__class__)
        point_odoo_at(self.env, google)
        email = "console@example.com"
        google.add_account(email)
        access, refresh = google.issue_tokens(email)
        user = new_test_user(self.env, login="console_user", name="tour admin user", email=email)
        account = self.env["calendar.sync.account"].create(
            {
                "user_id": user.id,
                "provider": "google",
                "state": "connected",
                "refresh_token": refresh,
                "access_token": access,
                "queue_existing": False,
            }
        )
        google.insert_event(
            email,
            {
                "summary": "Made by hand",
                "start": {"dateTime": "2030-01-07T09:00:00Z"},
                "end": {"dateTime": "2030-01-07T10:00:00Z"},
            },
        )
        self.env["calendar.event"].with_user(user).create(
            {"name": "Made in Odoo", "start": "2030-01-08 09:00:00", "stop": "2030-01-08 10:00:00"}
        )
        self.assertTrue(account._sync_try_lock())
        self.assertIsNotNone(account._sync_guarded())
        self.start_tour("/odoo/calendar", "calendar_sync_console_tour", login="admin")
        self.assertEqual([item["summary"] for item in google.events(email)], ["Made by hand"])
