from odoo import api, fields, models

from calendar_sync_exchange.services.ews_account import exchange_online_warning

from .calendar_sync_provider_exchange import DISCOVERED_URL_PARAM, PARAM, SERVER_VERSION_PARAM

# Which provider the Outlook section's "Outlook Calendar" box turns on.
BACKENDS = [("graph", "Microsoft 365 (Graph)"), ("ews", "Exchange Server (EWS)")]
ENABLED_PARAMS = {"graph": "calendar_sync_microsoft.enabled", "ews": PARAM("enabled")}


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    calendar_sync_outlook_backend = fields.Selection(
        BACKENDS,
        string="Outlook Backend",
        default="graph",
        config_parameter=PARAM("backend"),
        help="Microsoft 365 mailboxes use Microsoft Graph: Microsoft turns EWS off in Exchange "
        "Online from October 2026, for good on 1 April 2027. Exchange Server on-premises "
        "(2016, 2019, Subscription Edition) uses EWS. Users see the chosen one only.",
    )
    calendar_sync_exchange_ews_url = fields.Char(
        "EWS URL",
        config_parameter=PARAM("ews_url"),
        help="E.g. https://mail.example.com/EWS/Exchange.asmx. Optional with autodiscover.",
    )
    calendar_sync_exchange_autodiscover = fields.Boolean(
        "Find the server from the e-mail address (autodiscover)",
        config_parameter=PARAM("autodiscover"),
        help="Without an EWS URL, ask Exchange's autodiscover service (at the domain of the "
        "mailbox's address) for it, once: the URL found is kept. Autodiscover is fragile: if "
        "it fails, enter the EWS URL.",
    )
    calendar_sync_exchange_discovered_url = fields.Char(
        "Autodiscovered EWS URL", compute="_compute_calendar_sync_exchange_discovered_url"
    )
    calendar_sync_exchange_auth = fields.Selection(
        [("ntlm", "NTLM"), ("basic", "Basic (https only)"), ("oauth", "OAuth client credentials")],
        string="Authentication",
        default="ntlm",
        config_parameter=PARAM("auth"),
    )
    calendar_sync_exchange_access = fields.Selection(
        [
            ("impersonation", "Service account with impersonation"),
            ("delegate", "Each user's own credentials"),
        ],
        string="Mailbox Access",
        default="impersonation",
        config_parameter=PARAM("access"),
        help="Impersonation: a service account with the ApplicationImpersonation role opens "
        "each user's mailbox; users are connected by their e-mail address, nothing is asked "
        "of them. Own credentials: each user types their Exchange user name and password "
        "when connecting. OAuth client credentials always use impersonation.",
    )
    calendar_sync_exchange_username = fields.Char(
        "Service Account", config_parameter=PARAM("username"), help="user@domain or DOMAIN\\user"
    )
    calendar_sync_exchange_password = fields.Char("Service Account Password")
    calendar_sync_exchange_password_set = fields.Boolean(readonly=True)
    calendar_sync_exchange_client_id = fields.Char(
        "OAuth Client ID", config_parameter=PARAM("client_id")
    )
    calendar_sync_exchange_tenant_id = fields.Char(
        "OAuth Tenant ID", config_parameter=PARAM("tenant_id")
    )
    calendar_sync_exchange_oauth_authority = fields.Char(
        "OAuth Authority",
        config_parameter=PARAM("oauth_authority"),
        help="The token service, when not Microsoft Entra ID's global one "
        "(https://login.microsoftonline.com), e.g. https://login.microsoftonline.us for a "
        "national cloud.",
    )
    calendar_sync_exchange_client_secret = fields.Char("OAuth Client Secret")
    calendar_sync_exchange_client_secret_set = fields.Boolean(readonly=True)
    calendar_sync_exchange_ca_bundle = fields.Char(
        "CA Bundle",
        config_parameter=PARAM("ca_bundle"),
        help="Path on the Odoo server of the PEM file of the authority that signed the "
        "Exchange server's certificate (a private CA). Certificates are always verified.",
    )
    calendar_sync_exchange_server_version = fields.Char(
        "Server Version", compute="_compute_calendar_sync_exchange_server_version"
    )
    calendar_sync_exchange_online = fields.Boolean(compute="_compute_calendar_sync_exchange_online")
    calendar_sync_exchange_paused = fields.Boolean(
        "Pause Exchange Synchronization",
        config_parameter=PARAM("paused"),
        help="Changes stay queued and are synchronized when the pause ends.",
    )
    calendar_sync_exchange_max_users = fields.Integer(
        "Maximum Exchange Users",
        config_parameter=PARAM("max_users"),
        help="Users beyond this number cannot connect Exchange Server (0: no limit).",
    )

    @api.depends("company_id")
    def _compute_calendar_sync_exchange_server_version(self):
        version = self.env["ir.config_parameter"].sudo().get_param(SERVER_VERSION_PARAM)
        for settings in self:
            settings.calendar_sync_exchange_server_version = version or self.env._(
                "Unknown: use Test Connection"
            )

    @api.depends("company_id")
    def _compute_calendar_sync_exchange_discovered_url(self):
        url = self.env["ir.config_parameter"].sudo().get_param(DISCOVERED_URL_PARAM)
        for settings in self:
            settings.calendar_sync_exchange_discovered_url = url or self.env._(
                "Not found yet: use Test Connection"
            )

    @api.depends("calendar_sync_exchange_ews_url")
    def _compute_calendar_sync_exchange_online(self):
        for settings in self:
            settings.calendar_sync_exchange_online = exchange_online_warning(
                settings.calendar_sync_exchange_ews_url
            )

    @api.model
    def _calendar_sync_secret_fields(self):
        return {
            **super()._calendar_sync_secret_fields(),
            "calendar_sync_exchange_password": PARAM("password"),
            "calendar_sync_exchange_client_secret": PARAM("client_secret"),
        }

    @api.model
    def get_values(self):
        """The "Outlook Calendar" box reads on when either backend is on."""
        res = super().get_values()
        params = self.env["ir.config_parameter"].sudo()
        res["calendar_sync_microsoft_enabled"] = any(
            params.get_param(key) for key in ENABLED_PARAMS.values()
        )
        return res

    def set_values(self):
        """The "Outlook Calendar" box turns on the chosen backend's provider only: the
        Calendar side panel then offers that one (its Outlook button connects through it)."""
        result = super().set_values()
        params = self.env["ir.config_parameter"].sudo()
        for backend, key in ENABLED_PARAMS.items():
            chosen = self.calendar_sync_microsoft_enabled and (
                self.calendar_sync_outlook_backend == backend
            )
            params.set_param(key, chosen)
        return result

    def action_calendar_sync_exchange_test_connection(self):
        """Test Connection: the Sync Console's test of the Exchange settings just saved."""
        console = self.env["calendar.sync.console"].create({"provider": "exchange"})
        return console.action_test_connection()
