from odoo import api, fields, models

from calendar_sync_base.services.errors import ConfigurationError, SyncError
from calendar_sync_base.services.http import ResilientSession
from calendar_sync_base.services.timeutil import naive_utc
from calendar_sync_google.services.auth import exchange_code

PARAM = "calendar_sync_google.{}".format


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
