from odoo import api, models

from calendar_sync_base.services.errors import ConfigurationError
from calendar_sync_test.services.fake_calendar import SERVER, FakeConnector

# The fake service's only setting: the administrator "names the server".
SERVER_PARAM = "calendar_sync_fake.server"


class CalendarSyncProviderFake(models.AbstractModel):
    """The in-memory fake calendar (``services/fake_calendar.py``) as a provider: connecting
    asks nothing (the administrator's credentials reach every mailbox), as a service account
    would: the service grants Odoo an access token to the user's mailbox, kept on the
    account. Everything here goes through the seam; the base knows nothing of it."""

    _name = "calendar.sync.provider.fake"
    _inherit = "calendar.sync.provider"
    _description = "Calendar Sync Provider: in-memory fake (tests)"

    _sync_provider_code = "fake"
    _sync_connect_kind = "admin_credentials"

    @api.model
    def _is_configured(self):
        return bool(self.env["ir.config_parameter"].sudo().get_param(SERVER_PARAM))

    @api.model
    def _cron(self):
        return self.env.ref("calendar_sync_test.calendar_sync_test_cron_sync")

    @api.model
    def _connect_action(self, user):
        """Connect at once (the administrator's credentials reach the user's mailbox)."""
        accounts = self.env["calendar.sync.account"].sudo().with_context(active_test=False)
        account = accounts.search([("user_id", "=", user.id), ("provider", "=", "fake")])
        account = account or accounts.create({"user_id": user.id, "provider": "fake"})
        account.write(
            {
                "active": True,
                "state": "connected",
                "last_error": False,
                "remote_email": user.email,
                "access_token": SERVER.grant(user.email),
            }
        )
        account._sync_request()
        return {
            "status": "action",
            "action": {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "message": self.env._("Connected: the first synchronization starts now."),
                    "type": "success",
                },
            },
        }

    @api.model
    def _connector(self, account):
        if not self._is_configured():
            raise ConfigurationError(self.env._("No fake server is set."))
        credentials, _save = account._sync_credentials()
        return FakeConnector(
            SERVER,
            account.remote_email,
            credentials["access_token"] or "",
            session=account._sync_http_session(),
            **account._sync_page_options(),
        )

    @api.model
    def _console_check_connection(self):
        if not self._is_configured():
            raise ConfigurationError(self.env._("No fake server is set."))
        server = self.env["ir.config_parameter"].sudo().get_param(SERVER_PARAM)
        return self.env._("The fake server %(server)s answered.", server=server)

    @api.model
    def _console_probe(self, account, connector):  # pylint: disable=unused-argument
        connector.check_access()
