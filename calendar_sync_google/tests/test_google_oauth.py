from urllib.parse import parse_qs, urlsplit

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.calendar_sync_base.tests.contract_oauth import OAuthConnectContract

from .common import CLIENT_ID, point_odoo_at, start_emulator

AUTHORIZE = "/calendar_sync_google/authorize"
CALLBACK = "/calendar_sync_google/authentication"


@tagged("post_install", "-at_install")
class TestGoogleOAuth(OAuthConnectContract, HttpCase):
    provider = "google"
    alice_login = "alice_oauth"
    authorize_route = AUTHORIZE
    callback_route = CALLBACK
    listing_path = "/events"
    seeded_title = "Already in Google"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.google = start_emulator(cls)
        cls.google.auto_approve = True
        point_odoo_at(cls.env, cls.google)
        cls.alice = new_test_user(cls.env, login="alice_oauth", email="alice@example.com")
        cls.bob = new_test_user(cls.env, login="bob_oauth", email="bob@example.com")

    @property
    def emulator(self):
        return self.google

    def setUp(self):
        super().setUp()
        self.google.reset()
        self.google.auto_approve = True
        self.google.add_account("alice@example.com")
        self.google.insert_event(
            "alice@example.com",
            {
                "summary": self.seeded_title,
                "start": {"dateTime": "2030-01-07T09:00:00Z"},
                "end": {"dateTime": "2030-01-07T10:00:00Z"},
            },
        )

    def start_consent(self, login):
        self.authenticate(login, login)
        response = self.url_open(AUTHORIZE, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        return response.headers["Location"]

    def consent(self, authorize_url):
        """The emulator's consent page approves and redirects back with a code."""
        response = self.opener.get(authorize_url, allow_redirects=False, timeout=10)
        self.assertIn(response.status_code, (302, 303))
        return response.headers["Location"]

    def consented_callback(self, login):
        return self.consent(self.start_consent(login))

    def check_stored_grant(self, account):
        self.assertTrue(account.refresh_token)
        token_call = self.google.requests.filter(method="POST", path_regex="^/token$")[-1]
        self.assertTrue(token_call.form()["code_verifier"][0], "PKCE verifier sent")

    def test_consent_asks_google_for_offline_access_with_pkce(self):
        authorize_url = self.start_consent("alice_oauth")
        query = parse_qs(urlsplit(authorize_url).query)
        self.assertTrue(authorize_url.startswith(self.google.url))
        self.assertEqual(query["client_id"], [CLIENT_ID])
        self.assertEqual(query["access_type"], ["offline"])
        self.assertEqual(query["prompt"], ["consent"])
        self.assertEqual(query["code_challenge_method"], ["S256"])
        self.assertEqual(query["scope"], ["https://www.googleapis.com/auth/calendar"])
        self.assertEqual(query["redirect_uri"], [f"{self.base_url()}{CALLBACK}"])

    def test_refused_connection_shows_a_page_back_to_calendar(self):
        callback = self.consented_callback("alice_oauth")
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
