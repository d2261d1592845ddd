import datetime as dt

from odoo import api, models

from calendar_sync_base.services.http import ResilientSession
from calendar_sync_base.services.timeutil import as_aware, naive_utc
from calendar_sync_google.services.auth import GoogleTokenProvider, check_client
from calendar_sync_google.services.client import GoogleCalendarClient

NOTIFY_PATH = "/calendar_sync_google/notify"


class CalendarSyncProviderGoogle(models.AbstractModel):
    """Google Calendar behind the base's provider seam (OAuth with PKCE, events.watch)."""

    _name = "calendar.sync.provider.google"
    _inherit = "calendar.sync.provider"
    _description = "Calendar Sync Provider: Google Calendar"

    _sync_provider_code = "google"
    _sync_connect_kind = "oauth_redirect"
    _sync_push_notifications = True
    # A sync token keeps the window (timeMin) of the full listing that started it.
    _sync_cursor_max_age = dt.timedelta(days=30)

    # ------------------------------------------------------------------ configuration

    @api.model
    def _is_configured(self):
        return bool(self.env["calendar.sync.account"]._google_param("client_id"))

    @api.model
    def _cron(self):
        return self._scheduled_action("calendar_sync_google.calendar_sync_google_cron_sync")

    @api.model
    def _connect_action(self, user):  # pylint: disable=unused-argument
        return {"status": "redirect", "url": "/calendar_sync_google/authorize"}

    # ------------------------------------------------------------------ connector

    @api.model
    def _connector(self, account):
        client_id, client_secret = account._google_client_credentials()
        credentials, save = account._sync_credentials()
        session = account._sync_http_session()
        tokens = GoogleTokenProvider(
            session,
            account._google_param("token_endpoint"),
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
            api_base=account._google_param("api_base"),
            batch_url=account._google_param("batch_url"),
            window_start=as_aware(account._sync_window_start()),
            batch_size=int(account._google_param("batch_request_size", 50)),
            **account._sync_page_options(),
        )

    # ------------------------------------------------------------------ sync console

    @api.model
    def _console_check_connection(self):
        """Test Connection: Google accepts the configured OAuth client (``check_client``)."""
        accounts = self.env["calendar.sync.account"]
        client_id, client_secret = accounts._google_client_credentials()
        check_client(
            ResilientSession(), accounts._google_param("token_endpoint"), client_id, client_secret
        )
        return self.env._("Google accepted the OAuth client %(client_id)s.", client_id=client_id)

    @api.model
    def _console_probe(self, account, connector):  # pylint: disable=unused-argument
        """Validate Users: one light read of the user's calendar (its settings)."""
        connector.calendar_defaults()

    # ------------------------------------------------------------------ push channel

    @api.model
    def _push_open(self, account, base_url, secret):
        channel = account._sync_connector().watch(f"{base_url}{NOTIFY_PATH}", secret)
        expiration = dt.datetime.fromtimestamp(int(channel["expiration"]) / 1000, dt.timezone.utc)
        return {
            "remote_id": channel["id"],
            "resource_id": channel["resourceId"],
            "expiration": naive_utc(expiration),
        }

    @api.model
    def _push_close(self, channel):
        channel.account_id._sync_connector().stop_channel(channel.remote_id, channel.resource_id)
