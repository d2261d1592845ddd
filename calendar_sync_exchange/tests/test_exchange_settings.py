from odoo.tests import TransactionCase, tagged

from odoo.addons.calendar_sync_base.tests.common import make_user

from emulators.ews import EwsEmulator

from .common import PASSWORDS, SERVICE, point_odoo_at, seed

GRAPH_ENABLED = "calendar_sync_microsoft.enabled"
EWS_ENABLED = "calendar_sync_exchange.enabled"


@tagged("post_install", "-at_install")
class TestExchangeSettings(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ews = EwsEmulator().start()
        cls.addClassCleanup(cls.ews.stop)
        seed(cls.ews)
        point_odoo_at(cls.env, cls.ews)
        cls.env.user.email = SERVICE  # Test Connection opens the administrator's mailbox
        cls.params = cls.env["ir.config_parameter"].sudo()
        cls.user = make_user(cls.env, "settings_user")

    def save(self, **values):
        settings = self.env["res.config.settings"].create(values)
        settings.execute()
        return self.env["res.config.settings"].create({})

    def panel(self):
        state = self.env["calendar.sync.account"].with_user(self.user).get_sync_panel_state()
        return [(entry["provider"], entry["label"]) for entry in state]

    def test_the_outlook_box_turns_on_the_chosen_backend_only(self):
        self.params.set_param("calendar_sync_microsoft.client_id", "graph-app")
        shown = self.save(calendar_sync_microsoft_enabled=True, calendar_sync_outlook_backend="ews")
        self.assertEqual((self.params.get_param(GRAPH_ENABLED), self.params.get_param(EWS_ENABLED)),
                         (False, "True"))  # fmt: skip
        self.assertTrue(shown.calendar_sync_microsoft_enabled, "the box reads on")
        self.assertEqual(self.panel(), [("exchange", "Exchange Server")])
        self.save(calendar_sync_microsoft_enabled=True, calendar_sync_outlook_backend="graph")
        self.assertEqual(self.panel(), [("microsoft", "Outlook")])
        shown = self.save(calendar_sync_microsoft_enabled=False)
        self.assertEqual(self.panel(), [])
        self.assertFalse(shown.calendar_sync_microsoft_enabled)

    def test_secrets_are_written_never_read_back(self):
        shown = self.save(calendar_sync_exchange_password="new-secret")
        self.assertEqual(self.params.get_param("calendar_sync_exchange.password"), "new-secret")
        self.assertFalse(shown.calendar_sync_exchange_password)
        self.assertTrue(shown.calendar_sync_exchange_password_set)
        self.save(calendar_sync_exchange_password=False)
        self.assertEqual(self.params.get_param("calendar_sync_exchange.password"), "new-secret")

    def test_test_connection_shows_the_server_version(self):
        self.params.set_param("calendar_sync_exchange.password", PASSWORDS[SERVICE])
        answer = self.save().action_calendar_sync_exchange_test_connection()
        self.assertEqual(answer["params"]["type"], "success")
        self.assertIn("(15.2.1118.7) answered", answer["params"]["message"])
        version = self.env["res.config.settings"].create({}).calendar_sync_exchange_server_version
        self.assertIn("15.2.1118.7", version)

    def test_test_connection_says_why_it_failed(self):
        self.params.set_param("calendar_sync_exchange.password", "wrong")
        answer = self.save().action_calendar_sync_exchange_test_connection()
        self.assertEqual(answer["params"]["type"], "danger")
        self.assertIn("Exchange refused the login", answer["params"]["message"])

    def test_per_user_access_tests_the_url_and_its_authentication(self):
        self.params.set_param("calendar_sync_exchange.access", "delegate")
        answer = self.save().action_calendar_sync_exchange_test_connection()
        self.assertIn("offers Negotiate, NTLM, Basic", answer["params"]["message"])
        self.params.set_param("calendar_sync_exchange.auth", "ntlm")
        self.ews.auth_methods = ("Basic",)
        self.addCleanup(setattr, self.ews, "auth_methods", ("NTLM", "Basic"))
        answer = self.save().action_calendar_sync_exchange_test_connection()
        self.assertIn("does not offer NTLM authentication", answer["params"]["message"])

    def test_an_exchange_online_url_is_warned_about(self):
        settings = self.env["res.config.settings"].new(
            {"calendar_sync_exchange_ews_url": "https://outlook.office365.com/EWS/Exchange.asmx"}
        )
        self.assertTrue(settings.calendar_sync_exchange_online)
        settings.calendar_sync_exchange_ews_url = "https://mail.example.com/EWS/Exchange.asmx"
        self.assertFalse(settings.calendar_sync_exchange_online)
