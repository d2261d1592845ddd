from odoo.tests import HttpCase, new_test_user, tagged

from .common import point_odoo_at, start_emulator


@tagged("post_install", "-at_install")
class TestGoogleTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.google = start_emulator(cls)
        point_odoo_at(cls.env, cls.google)
        cls.user = new_test_user(
            cls.env, login="tour_user", email="tour@example.com", groups="base.group_user"
        )

    def test_google_button_syncs_and_reports(self):
        self.google.add_account("tour@example.com")
        access, refresh = self.google.issue_tokens("tour@example.com")
        self.env["calendar.sync.account"].create(
            {
                "user_id": self.user.id,
                "provider": "google",
                "state": "connected",
                "refresh_token": refresh,
                "access_token": access,
                "first_sync_done": True,
                "queue_existing": False,
            }
        )
        self.env["calendar.event"].with_user(self.user).create(
            {
                "name": "Pushed by the tour",
                "start": "2030-01-07 09:00:00",
                "stop": "2030-01-07 10:00:00",
            }
        )
        self.start_tour("/odoo/calendar", "calendar_sync_google_tour", login="tour_user")
        pushed = [event["summary"] for event in self.google.events("tour@example.com")]
        self.assertEqual(pushed, ["Pushed by the tour"])

    def test_history_entry_of_a_deleted_event_opens(self):
        email = "history@example.com"
        self.google.add_account(email)
        access, refresh = self.google.issue_tokens(email)
        user = new_test_user(self.env, login="history_user", email=email, groups="base.group_user")
        account = self.env["calendar.sync.account"].create(
            {
                "user_id": user.id,
                "provider": "google",
                "state": "connected",
                "refresh_token": refresh,
                "access_token": access,
            }
        )
        remote = self.google.insert_event(
            email,
            {
                "summary": "Doomed meeting",
                "start": {"dateTime": "2030-01-08T09:00:00Z"},
                "end": {"dateTime": "2030-01-08T10:00:00Z"},
            },
        )
        self.assertTrue(account._sync_try_lock())
        self.assertIsNotNone(account._sync_guarded())
        link = self.env["calendar.sync.link"].search([("remote_id", "=", remote["id"])])
        link.event_id.unlink()
        self.start_tour(
            "/odoo/action-calendar_sync_base.calendar_sync_log_action",
            "calendar_sync_history_deleted_tour",
            login="history_user",
        )
