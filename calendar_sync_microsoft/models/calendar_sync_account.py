import datetime as dt

from dateutil.parser import isoparse

from odoo import api, fields, models

from calendar_sync_base.services.timeutil import as_aware, naive_utc
from calendar_sync_microsoft.services.graph_client import GraphCalendarClient
from calendar_sync_microsoft.services.graph_contacts import GraphContactsClient
from calendar_sync_microsoft.services.graph_sent_items import GraphSentItemsClient
from calendar_sync_microsoft.services.msal_auth import (
    GRAPH_SCOPES,
    MsalTokenProvider,
    build_app,
    check_app,
    check_tenant,
    finish_flow,
    load_cache,
    start_flow,
)

PARAM = "calendar_sync_microsoft.{}".format
NOTIFY_PATH = "/calendar_sync_microsoft/notify"
LIFECYCLE_PATH = "/calendar_sync_microsoft/lifecycle"
# Graph keeps a subscription to Outlook events at most 10,080 minutes (under 7 days); an
# hour less leaves room for clock skew.
SUBSCRIPTION_LIFETIME = dt.timedelta(minutes=10080 - 60)
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

    @api.model
    def _sync_provider_pushes_silently(self, provider):
        # Graph has no way to create a meeting with attendees without inviting them.
        return provider != "microsoft" and super()._sync_provider_pushes_silently(provider)

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

    def _sync_connector_microsoft(self):
        return GraphCalendarClient(
            self._sync_http_session(),
            self._microsoft_tokens(),
            graph_base=self._microsoft_graph_base(),
            window_start=as_aware(self._sync_window_start()),
            timezone_hint=self.user_id.tz or "",
            series_ids=self._microsoft_series_ids,
            linked_ids=self._microsoft_linked_event_ids,
            transaction_prefix=f"{self.env['ir.config_parameter'].sudo().get_param('database.uuid')}:{self.id}",
            **self._sync_page_options(),
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

    # ------------------------------------------------------------------ sync console

    @api.model
    def _console_check_connection_microsoft(self):
        """Test Connection: the tenant exists (``check_tenant``) and accepts the configured
        application (``check_app``)."""
        check_tenant(self._microsoft_param("authority_host"), self._microsoft_param("tenant"))
        check_app(self._microsoft_app())
        return self.env._(
            "Microsoft accepted the application %(app)s in the tenant %(tenant)s.",
            app=self._microsoft_param("client_id"),
            tenant=self._microsoft_param("tenant") or "common",
        )

    def _console_probe_microsoft(self, connector):
        """Validate Users: one light read of the user's calendar (an event id at most)."""
        connector.check_access()

    # ------------------------------------------------------------------ push (subscription)

    def _push_open_microsoft(self, base_url, secret):
        subscription = self._sync_connector().subscribe(
            f"{base_url}{NOTIFY_PATH}", f"{base_url}{LIFECYCLE_PATH}", secret, _subscription_end()
        )
        return {"remote_id": subscription["id"], "expiration": _expiration(subscription)}

    def _push_renew_microsoft(self, channel):
        subscription = self._sync_connector().renew_subscription(
            channel.remote_id, _subscription_end()
        )
        return _expiration(subscription)

    def _push_reauthorize_microsoft(self, channel):
        self._sync_connector().reauthorize_subscription(channel.remote_id)

    def _push_close_microsoft(self, channel):
        self._sync_connector().delete_subscription(channel.remote_id)

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


def _subscription_end():
    return dt.datetime.now(dt.timezone.utc) + SUBSCRIPTION_LIFETIME


def _expiration(subscription):
    """Graph's ``expirationDateTime`` as Odoo stores it (naive UTC)."""
    moment = isoparse(subscription["expirationDateTime"])
    return naive_utc(moment)
