from urllib.parse import parse_qs, urlsplit

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import ConnectAccessCaseMixin

from .common import CLIENT_ID, point_odoo_at, start_emulator


@tagged("post_install", "-at_install")
class TestGoogleOAuth(ConnectAccessCaseMixin, HttpCase):
    provider = "google"
    alice_login = "alice_oauth"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.google = start_emulator(cls)
        cls.google.auto_approve = True
        point_odoo_at(cls.env, cls.google)
        cls.alice = new_test_user(cls.env, login="alice_oauth", email="alice@example.com")
        cls.bob = new_test_user(cls.env, login="bob_oauth", email="bob@example.com")

    def setUp(self):
        super().setUp()
        self.google.reset()
        self.google.auto_approve = True
        self.google.add_account("alice@example.com")
        self.google.insert_event(
            "alice@example.com",
            {
                "summary": "Already in Google",
                "start": {"dateTime": "2030-01-07T09:00:00Z"},
                "end": {"dateTime": "2030-01-07T10:00:00Z"},
            },
        )

    def start_consent(self, login):
        self.authenticate(login, login)
        response = self.url_open("/calendar_sync_google/authorize", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        return response.headers["Location"]

    def consent(self, authorize_url):
        """The emulator's consent page approves and redirects back with a code."""
        response = self.opener.get(authorize_url, allow_redirects=False, timeout=10)
        self.assertIn(response.status_code, (302, 303))
        return response.headers["Location"]

    def test_consent_connects_and_schedules_the_first_sync(self):
        authorize_url = self.start_consent("alice_oauth")
        query = parse_qs(urlsplit(authorize_url).query)
        self.assertTrue(authorize_url.startswith(self.google.url))
        self.assertEqual(query["client_id"], [CLIENT_ID])
        self.assertEqual(query["access_type"], ["offline"])
        self.assertEqual(query["prompt"], ["consent"])
        self.assertEqual(query["code_challenge_method"], ["S256"])
        self.assertEqual(query["scope"], ["https://www.googleapis.com/auth/calendar"])
        self.assertEqual(
            query["redirect_uri"], [f"{self.base_url()}/calendar_sync_google/authentication"]
        )
        callback = self.consent(authorize_url)
        account = self.open_callback_in_background(callback, self.google, "/events")
        self.assertTrue(account.refresh_token)
        self.assertEqual(account.remote_email, "alice@example.com", "the account signed in")
        token_call = self.google.requests.filter(method="POST", path_regex="^/token$")[-1]
        self.assertTrue(token_call.form()["code_verifier"][0], "PKCE verifier sent")

        notifications = self.run_cron_and_read_notifications()
        self.assertTrue(account.first_sync_done)
        self.assertTrue(self.env["calendar.event"].search([("name", "=", "Already in Google")]))
        self.assertEqual(notifications, ["Google connected: 1 events imported, 0 sent"])

    def test_tampered_state_is_rejected(self):
        callback = self.consent(self.start_consent("alice_oauth"))
        parts = urlsplit(callback)
        query = parse_qs(parts.query)
        uid, nonce, signature = query["state"][0].split(".", 2)
        forged = f"{uid}.{nonce}.{signature[::-1]}"
        with mute_logger("odoo.http"):
            response = self.url_open(
                f"/calendar_sync_google/authentication?code={query['code'][0]}&state={forged}",
                allow_redirects=False,
            )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(
            self.env["calendar.sync.account"].search([("user_id", "=", self.alice.id)])
        )

    def test_state_issued_to_another_user_is_rejected(self):
        callback = self.consent(self.start_consent("alice_oauth"))
        self.authenticate("bob_oauth", "bob_oauth")
        with mute_logger("odoo.http"):
            response = self.url_open(callback, allow_redirects=False)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.env["calendar.sync.account"].search([]))

    def test_refused_connection_shows_a_page_back_to_calendar(self):
        callback = self.consent(self.start_consent("alice_oauth"))
        self.google.faults.add(
            status=400,
            body={"error": "invalid_grant", "error_description": "Bad Request"},
            method="POST",
            path_regex="^/token$",
        )
        response = self.url_open(callback, allow_redirects=False)
        self.assertEqual(response.status_code, 400)
        self.assertIn("Google: the connection did not succeed", response.text)
        self.assertIn("Google no longer accepts Odoo&#39;s access to your calendar", response.text)
        self.assertIn('href="/odoo/calendar"', response.text)
        self.assertNotIn("invalid_grant", response.text, "no provider jargon")
        self.assertFalse(
            self.env["calendar.sync.account"].search([("user_id", "=", self.alice.id)])
        )

    def test_side_panel_sends_an_unconnected_user_to_consent(self):
        self.env["ir.config_parameter"].set_param("calendar_sync_google.enabled", "True")
        accounts = self.env["calendar.sync.account"].with_user(self.alice)
        panel = accounts.get_sync_panel_state()
        self.assertEqual([(p["provider"], p["state"]) for p in panel], [("google", "disconnected")])
        self.assertEqual(
            accounts.action_sync_button("google"),
            {"status": "redirect", "url": "/calendar_sync_google/authorize"},
        )

    def test_only_allowed_internal_users_may_connect(self):
        self.assert_only_allowed_users_connect()

    def test_user_limit_refuses_a_new_user_before_any_request(self):
        self.assert_user_limit_refuses_newcomers(self.google)

    def consented_callback(self, login):
        return self.consent(self.start_consent(login))
