from odoo.tests import HttpCase, new_test_user, tagged

from .common import point_odoo_at, start_emulator


@tagged("post_install", "-at_install")
class TestMicrosoftTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        point_odoo_at(cls.env, start_emulator(cls))
        cls.user = new_test_user(
            cls.env, login="ms_tour_user", email="ms_tour@example.com", groups="base.group_user"
        )

    def test_first_connection_asks_about_existing_guests(self):
        self.start_tour(
            "/odoo/calendar", "calendar_sync_microsoft_guests_tour", login="ms_tour_user"
        )
        self.assertFalse(
            self.env["calendar.sync.account"].search([("user_id", "=", self.user.id)]),
            "cancelled: no connection started",
        )
