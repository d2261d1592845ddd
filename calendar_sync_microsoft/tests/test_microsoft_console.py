from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.console_cases import OTHER_EMAIL, ConsoleCases

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestMicrosoftConsole(ConsoleCases, MicrosoftSyncCase):
    provider = "microsoft"
    allow_inherited_tests_method = True  # the shared scenarios live in ConsoleCases

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
