from dataclasses import replace

from odoo import api, models

from odoo.addons.calendar_sync_base.models.calendar_sync_account import DEADLINE_KEY

from calendar_sync_base.services.timeutil import as_aware
from calendar_sync_exchange.services.ews_account import (
    ExchangeSettings,
    build_account,
    discover_endpoint,
    offered_auth_schemes,
)
from calendar_sync_exchange.services.ews_client import MAX_BATCH_SIZE, ExchangeCalendarClient
from calendar_sync_exchange.services.ews_contacts import ExchangeContactsClient
from calendar_sync_exchange.services.ews_sent_items import ExchangeSentItemsClient

PARAM = "calendar_sync_exchange.{}".format
SERVER_VERSION_PARAM = PARAM("server_version")
# The EWS URL autodiscover found (kept: each sync does not autodiscover again).
DISCOVERED_URL_PARAM = PARAM("discovered_ews_url")


class CalendarSyncProviderExchange(models.AbstractModel):
    """Exchange Server on-premises through EWS (exchangelib) behind the base's provider seam.

    Access is the administrator's choice in Settings: a service account impersonating each
    user's mailbox (``admin_credentials``: a user is connected at once with their e-mail
    address) or each user's own Exchange login (``user_credentials``: a form checks it
    against Exchange before saving it where only administrators can read it).
    """

    _name = "calendar.sync.provider.exchange"
    _inherit = "calendar.sync.provider"
    _description = "Calendar Sync Provider: Exchange Server (EWS)"

    _sync_provider_code = "exchange"
    # Items per CreateItem / UpdateItem / DeleteItem call.
    _sync_batch_size = MAX_BATCH_SIZE
    # EWS streaming and push subscriptions are not used: polling by the scheduled action.
    _sync_push_notifications = False
    # A sync state carries no listing window (incremental listings report every change):
    # nothing to move on by a periodic full listing.
    _sync_cursor_max_age = None
    # SendMeetingInvitations="SendToNone" creates meetings with guests silently.
    _sync_pushes_silently = True
    # Contact items in an "Odoo" contacts folder of each mailbox.
    _sync_contacts = True
    # E-mails sent from Odoo saved in Sent Items (CreateItem SaveOnly, as sent items).
    _sync_sent_items = True

    @property
    def _sync_connect_kind(self):
        return "user_credentials" if self._exchange_per_user() else "admin_credentials"

    # ------------------------------------------------------------------ configuration

    @api.model
    def _exchange_param(self, name):
        return self.env["ir.config_parameter"].sudo().get_param(PARAM(name)) or ""

    @api.model
    def _exchange_per_user(self):
        """Each user's own credentials (OAuth client credentials are always the service's)."""
        return self._exchange_param("access") == "delegate" and self._exchange_auth() != "oauth"

    @api.model
    def _exchange_auth(self):
        return self._exchange_param("auth") or "ntlm"

    @api.model
    def _exchange_settings(self, mailbox, login="", password=""):
        """The connection settings of ``mailbox``: the service account's credentials, or
        the user's own ``login`` and ``password`` when each user enters theirs."""
        per_user = self._exchange_per_user()
        settings = ExchangeSettings(
            endpoint=self._exchange_param("ews_url") or self._exchange_param("discovered_ews_url"),
            mailbox=mailbox or "",
            auth=self._exchange_auth(),
            access="delegate" if per_user else "impersonation",
            username=login if per_user else self._exchange_param("username"),
            password=password if per_user else self._exchange_param("password"),
            client_id=self._exchange_param("client_id"),
            client_secret=self._exchange_param("client_secret"),
            tenant_id=self._exchange_param("tenant_id"),
            authority=self._exchange_param("oauth_authority"),
            ca_bundle=self._exchange_param("ca_bundle"),
        )
        if settings.endpoint or not self._exchange_param("autodiscover"):
            return settings
        return self._exchange_discover(settings)

    @api.model
    def _exchange_discover(self, settings):
        """``settings`` with the EWS URL autodiscover finds for their mailbox, kept for the
        next syncs (shown in Settings)."""
        endpoint = discover_endpoint(settings)
        self.env["ir.config_parameter"].sudo().set_param(DISCOVERED_URL_PARAM, endpoint)
        return replace(settings, endpoint=endpoint)

    @api.model
    def _exchange_client(self, settings, **options):
        return ExchangeCalendarClient(build_account(settings), **options)

    @api.model
    def _is_configured(self):
        if not (self._exchange_param("ews_url") or self._exchange_param("autodiscover")):
            return False
        if self._exchange_auth() == "oauth":
            names = ("client_id", "client_secret", "tenant_id")
        elif self._exchange_per_user():
            names = ()
        else:
            names = ("username", "password")
        return all(self._exchange_param(name) for name in names)

    @api.model
    def _cron(self):
        return self._scheduled_action("calendar_sync_exchange.calendar_sync_exchange_cron_sync")

    @api.model
    def _contacts_cron(self):
        return self._scheduled_action(
            "calendar_sync_exchange.calendar_sync_exchange_cron_sync_contacts"
        )

    @api.model
    def _mail_cron(self):
        return self._scheduled_action(
            "calendar_sync_exchange.calendar_sync_exchange_cron_copy_sent_mails"
        )

    # ------------------------------------------------------------------ connecting

    @api.model
    def _connect_action(self, user):
        if self._sync_connect_kind == "user_credentials":
            return {
                "status": "action",
                "action": self.env["calendar.sync.exchange.login"]._action(),
            }
        if not user.email:
            return _notify(
                self.env._(
                    "Your user has no e-mail address: Exchange Server finds your mailbox by it. "
                    "Set it in your preferences, then connect again."
                ),
                "warning",
            )
        account = self._exchange_connect(user, user.email)
        return _notify(
            self.env._(
                "%(provider)s connected to the mailbox %(mailbox)s: the first synchronization "
                "starts now.",
                provider=self._sync_label(),
                mailbox=account.remote_email,
            ),
            "success",
        )

    @api.model
    def _exchange_connect(self, user, mailbox, login=False, password=False):
        """Connect ``user`` to ``mailbox`` (their own ``login`` and ``password`` when each
        user enters theirs) and have the first synchronization run in the background."""
        accounts = self.env["calendar.sync.account"].sudo().with_context(active_test=False)
        account = accounts.search([("user_id", "=", user.id), ("provider", "=", "exchange")])
        account = account or accounts.create({"user_id": user.id, "provider": "exchange"})
        account.write(
            {
                "active": True,
                "state": "connected",
                "last_error": False,
                "remote_email": mailbox,
                "exchange_login": login,
                "exchange_password": password,
            }
        )
        account._sync_request()
        return account

    @api.model
    def _exchange_check_login(self, mailbox, login, password):
        """Open ``mailbox`` with the user's own credentials (one ``GetFolder``); raises a
        ``SyncError`` when Exchange refuses them."""
        client = self._exchange_client(self._exchange_settings(mailbox, login, password))
        self._exchange_remember_version(client.server_version())

    @api.model
    def _exchange_remember_version(self, version):
        """Keep the server version Settings shows (written only when it changed)."""
        params = self.env["ir.config_parameter"].sudo()
        if params.get_param(SERVER_VERSION_PARAM) != version:
            params.set_param(SERVER_VERSION_PARAM, version)

    # ------------------------------------------------------------------ connector

    @api.model
    def _connector(self, account):
        return self._exchange_client(
            self._exchange_account_settings(account),
            timezone_hint=account.user_id.tz or "",
            window_start=as_aware(account._sync_window_start()),
            deadline=self.env.context.get(DEADLINE_KEY),
            **account._sync_page_options(),
        )

    @api.model
    def _exchange_account_settings(self, account):
        return self._exchange_settings(
            account.remote_email, account.exchange_login, account.exchange_password
        )

    @api.model
    def _contacts_connector(self, account):
        return ExchangeContactsClient(
            build_account(self._exchange_account_settings(account)),
            database_tag=self.env["ir.config_parameter"].sudo().get_param("database.uuid"),
            deadline=self.env.context.get(DEADLINE_KEY),
        )

    @api.model
    def _sent_items_client(self, account):
        return ExchangeSentItemsClient(
            build_account(self._exchange_account_settings(account)),
            deadline=self.env.context.get(DEADLINE_KEY),
        )

    # ------------------------------------------------------------------ Sync Console

    @api.model
    def _console_check_connection(self):
        """Test Connection. The service account opens the administrator's own mailbox (the
        impersonation right or the OAuth application is then proven); with per-user
        credentials, the EWS URL must offer the configured authentication. Without an EWS
        URL, autodiscover finds it again."""
        self.env["ir.config_parameter"].sudo().set_param(DISCOVERED_URL_PARAM, False)
        settings = self._exchange_settings(self.env.user.email)
        if self._exchange_per_user():
            offered = offered_auth_schemes(settings)
            return self.env._(
                "Exchange Server answers at %(url)s and offers %(schemes)s. Its version is "
                "shown once a user has connected.",
                url=settings.endpoint,
                schemes=", ".join(offered),
            )
        version = self._exchange_client(settings).server_version()
        self._exchange_remember_version(version)
        return self.env._(
            "Exchange Server %(version)s answered; the service account opened the mailbox "
            "%(mailbox)s.",
            version=version,
            mailbox=settings.mailbox,
        )

    @api.model
    def _console_probe(self, account, connector):  # pylint: disable=unused-argument
        """Validate Users: one ``GetFolder`` of the user's calendar."""
        connector.server_version()


def _notify(message, kind):
    return {
        "status": "action",
        "action": {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": message, "type": kind},
        },
    }
