import datetime as dt
import logging
import secrets

from werkzeug.exceptions import Forbidden, NotFound

from odoo import api, fields, models
from odoo.tools import consteq

from calendar_sync_base.services.push import is_public_https

from .calendar_sync_account import PUSH_POLL_FACTOR, SYNCABLE_STATES, TOKEN_GROUP

_logger = logging.getLogger(__name__)

# A channel is renewed once it has less than this left (the channel cron runs hourly).
RENEW_BEFORE = dt.timedelta(days=1)
LIFECYCLE_EVENTS = [
    ("reauthorize", "Reauthorization required"),
    ("recreate", "Removed by the provider"),
]


class CalendarSyncChannel(models.Model):
    """A push channel: the provider calls Odoo back when the calendar of one connection
    changes (a Google ``events.watch`` channel, a Graph subscription).

    A notification carries the channel's remote id and its secret (Google's channel token,
    Graph's ``clientState``): the routes look the channel up by id, compare the secret in
    constant time and only ask for a sync of that connection (``_sync_request``); the sync
    itself runs in the provider's cron worker. Channels are opened, renewed before they
    expire and closed by the hourly channel cron (``_cron_push_channels``), and closed when
    the user disconnects or resets the connection. Administrators only: the secret is a
    credential.

    Providers with ``_sync_push_notifications`` plug in with their provider model's
    ``_push_open(account, base_url, secret)`` -> values (``remote_id``, ``resource_id``,
    ``expiration``), ``_push_close(channel)``, and optionally ``_push_renew(channel)`` (renew
    in place; default: open a new channel, then close the old one) and
    ``_push_reauthorize(channel)``.
    """

    _name = "calendar.sync.channel"
    _description = "Calendar Sync Push Channel"
    _order = "expiration desc, id desc"

    account_id = fields.Many2one(
        "calendar.sync.account", required=True, ondelete="cascade", index=True
    )
    provider = fields.Selection(related="account_id.provider", store=True)
    remote_id = fields.Char(required=True, help="The channel or subscription id.")
    resource_id = fields.Char(
        help="The provider's id of the watched resource, where stopping the channel needs it."
    )
    secret = fields.Char(groups=TOKEN_GROUP, copy=False, help="Checked on every notification.")
    expiration = fields.Datetime(required=True)
    lifecycle_event = fields.Selection(
        LIFECYCLE_EVENTS, help="What the provider asked for; done by the next channel cron run."
    )

    _sql_constraints = [
        ("remote_unique", "unique(provider, remote_id)", "A channel id is unique per provider."),
    ]

    # ------------------------------------------------------------------ notifications

    @api.model
    def _push_verified(self, provider, remote_id, secret):
        """The channel a notification names, if its secret is the channel's: unknown ->
        ``NotFound``, wrong secret -> ``Forbidden``; nothing else happens either way."""
        channel = self.sudo().search(
            [("provider", "=", provider), ("remote_id", "=", remote_id or "")], limit=1
        )
        if not channel:
            raise NotFound()
        if not consteq(channel.secret or "", secret or ""):
            raise Forbidden()
        return channel

    def _push_lifecycle(self, event):
        """The provider asked for something the route must not do itself (an API call):
        record it and wake the channel cron."""
        self.lifecycle_event = event
        self._push_schedule()

    @api.model
    def _push_schedule(self):
        """Run the channel cron now (a new connection, a lifecycle notification)."""
        cron = self.env.ref(
            "calendar_sync_base.calendar_sync_cron_push_channels", raise_if_not_found=False
        )
        if cron:
            cron.sudo()._trigger()

    # ------------------------------------------------------------------ where Odoo is reached

    @api.model
    def _push_base_url(self):
        """Odoo's address if the providers can call it (public https), else None."""
        url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        return url.rstrip("/") if is_public_https(url) else None

    @api.model
    def _push_status_message(self, provider):
        """Why push notifications are on or off for ``provider``, for the Settings page."""
        accounts = self.env["calendar.sync.account"]
        label = accounts._sync_provider_label(provider)
        if self._push_base_url():
            return self.env._(
                "Push notifications are on: %(provider)s calls Odoo back when an event "
                "changes, and the scheduled synchronization of those connections runs "
                "%(factor)s times less often, as a safety net.",
                provider=label,
                factor=PUSH_POLL_FACTOR,
            )
        return self.env._(
            "Push notifications are off: Odoo's address (web.base.url: %(url)s) is not a "
            "public https address %(provider)s can reach. Remote changes arrive with the "
            "scheduled synchronization or when a user opens Calendar.",
            url=self.env["ir.config_parameter"].sudo().get_param("web.base.url") or "-",
            provider=label,
        )

    # ------------------------------------------------------------------ channel cron

    @api.model
    def _cron_push_channels(self):
        """Open, renew, repair and close channels so that every synced connection has one
        exactly while Odoo can be reached; a connection's failure is logged and retried next
        run (polling goes on meanwhile).

        Each connection is committed as soon as it is done (the cron's progress report), so
        a new channel is known before the provider's first notification on it; a connection a
        sync is holding (its row lock) is left for the next run.
        """
        base_url = self._push_base_url()
        accounts = self.env["calendar.sync.account"].sudo().with_context(active_test=False)
        domain = [("push_channel_ids", "!=", False)]
        if base_url:
            domain = ["|", ("state", "in", SYNCABLE_STATES), *domain]
        # Push off: only channels to close (walking every connection for nothing outlived
        # the cron's time limit with 1,000 of them, bench-idle).
        found = accounts.search(domain)
        for done, account in enumerate(found, 1):
            if account._sync_provider()._sync_push_notifications:
                self._push_maintain_guarded(account, base_url)
            accounts._sync_notify_progress(done, len(found) - done)

    @api.model
    def _push_maintain_guarded(self, account, base_url):
        wanted = (
            base_url
            and account.active
            and account.state in SYNCABLE_STATES
            and not account._sync_provider_paused()
        )
        try:
            with self.env.cr.savepoint():
                if account._sync_try_lock():
                    self._push_maintain(account, base_url if wanted else None)
        except Exception:  # noqa: BLE001 pylint: disable=broad-exception-caught
            _logger.warning(
                "Push channel of calendar connection %s could not be maintained",
                account.id,
                exc_info=True,
            )

    @api.model
    def _push_maintain(self, account, base_url):
        """One channel for ``account`` while ``base_url`` is set, none otherwise."""
        channels = account.push_channel_ids
        if not base_url:
            channels._push_close()
            return
        now = fields.Datetime.now()
        live = channels.filtered(lambda channel: channel.expiration > now)
        (channels - live).unlink()  # expired: nothing left to stop
        if not live:
            self._push_open(account, base_url)
            return
        channel = live[0]  # the latest; any other is left over from an interrupted renewal
        (live - channel)._push_close()
        if channel.lifecycle_event:
            channel._push_repair(base_url)
        elif channel.expiration - now < RENEW_BEFORE:
            channel._push_renew(base_url)

    @api.model
    def _push_open(self, account, base_url):
        secret = secrets.token_urlsafe(32)
        vals = account._sync_provider()._push_open(account, base_url, secret)
        return self.create({**vals, "account_id": account.id, "secret": secret})

    def _push_renew(self, base_url):
        """Renew in place where the provider can (Graph); otherwise open a new channel and
        stop this one only then, so no change falls between the two (Google)."""
        self.ensure_one()
        account = self.account_id
        expiration = account._sync_provider()._push_renew(self)
        if expiration:
            self.expiration = expiration
            return self
        channel = self._push_open(account, base_url)
        self._push_close()
        return channel

    def _push_repair(self, base_url):
        """Do what a lifecycle notification asked: reauthorize, or replace a channel the
        provider removed (its changes are read by the sync this asks for)."""
        self.ensure_one()
        account = self.account_id
        if self.lifecycle_event == "reauthorize":
            account._sync_provider()._push_reauthorize(self)
            self.lifecycle_event = False
            return self
        channel = self._push_open(account, base_url)
        self.unlink()  # already gone remotely
        account._sync_request()
        return channel

    def _push_close(self):
        """Stop these channels remotely (a failure is only logged: the channel expires by
        itself) and forget them."""
        for channel in self:
            try:
                channel.account_id._sync_provider()._push_close(channel)
            except Exception:  # noqa: BLE001 pylint: disable=broad-exception-caught
                _logger.info("Push channel %s could not be stopped", channel.id, exc_info=True)
        self.unlink()
