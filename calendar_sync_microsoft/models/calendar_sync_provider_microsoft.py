import datetime as dt

from dateutil.parser import isoparse

from odoo import api, models

from calendar_sync_base.services.timeutil import as_aware, naive_utc
from calendar_sync_microsoft.services.graph_client import GraphCalendarClient
from calendar_sync_microsoft.services.graph_contacts import GraphContactsClient
from calendar_sync_microsoft.services.msal_auth import check_app, check_tenant

from .calendar_sync_account import CONTACT_SCOPES

NOTIFY_PATH = "/calendar_sync_microsoft/notify"
LIFECYCLE_PATH = "/calendar_sync_microsoft/lifecycle"
# Graph keeps a subscription to Outlook events at most 10,080 minutes (under 7 days); an
# hour less leaves room for clock skew.
SUBSCRIPTION_LIFETIME = dt.timedelta(minutes=10080 - 60)


class CalendarSyncProviderMicrosoft(models.AbstractModel):
    """Outlook / Microsoft 365 through Microsoft Graph behind the base's provider seam
    (OAuth through msal, delta queries, subscriptions)."""

    _name = "calendar.sync.provider.microsoft"
    _inherit = "calendar.sync.provider"
    _description = "Calendar Sync Provider: Outlook (Microsoft Graph)"

    _sync_provider_code = "microsoft"
    _sync_connect_kind = "oauth_redirect"
    _sync_push_notifications = True
    # A delta link keeps the calendarView window of the listing that started it.
    _sync_cursor_max_age = dt.timedelta(days=30)
    # Graph has no way to create a meeting with attendees without inviting them.
    _sync_pushes_silently = False
    _sync_contacts = True
    _sync_sent_items = True

    # ------------------------------------------------------------------ configuration

    @api.model
    def _is_configured(self):
        return bool(self.env["calendar.sync.account"]._microsoft_param("client_id"))

    @api.model
    def _cron(self):
        return self._scheduled_action("calendar_sync_microsoft.calendar_sync_microsoft_cron_sync")

    @api.model
    def _contacts_cron(self):
        return self._scheduled_action(
            "calendar_sync_microsoft.calendar_sync_microsoft_cron_sync_contacts"
        )

    @api.model
    def _mail_cron(self):
        return self._scheduled_action(
            "calendar_sync_microsoft.calendar_sync_microsoft_cron_copy_sent_mails"
        )

    @api.model
    def _connect_action(self, user):  # pylint: disable=unused-argument
        return {"status": "redirect", "url": "/calendar_sync_microsoft/authorize"}

    # ------------------------------------------------------------------ connector

    @api.model
    def _connector(self, account):
        database_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        return GraphCalendarClient(
            account._sync_http_session(),
            account._microsoft_tokens(),
            graph_base=account._microsoft_graph_base(),
            window_start=as_aware(account._sync_window_start()),
            timezone_hint=account.user_id.tz or "",
            series_ids=account._microsoft_series_ids,
            linked_ids=account._microsoft_linked_event_ids,
            transaction_prefix=f"{database_uuid}:{account.id}",
            **account._sync_page_options(),
        )

    @api.model
    def _contacts_connector(self, account):
        return GraphContactsClient(
            account._sync_http_session(),
            account._microsoft_tokens(CONTACT_SCOPES),
            graph_base=account._microsoft_graph_base(),
            database_tag=self.env["ir.config_parameter"].sudo().get_param("database.uuid"),
        )

    @api.model
    def _sent_items_client(self, account):
        return account._microsoft_sent_items_client()

    # ------------------------------------------------------------------ sync console

    @api.model
    def _console_check_connection(self):
        """Test Connection: the tenant exists (``check_tenant``) and accepts the configured
        application (``check_app``)."""
        accounts = self.env["calendar.sync.account"]
        check_tenant(
            accounts._microsoft_param("authority_host"), accounts._microsoft_param("tenant")
        )
        check_app(accounts._microsoft_app())
        return self.env._(
            "Microsoft accepted the application %(app)s in the tenant %(tenant)s.",
            app=accounts._microsoft_param("client_id"),
            tenant=accounts._microsoft_param("tenant") or "common",
        )

    @api.model
    def _console_probe(self, account, connector):  # pylint: disable=unused-argument
        """Validate Users: one light read of the user's calendar (an event id at most)."""
        connector.check_access()

    # ------------------------------------------------------------------ push (subscription)

    @api.model
    def _push_open(self, account, base_url, secret):
        subscription = account._sync_connector().subscribe(
            f"{base_url}{NOTIFY_PATH}", f"{base_url}{LIFECYCLE_PATH}", secret, _subscription_end()
        )
        return {"remote_id": subscription["id"], "expiration": _expiration(subscription)}

    @api.model
    def _push_renew(self, channel):
        subscription = channel.account_id._sync_connector().renew_subscription(
            channel.remote_id, _subscription_end()
        )
        return _expiration(subscription)

    @api.model
    def _push_reauthorize(self, channel):
        channel.account_id._sync_connector().reauthorize_subscription(channel.remote_id)

    @api.model
    def _push_close(self, channel):
        channel.account_id._sync_connector().delete_subscription(channel.remote_id)


def _subscription_end():
    return dt.datetime.now(dt.timezone.utc) + SUBSCRIPTION_LIFETIME


def _expiration(subscription):
    """Graph's ``expirationDateTime`` as Odoo stores it (naive UTC)."""
    moment = isoparse(subscription["expirationDateTime"])
    return naive_utc(moment)
