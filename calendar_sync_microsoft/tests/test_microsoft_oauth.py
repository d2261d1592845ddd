from urllib.parse import parse_qs, urlsplit

import requests

from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.calendar_sync_base.tests.contract_oauth import OAuthConnectContract

from .common import point_odoo_at, start_emulator

AUTHORIZE = "/calendar_sync_microsoft/authorize"
CALLBACK = "/calendar_sync_microsoft/authentication"


@tagged("post_install", "-at_install")
class TestMicrosoftOAuth(OAuthConnectContract, HttpCase):
    provider = "microsoft"
    alice_login = "alice_msoauth"
    authorize_route = AUTHORIZE
    callback_route = CALLBACK
    listing_path = "/events|/calendarView"
    seeded_title = "Already in Outlook"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.microsoft = start_emulator(cls)
        point_odoo_at(cls.env, cls.microsoft)
        cls.alice = new_test_user(cls.env, login="alice_msoauth", email="alice@example.com")
        cls.bob = new_test_user(cls.env, login="bob_msoauth", email="bob@example.com")

    @property
    def emulator(self):
        return self.microsoft

    def setUp(self):
        super().setUp()
        self.microsoft.reset()
        self.microsoft.auto_approve = True
        self.microsoft.add_account("alice@example.com", "Alice")
        self.microsoft.insert_event(
            "alice@example.com",
            {
                "subject": self.seeded_title,
                "start": {"dateTime": "2027-01-07T09:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2027-01-07T10:00:00", "timeZone": "UTC"},
            },
        )

    def consented_callback(self, login):
        """Start in Odoo, approve on the emulator: the redirect URL back to Odoo."""
        self.authenticate(login, login)
        response = self.url_open(AUTHORIZE, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        authorize_url = response.headers["Location"]
        self.assertTrue(
            authorize_url.startswith(f"{self.microsoft.url}/common/oauth2/v2.0/authorize")
        )
        query = parse_qs(urlsplit(authorize_url).query)
        self.assertEqual(query["code_challenge_method"], ["S256"])
        self.assertEqual(query["redirect_uri"], [f"{self.base_url()}{CALLBACK}"])
        answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
        return answer.headers["Location"]

    def check_stored_grant(self, account):
        self.assertIn("RefreshToken", account.token_cache, "msal's cache, refresh token in")
