from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_console import OTHER_EMAIL, ConsoleContract

from .common import CLIENT_ID, MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftConsole(ConsoleContract, MicrosoftSyncCase):
    provider = "microsoft"
    accepted_configuration = CLIENT_ID

    def spoil_credentials(self):
        self.env["ir.config_parameter"].set_param(
            "calendar_sync_microsoft.client_secret", "not-the-secret"
        )
        return "invalid_client"

    def connect_other_user(self):
        self.microsoft.add_account(OTHER_EMAIL, "Bob")
        account = self.connect(self.other_user(), login_hint=OTHER_EMAIL)
        self.assertEqual(account.remote_email, OTHER_EMAIL)

        def revoke():
            self.microsoft.revoke_sessions(OTHER_EMAIL)
            self.microsoft.expire_access_tokens(OTHER_EMAIL)

        return account, revoke

    def test_test_connection_names_tenant_and_app(self):
        _kind, message = self.notified(self.console().action_test_connection())
        self.assertIn("in the tenant common", message)

    def test_test_connection_with_an_unknown_tenant_says_why(self):
        self.env["ir.config_parameter"].set_param(
            "calendar_sync_microsoft.tenant", "no-such-tenant.example"
        )
        kind, message = self.notified(self.console().action_test_connection())
        self.assertEqual(kind, "danger")
        self.assertIn("AADSTS90002", message)
        self.assertIn("no-such-tenant.example", message)
