from odoo.tests import TransactionCase, tagged

from emulators.ews import EwsEmulator

from .common import SERVICE, point_odoo_at, seed

CLIENT_ID = "5d1c7a50-0000-4000-8000-00000000e5e5"
TENANT = "11111111-2222-3333-4444-555555555555"


@tagged("post_install", "-at_install")
class TestExchangeOAuth(TransactionCase):
    """OAuth client credentials: Test Connection gets an app-only token and impersonates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ews = EwsEmulator(tls=True, auth_methods=("NTLM", "Bearer")).start()
        cls.addClassCleanup(cls.ews.stop)
        seed(cls.ews)
        cls.ews.add_oauth_app(CLIENT_ID, "app-secret", TENANT)
        point_odoo_at(cls.env, cls.ews)
        cls.env.user.email = SERVICE  # Test Connection opens the administrator's mailbox

    def connection_test_answer(self, **values):
        settings = self.env["res.config.settings"].create(
            {
                "calendar_sync_exchange_auth": "oauth",
                "calendar_sync_exchange_client_id": CLIENT_ID,
                "calendar_sync_exchange_tenant_id": TENANT,
                "calendar_sync_exchange_oauth_authority": self.ews.url,
                "calendar_sync_exchange_ca_bundle": self.ews.ca_path,
                **values,
            }
        )
        settings.execute()
        answer = self.env["res.config.settings"].create({})
        return answer.action_calendar_sync_exchange_test_connection()["params"]

    def test_client_credentials_connect_through_the_configured_authority(self):
        refused = self.connection_test_answer(calendar_sync_exchange_client_secret="wrong")
        self.assertEqual(refused["type"], "danger")
        self.assertIn(
            "token service refused the OAuth application: AADSTS7000215", refused["message"]
        )
        connected = self.connection_test_answer(calendar_sync_exchange_client_secret="app-secret")
        self.assertEqual(connected["type"], "success", connected["message"])
        self.assertIn(f"opened the mailbox {SERVICE}", connected["message"])
        soap = [request for request in self.ews.requests if request.context.get("operation")]
        self.assertTrue(soap)
        self.assertEqual(
            {(r.headers["Authorization"][:7], r.headers["X-AnchorMailbox"]) for r in soap},
            {("Bearer ", SERVICE)},
        )
