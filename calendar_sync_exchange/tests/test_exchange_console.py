from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_console import OTHER_EMAIL, ConsoleContract

from .common import PROVIDER, SERVICE, ExchangeSyncCase


@tagged("post_install", "-at_install")
class TestExchangeConsole(ConsoleContract, ExchangeSyncCase):
    """The Sync Console's buttons against the EWS emulator, the service account impersonating
    each user."""

    provider = PROVIDER
    accepted_configuration = "Exchange Server Exchange2016 (15.2.1118.7) answered"
    validation_refusal = "ApplicationImpersonation role"

    def setUp(self):
        super().setUp()
        # Test Connection opens the administrator's own mailbox with the service account.
        self.env.user.email = SERVICE

    def spoil_credentials(self):
        self.env["ir.config_parameter"].set_param("calendar_sync_exchange.password", "wrong")
        return "Exchange refused the login"

    def connect_other_user(self):
        account = self.connect(self.other_user())
        self.assertEqual(account.state, "connected")
        return account, lambda: self.ews.deny_impersonation(OTHER_EMAIL)

    def test_test_connection_without_impersonation_right_says_why(self):
        self.ews.store.mailbox(SERVICE).can_impersonate = False
        kind, message = self.notified(self.console().action_test_connection())
        self.assertEqual(kind, "danger")
        self.assertIn("ApplicationImpersonation role", message)
