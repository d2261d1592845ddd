from odoo.tests import TransactionCase, tagged

from odoo.addons.calendar_sync_base.tests.contract_oauth import OAuthSettingsContract


@tagged("post_install", "-at_install")
class TestOutlookSettings(OAuthSettingsContract, TransactionCase):
    provider = "microsoft"
    callback_route = "/calendar_sync_microsoft/authentication"
    secret = "s3cret"
    settings_values = {
        "calendar_sync_microsoft_enabled": True,
        "calendar_sync_microsoft_client_id": "app-id",
        "calendar_sync_microsoft_client_secret": "  s3cret  ",  # pasted with spaces
        "calendar_sync_microsoft_tenant": "contoso.onmicrosoft.com",
    }
    secret_param = "calendar_sync_microsoft.client_secret"
    secret_field = "calendar_sync_microsoft_client_secret"
    secret_set_field = "calendar_sync_microsoft_client_secret_set"
    redirect_uri_field = "calendar_sync_microsoft_redirect_uri"

    def test_the_tenant_is_saved_and_defaults_to_common(self):
        values = self.env["res.config.settings"].default_get(["calendar_sync_microsoft_tenant"])
        self.assertEqual(values["calendar_sync_microsoft_tenant"], "common")
        self.env["res.config.settings"].create(self.settings_values).execute()
        self.assertEqual(
            self.env["ir.config_parameter"].sudo().get_param("calendar_sync_microsoft.tenant"),
            "contoso.onmicrosoft.com",
        )

    def test_exchange_server_comes_only_with_its_own_addon(self):
        """The Graph addon's Outlook section knows nothing of EWS: calendar_sync_exchange
        adds the backend choice."""
        view = self.env.ref("calendar_sync_microsoft.res_config_settings_view_form")
        self.assertNotIn("EWS", view.arch_db)
        backend = self.env["res.config.settings"]._fields.get("calendar_sync_outlook_backend")
        self.assertIn(backend and backend._module, (None, "calendar_sync_exchange"))
