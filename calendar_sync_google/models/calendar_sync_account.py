import datetime as dt

from odoo import api, fields, models

from calendar_sync_base.services.errors import ConfigurationError, SyncError
from calendar_sync_base.services.http import ResilientSession
from calendar_sync_base.services.timeutil import as_aware, naive_utc
from calendar_sync_google.services.auth import GoogleTokenProvider, check_client, exchange_code
from calendar_sync_google.services.client import GoogleCalendarClient

PARAM = "calendar_sync_google.{}".format
NOTIFY_PATH = "/calendar_sync_google/notify"


class CalendarSyncAccount(models.Model):
    _inherit = "calendar.sync.account"

    provider = fields.Selection(
        selection_add=[("google", "Google")], ondelete={"google": "cascade"}
    )

    # ------------------------------------------------------------------ configuration

    def _google_param(self, name, default=None):
        return self._sync_param(PARAM(name), default)

    def _google_client_credentials(self):
        client_id = self._google_param("client_id")
        client_secret = self._google_param("client_secret")
        if not client_id or not client_secret:
            raise ConfigurationError(
                self.env._(
                    "Google Calendar is not configured: enter the Client ID and Client Secret "
                    "in Calendar > Configuration > Settings."
                )
            )
        return client_id, client_secret

    @api.model
    def _google_redirect_uri(self):
        return f"{self.get_base_url()}/calendar_sync_google/authentication"

    # ------------------------------------------------------------------ connector

    def _sync_connector_google(self):
        client_id, client_secret = self._google_client_credentials()
        credentials, save = self._sync_credentials()
        session = self._sync_http_session()
        tokens = GoogleTokenProvider(
            session,
            self._google_param("token_endpoint"),
            client_id,
            client_secret,
            refresh_token=credentials["refresh_token"] or "",
            access_token=credentials["access_token"] or "",
            expiry=as_aware(credentials["access_token_expiry"]),
            on_refresh=lambda access, expiry, refresh: save(
                {
                    "access_token": access,
                    "access_token_expiry": naive_utc(expiry),
                    "refresh_token": refresh,
                }
            ),
        )
        return GoogleCalendarClient(
            session,
            tokens,
            api_base=self._google_param("api_base"),
            batch_url=self._google_param("batch_url"),
            window_start=as_aware(self._sync_window_start()),
            batch_size=int(self._google_param("batch_request_size", 50)),
            **self._sync_page_options(),
        )

    # ------------------------------------------------------------------ sync console

    @api.model
    def _console_check_connection_google(self):
        """Test Connection: Google accepts the configured OAuth client (``check_client``)."""
        client_id, client_secret = self._google_client_credentials()
        check_client(
            ResilientSession(), self._google_param("token_endpoint"), client_id, client_secret
        )
        return self.env._("Google accepted the OAuth client %(client_id)s.", client_id=client_id)

    def _console_probe_google(self, connector):
        """Validate Users: one light read of the user's calendar (its settings)."""
        connector.calendar_defaults()

    # ------------------------------------------------------------------ push channel

    def _push_open_google(self, base_url, secret):
        channel = self._sync_connector().watch(f"{base_url}{NOTIFY_PATH}", secret)
        expiration = dt.datetime.fromtimestamp(int(channel["expiration"]) / 1000, dt.timezone.utc)
        return {
            "remote_id": channel["id"],
            "resource_id": channel["resourceId"],
            "expiration": naive_utc(expiration),
        }

    def _push_close_google(self, channel):
        self._sync_connector().stop_channel(channel.remote_id, channel.resource_id)

    # ------------------------------------------------------------------ OAuth callback

    @api.model
    def _google_connect(self, code, code_verifier):
        """Exchange the consent code and store the grant on the user's account."""
        client_id, client_secret = self._google_client_credentials()
        payload = exchange_code(
            ResilientSession(),
            self._google_param("token_endpoint"),
            client_id,
            client_secret,
            code,
            self._google_redirect_uri(),
            code_verifier,
        )
        account = self.sudo().with_context(active_test=False).search(
            [("user_id", "=", self.env.uid), ("provider", "=", "google")]
        ) or self.sudo().create({"user_id": self.env.uid, "provider": "google"})
        vals = {
            "active": True,
            "state": "connected",
            "last_error": False,
            "access_token": payload["access_token"],
            "access_token_expiry": naive_utc(payload.get("expiry")),
        }
        # Google sends a refresh token with every forced consent; keep the old one otherwise.
        if payload.get("refresh_token"):
            vals["refresh_token"] = payload["refresh_token"]
        account.write(vals)
        account._google_record_owner()
        self.env["calendar.sync.channel"]._push_schedule()
        return account

    def _google_record_owner(self):
        """Remember which Google account the user signed in with (shown on the connection).
        Informative only: if Google cannot say now, the first sync reports the problem."""
        try:
            self.remote_email = self._sync_connector().owner_email()
        except SyncError:
            self.remote_email = False
