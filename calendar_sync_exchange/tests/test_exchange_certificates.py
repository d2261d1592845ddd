from odoo.tests import TransactionCase, tagged

from emulators.ews import EwsEmulator

from .common import SERVICE, point_odoo_at, seed

CA_BUNDLE = "calendar_sync_exchange.ca_bundle"


@tagged("post_install", "-at_install")
class TestExchangeCertificates(TransactionCase):
    """Test Connection to an Exchange server whose certificate a private CA signed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ews = EwsEmulator(tls=True).start()
        cls.addClassCleanup(cls.ews.stop)
        seed(cls.ews)
        point_odoo_at(cls.env, cls.ews)
        cls.env.user.email = SERVICE  # Test Connection opens the administrator's mailbox
        cls.params = cls.env["ir.config_parameter"].sudo()

    def connection_test_answer(self, **values):
        settings = self.env["res.config.settings"].create(values)
        settings.execute()
        answer = self.env["res.config.settings"].create({})
        return answer.action_calendar_sync_exchange_test_connection()["params"]

    def test_the_ca_bundle_setting_lets_test_connection_trust_the_server(self):
        self.assertTrue(self.ews.endpoint.startswith("https://"))
        refused = self.connection_test_answer(calendar_sync_exchange_ca_bundle=False)
        self.assertEqual(refused["type"], "danger")
        self.assertIn("certificate is not trusted", refused["message"])
        self.assertIn("set the CA bundle", refused["message"])
        trusted = self.connection_test_answer(calendar_sync_exchange_ca_bundle=self.ews.ca_path)
        self.assertEqual(self.params.get_param(CA_BUNDLE), self.ews.ca_path)
        self.assertEqual(trusted["type"], "success", trusted["message"])
        self.assertIn("(15.2.1118.7) answered", trusted["message"])
