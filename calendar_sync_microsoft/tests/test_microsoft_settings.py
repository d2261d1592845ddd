from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestOutlookSettings(TransactionCase):
    def test_secret_is_saved_but_never_sent_back(self):
        settings = self.env["res.config.settings"].create(
            {
                "calendar_sync_microsoft_enabled": True,
                "calendar_sync_microsoft_client_id": "app-id",
                "calendar_sync_microsoft_client_secret": "  s3cret  ",
                "calendar_sync_microsoft_tenant": "contoso.onmicrosoft.com",
            }
        )
        settings.execute()
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("calendar_sync_microsoft.client_secret"), "s3cret")
        self.assertEqual(
            params.get_param("calendar_sync_microsoft.tenant"), "contoso.onmicrosoft.com"
        )
        values = self.env["res.config.settings"].default_get(
            ["calendar_sync_microsoft_client_secret", "calendar_sync_microsoft_client_secret_set"]
        )
        self.assertFalse(values["calendar_sync_microsoft_client_secret"])
        self.assertTrue(values["calendar_sync_microsoft_client_secret_set"])

    def test_saving_without_typing_a_secret_keeps_the_old_one(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("calendar_sync_microsoft.client_secret", "kept")
        self.env["res.config.settings"].create(
            {"calendar_sync_microsoft_tenant": "common"}
        ).execute()
        self.assertEqual(params.get_param("calendar_sync_microsoft.client_secret"), "kept")

    def test_defaults(self):
        values = self.env["res.config.settings"].default_get(["calendar_sync_microsoft_tenant"])
        self.assertEqual(values["calendar_sync_microsoft_tenant"], "common")

    def test_redirect_uri_shows_in_the_settings_form(self):
        self.env["ir.config_parameter"].set_param("web.base.url", "https://erp.example.com")
        # The settings form opens through onchange on a new record, not a saved one.
        form = self.env["res.config.settings"].onchange(
            {}, [], {"calendar_sync_microsoft_redirect_uri": {}, "company_id": {}}
        )
        self.assertEqual(
            form["value"]["calendar_sync_microsoft_redirect_uri"],
            "https://erp.example.com/calendar_sync_microsoft/authentication",
        )

    def test_exchange_server_comes_only_with_its_own_addon(self):
        """The Graph addon's Outlook section knows nothing of EWS: calendar_sync_exchange
        adds the backend choice."""
        view = self.env.ref("calendar_sync_microsoft.res_config_settings_view_form")
        self.assertNotIn("EWS", view.arch_db)
        backend = self.env["res.config.settings"]._fields.get("calendar_sync_outlook_backend")
        self.assertIn(backend and backend._module, (None, "calendar_sync_exchange"))
