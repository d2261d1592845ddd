from odoo import api, fields, models

from calendar_sync_microsoft.services.graph_contacts import GraphContactsClient
from calendar_sync_microsoft.services.graph_sent_items import GraphSentItemsClient
from calendar_sync_microsoft.services.msal_auth import (
    GRAPH_SCOPES,
    MsalTokenProvider,
    build_app,
    finish_flow,
    load_cache,
    start_flow,
)

PARAM = "calendar_sync_microsoft.{}".format
# Saving copies in Sent Items (POST /me/mailFolders/sentitems/messages) needs Mail.ReadWrite.
MAIL_SCOPES = ("Mail.ReadWrite",)
# The "Odoo" contact folder and its contacts (create, update, delete) need Contacts.ReadWrite.
CONTACT_SCOPES = ("Contacts.ReadWrite",)


class CalendarSyncAccount(models.Model):
    _inherit = "calendar.sync.account"

    provider = fields.Selection(
        selection_add=[("microsoft", "Outlook")], ondelete={"microsoft": "cascade"}
    )
    microsoft_home_account_id = fields.Char(
        groups="base.group_system", copy=False, help="The msal account of this connection."
    )

    # ------------------------------------------------------------------ configuration

    def _microsoft_param(self, name, default=None):
        return self._sync_param(PARAM(name), default)

    @api.model
    def _microsoft_redirect_uri(self):
        return f"{self.get_base_url()}/calendar_sync_microsoft/authentication"

    @api.model
    def _microsoft_app(self, token_cache=None):
        """msal's application for the configured registration, tenant and authority host."""
        return build_app(
            self._microsoft_param("client_id") or "",
            self._microsoft_param("client_secret") or "",
            authority_host=self._microsoft_param("authority_host"),
            tenant=self._microsoft_param("tenant") or "common",
            token_cache=token_cache,
        )

    # ------------------------------------------------------------------ connector

    def _microsoft_tokens(self, scopes=GRAPH_SCOPES):
        credentials, save = self._sync_credentials()
        app = self._microsoft_app(load_cache(credentials["token_cache"] or None))
        return MsalTokenProvider(
            app,
            self.microsoft_home_account_id or "",
            scopes=scopes,
            on_cache_change=lambda cache: save({"token_cache": cache}),
        )

    def _microsoft_graph_base(self):
        return f"{self._microsoft_param('graph_endpoint').rstrip('/')}/v1.0"

    def _microsoft_sent_items_client(self):
        return GraphSentItemsClient(
            self._sync_http_session(),
            self._microsoft_tokens(MAIL_SCOPES),
            graph_base=self._microsoft_graph_base(),
        )

    def _sync_contacts_connector(self):
        if self.provider != "microsoft":
            return super()._sync_contacts_connector()
        return GraphContactsClient(
            self._sync_http_session(),
            self._microsoft_tokens(CONTACT_SCOPES),
            graph_base=self._microsoft_graph_base(),
            database_tag=self.env["ir.config_parameter"].sudo().get_param("database.uuid"),
        )

    def _microsoft_linked_event_ids(self, remote_ids):
        """Which of ``remote_ids`` this connection links to a single event or exception."""
        links = self.env["calendar.sync.link"]._for_remote_ids(self, remote_ids)
        return links.filtered("event_id").mapped("remote_id")

    def _microsoft_series_ids(self):
        """Remote ids of the series this connection links (asked only when Graph reports a
        removal it does not tie to a series)."""
        links = self.env["calendar.sync.link"].search(
            [
                ("account_id", "=", self.id),
                ("recurrence_id", "!=", False),
                ("remote_id", "!=", False),
            ]
        )
        return links.mapped("remote_id")

    # ------------------------------------------------------------------ OAuth (msal)

    @api.model
    def _microsoft_start_flow(self):
        """The consent URL and the msal flow (state, PKCE verifier, nonce) to keep."""
        return start_flow(
            self._microsoft_app(), self._microsoft_redirect_uri(), self._microsoft_scopes()
        )

    @api.model
    def _microsoft_scopes(self):
        """What users consent to: the calendar, plus Contacts.ReadWrite while contacts sync
        and Mail.ReadWrite while copying sent e-mails is on (users who connected before one
        was turned on must connect again)."""
        scopes = GRAPH_SCOPES
        if self.env["calendar.sync.contact.link"]._contact_sync_enabled():
            scopes += CONTACT_SCOPES
        if self.env["calendar.sync.sent.mail"]._sent_mail_enabled():
            scopes += MAIL_SCOPES
        return scopes

    @api.model
    def _microsoft_connect(self, flow, query_params):
        app = self._microsoft_app()
        signed_in = finish_flow(app, flow, query_params)
        account = self.sudo().with_context(active_test=False).search(
            [("user_id", "=", self.env.uid), ("provider", "=", "microsoft")]
        ) or self.sudo().create({"user_id": self.env.uid, "provider": "microsoft"})
        account.write(
            {
                "active": True,
                "state": "connected",
                "last_error": False,
                "remote_email": signed_in.username,
                "microsoft_home_account_id": signed_in.home_account_id,
                "token_cache": signed_in.token_cache,
            }
        )
        self.env["calendar.sync.channel"]._push_schedule()
        return account
