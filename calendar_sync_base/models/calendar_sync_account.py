import datetime as dt
import logging
import secrets
import threading
import time

import requests
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessDenied, UserError
from odoo.tools import config, consteq
from odoo.tools.misc import hmac as odoo_hmac

from calendar_sync_base.services.engine import SyncCounts, SyncRules
from calendar_sync_base.services.errors import (
    AuthExpired,
    ConfigurationError,
    CursorExpired,
    RemoteRejected,
    SyncError,
    Throttled,
    TimeBudgetExceeded,
)
from calendar_sync_base.services.http import ResilientSession
from calendar_sync_base.services.merge import ConflictPolicy
from calendar_sync_base.services.model import Direction
from calendar_sync_base.services.time_budget import cron_run_budget

from .calendar_sync_credential import CREDENTIAL_FIELDS, credentials_fingerprint
from .calendar_sync_runner import PAGE_COMMIT_KEY

_logger = logging.getLogger(__name__)

ACCOUNT_STATES = [
    ("connected", "Connected"),
    ("paused", "Paused"),
    ("needs_reconnect", "Needs Reconnect"),
    ("error", "Error"),
    ("disconnected", "Disconnected"),
]
# States the scheduled action works on; an error is retried, a revoked grant is not.
SYNCABLE_STATES = ("connected", "error")
# Failures that come from the remote service or the settings, not from a bug.
EXPECTED_FAILURES = (SyncError, TimeBudgetExceeded, requests.RequestException)
DIRECTIONS = [
    ("both", "Both ways"),
    ("to_remote", "Odoo -> remote only"),
    ("to_odoo", "Remote -> Odoo only"),
    ("off", "Disabled"),
]
CONFLICT_POLICIES = [
    ("odoo", "Odoo wins"),
    ("remote", "Remote wins"),
    ("newest", "Newest change wins"),
]
# What a first sync or a reset does with existing events that have guests, where the
# provider cannot create them without e-mailing the guests (``_sync_pushes_silently``).
EXISTING_GUESTS_POLICIES = [
    ("with_guests", "Push them with their guests (the guests receive an invitation)"),
    ("without_guests", "Push them without guests (the guest list stays in Odoo)"),
    ("hold", "Hold them back (pushed, with their guests, when next changed)"),
]
# What a user may change on their own connection (rules only with the dedicated group).
USER_FIELDS = {"send_updates", "existing_guests_policy"}
RULE_FIELDS = {"rule_direction", "rule_conflict_policy", "rule_start_date"}
RULES_GROUP = "calendar_sync_base.calendar_sync_base_group_own_rules"
TOKEN_GROUP = "base.group_system"
# An account is due again once this fraction of its provider's cron interval has passed.
DUE_FRACTION = 0.8
# While a connection's push channel is healthy, it is polled this many times less often.
PUSH_POLL_FACTOR = 6
# Opening Calendar pulls in the background when the last sync is older than this.
PULL_ON_OPEN_AFTER_SECONDS = 60
# Context key: the time.monotonic() after which the account's HTTP requests stop.
DEADLINE_KEY = "calendar_sync_deadline"


class CalendarSyncAccount(models.Model):
    """One user's connection to one remote calendar provider.

    Provider addons add their value to ``provider`` and declare their provider model
    (``calendar.sync.provider``, found by ``_sync_provider()``), which builds the
    ``CalendarConnector``; everything else (locking, pull/push through the engine, counts,
    errors) is shared here.
    """

    _name = "calendar.sync.account"
    _inherit = ["calendar.sync.runner"]
    _description = "Calendar Sync Account"
    _order = "user_id, provider"

    name = fields.Char(compute="_compute_name")
    user_id = fields.Many2one(
        "res.users", required=True, ondelete="cascade", index=True, default=lambda s: s.env.user
    )
    provider = fields.Selection([], required=True)
    state = fields.Selection(ACCOUNT_STATES, default="disconnected", required=True)
    active = fields.Boolean(default=True)
    remote_email = fields.Char("Remote Account", help="The remote calendar owner, if known.")
    last_sync_date = fields.Datetime(readonly=True)
    last_attempt_date = fields.Datetime(
        readonly=True, help="When the scheduled action last started to synchronize it."
    )
    last_sync_summary = fields.Char(readonly=True)
    last_counts = fields.Json(readonly=True)
    last_error = fields.Text(readonly=True)
    queued_count = fields.Integer(
        "Waiting to Push", readonly=True, help="Changes left for the next run (batch size)."
    )
    paused_by_id = fields.Many2one("res.users", readonly=True, help="Who paused this connection.")
    send_updates = fields.Selection(
        [("all", "All guests"), ("external", "External guests only"), ("none", "Nobody")],
        string="Send Invitations",
        default="all",
        required=True,
        help="Whether the remote calendar e-mails guests about changes pushed from Odoo. "
        "First and reset synchronizations send none, where the remote calendar can create "
        "an event with guests silently (otherwise see Existing Events with Guests).",
    )
    problem_count = fields.Integer(
        "Problems",
        compute="_compute_problem_count",
        help="Events whose last push the remote calendar refused or that could not be sent.",
    )
    existing_guests_policy = fields.Selection(
        EXISTING_GUESTS_POLICIES,
        string="Existing Events with Guests",
        default=lambda self: (
            self._sync_param("calendar_sync.existing_guests_policy") or "without_guests"
        ),
        help="For a remote calendar that e-mails the guests of every event created with "
        "guests: what a first synchronization (or a reset that synchronizes all existing "
        "events) does with your existing events that have guests.",
    )
    first_sync_done = fields.Boolean(readonly=True)
    sync_request_ids = fields.One2many(
        "calendar.sync.request", "account_id", groups="base.group_system"
    )
    sync_requested = fields.Boolean(
        compute="_compute_sync_requested",
        compute_sudo=True,
        search="_search_sync_requested",
        help="A change made in Odoo waits to be pushed: the provider's scheduled action was "
        "woken up and syncs this connection first.",
    )
    queue_existing = fields.Boolean(
        default=True,
        readonly=True,
        help="On the next sync, queue the user's existing Odoo events for push (first sync, "
        "or a reset that synchronizes all existing events).",
    )
    # How far the sync under way got, for the side panel: items pulled so far while a listing
    # runs (total unknown: 0), or changes pushed of a backlog (total = pushed + waiting).
    sync_progress_done = fields.Integer(readonly=True)
    sync_progress_total = fields.Integer(readonly=True)
    # What a first sync did so far, for the notification that it finished.
    first_sync_counts = fields.Json(readonly=True)
    # Written by the administrator's console (Validate Users).
    validated = fields.Boolean(
        readonly=True,
        help="The last check from the Sync Console reached this calendar with the stored "
        "authorization.",
    )
    validation_date = fields.Datetime("Last Validation", readonly=True)
    validation_error = fields.Text(readonly=True, help="Why the last check failed.")
    # The contact sync of this connection (calendar.sync.contact.link).
    contact_last_attempt_date = fields.Datetime(
        readonly=True, help="When the contact sync last started for this connection."
    )
    contact_over_limit = fields.Boolean(
        readonly=True, help="The last contact sync found more contacts than the maximum."
    )
    # Secrets: only administrators may read them, and no view ever shows them.
    sync_cursor = fields.Char(groups=TOKEN_GROUP, copy=False)
    sync_page_token = fields.Char(
        groups=TOKEN_GROUP,
        copy=False,
        help="Where the listing under way goes on: the last committed page's page token.",
    )
    cursor_started = fields.Datetime(
        groups=TOKEN_GROUP, copy=False, help="When the current cursor's full listing ran."
    )
    contact_cursor = fields.Char(
        groups=TOKEN_GROUP, copy=False, help="Where the next listing of remote contacts starts."
    )
    access_token = fields.Char(groups=TOKEN_GROUP, copy=False)
    access_token_expiry = fields.Datetime(groups=TOKEN_GROUP, copy=False)
    refresh_token = fields.Char(groups=TOKEN_GROUP, copy=False)
    token_cache = fields.Text(groups=TOKEN_GROUP, copy=False, help="Serialized provider cache.")
    link_ids = fields.One2many("calendar.sync.link", "account_id", groups=TOKEN_GROUP)
    push_channel_ids = fields.One2many("calendar.sync.channel", "account_id", groups=TOKEN_GROUP)

    # The user's own sync rules (empty: the administrator's default). Only members of
    # "Calendar Sync: Manage Own Rules" may set them.
    rule_direction = fields.Selection(
        DIRECTIONS, string="Direction", help="Empty: the company default."
    )
    rule_conflict_policy = fields.Selection(
        CONFLICT_POLICIES, string="Conflict Priority", help="Empty: the company default."
    )
    rule_start_date = fields.Date(
        "Sync Start Date", help="Older events are neither pulled nor pushed."
    )

    _sql_constraints = [
        (
            "user_provider_unique",
            "unique(user_id, provider)",
            "A user has one connection per provider.",
        ),
    ]

    @api.depends("user_id", "provider")
    def _compute_name(self):
        labels = dict(self._fields["provider"]._description_selection(self.env))
        for account in self:
            account.name = f"{labels.get(account.provider, '')} - {account.user_id.name or ''}"

    def _sync_problem_domain(self):
        return [
            ("account_id", "in", self.ids),
            ("push_error", "!=", False),
            ("stopped", "=", False),
        ]

    def _compute_problem_count(self):
        groups = (
            self.env["calendar.sync.link"]
            .sudo()
            ._read_group(self._sync_problem_domain(), ["account_id"], ["__count"])
        )
        counts = {account.id: count for account, count in groups}
        for account in self:
            account.problem_count = counts.get(account.id, 0)

    def action_open_problems(self):
        """The events of this connection whose last push failed, to retry or stop."""
        self.ensure_one()
        self._check_own_account()
        links = self.env["calendar.sync.link"].sudo().search(self._sync_problem_domain())
        events = links.event_id | links.recurrence_id.base_event_id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("%(connection)s: problems", connection=self.name),
            "res_model": "calendar.event",
            "views": [
                (
                    self.env.ref("calendar_sync_base.calendar_event_view_list_sync_problems").id,
                    "list",
                ),
                (False, "form"),
            ],
            "domain": [("id", "in", events.ids)],
        }

    # ------------------------------------------------------------------ settings and rules

    def _sync_param(self, key, default=None):
        return self.env["ir.config_parameter"].sudo().get_param(key, default)

    def _sync_provider_paused(self):
        self.ensure_one()
        return bool(self._sync_param(f"calendar_sync_{self.provider}.paused"))

    def _sync_rules(self):
        """The administrator's defaults, overridden by the user's own choices if allowed."""
        direction = self.rule_direction or self._sync_param("calendar_sync.direction", "both")
        policy = self.rule_conflict_policy or self._sync_param(
            "calendar_sync.conflict_policy", "newest"
        )
        return SyncRules(
            direction=Direction(direction),
            policy=ConflictPolicy(policy),
            start=self._sync_window_start(),
        )

    def _sync_batch_size(self):
        """Changes pushed per run: the administrator's number, else the provider's."""
        size = self._sync_param("calendar_sync.batch_size")
        return max(1, int(size or self._sync_provider()._sync_batch_size))

    def _sync_page_options(self):
        """The connector's listing page size, when the administrator set one (items per
        page, so per committed transaction of a long pull); else the provider's default."""
        size = int(self._sync_param("calendar_sync.page_size", 0) or 0)
        return {"page_size": size} if size > 0 else {}

    def _sync_window_start(self):
        """Nothing older is pulled or pushed: the latest of the rolling window (days back)
        and the fixed start date (the user's, else the administrator's)."""
        days = int(self._sync_param("calendar_sync.window_days_back", 365))
        starts = [fields.Datetime.subtract(fields.Datetime.now(), days=days)] if days else []
        start_date = self.rule_start_date or self._sync_param("calendar_sync.start_date")
        if start_date:
            starts.append(fields.Datetime.to_datetime(fields.Date.to_date(start_date)))
        return max(starts) if starts else None

    def _sync_provider(self, provider=None):
        """The provider model (``calendar.sync.provider``) of ``provider``, by default this
        account's: where each provider addon plugs in its implementation."""
        if provider is None:
            self.ensure_one()
            provider = self.provider
        name = self.env["calendar.sync.provider"]._sync_provider_models().get(provider)
        if not name:
            raise ConfigurationError(f"No provider model declares {provider!r}")
        return self.env[name].with_env(self.env)

    def _sync_connector(self):
        self.ensure_one()
        return self._sync_provider()._connector(self)

    def _sync_contacts_connector(self):
        """The provider's ``ContactConnector`` (services/contact.py) for this connection;
        None where the provider does not sync contacts."""
        self.ensure_one()
        provider = self._sync_provider()
        return provider._contacts_connector(self) if provider._sync_contacts else None

    def _sync_http_session(self):
        """The HTTP session a connector talks through: under the scheduled action, no
        request or retry outlives the account's time budget."""
        return ResilientSession(deadline=self.env.context.get(DEADLINE_KEY))

    @api.model
    def _sync_run_budget(self):
        """Seconds one scheduled run may spend: the administrator's, else Odoo's cron time
        limit minus a margin (see ``services/time_budget.py``)."""
        configured = float(self._sync_param("calendar_sync.cron_time_budget", 0) or 0)
        if configured > 0:
            return configured
        return cron_run_budget(
            config["limit_time_real_cron"], config["limit_time_real"], bool(config["workers"])
        )

    @api.model
    def _sync_account_budget(self):
        """Seconds one account may take in a scheduled run (default: half the run)."""
        run_budget = self._sync_run_budget()
        configured = float(self._sync_param("calendar_sync.account_time_budget", 0) or 0)
        return min(configured, run_budget) if configured > 0 else run_budget / 2

    # ------------------------------------------------------------------ calendar side panel

    def _sync_provider_configured(self, provider):
        """Enabled by the administrator, with everything the provider needs."""
        return bool(
            self._sync_param(f"calendar_sync_{provider}.enabled")
            and self._sync_provider(provider).sudo()._is_configured()
        )

    @api.model
    def _sync_user_allowed(self):
        """Whether the current user may connect a calendar: internal users only, and only
        members of the group the administrator chose (none chosen: every internal user)."""
        user = self.env.user
        if not user._is_internal():
            return False
        group_id = self._sync_param("calendar_sync.allowed_group_id")
        return not group_id or int(group_id) in user.sudo()._get_group_ids()

    @api.model
    def _sync_not_allowed_message(self):
        return self.env._(
            "You are not allowed to connect a calendar. Ask your administrator if you need to."
        )

    @api.model
    def _sync_user_limit(self, provider):
        """The administrator's maximum of users synchronized with ``provider`` (0: none)."""
        return int(self._sync_param(f"calendar_sync_{provider}.max_users", 0) or 0)

    @api.model
    def _sync_user_limit_reached(self, provider):
        """Whether the current user may not connect ``provider`` because the maximum of
        users is reached. Their own connection (to reconnect) does not count against them:
        only a new user is stopped, before any request to the provider."""
        limit = self._sync_user_limit(provider)
        if not limit:
            return False
        others = self.sudo().search_count(
            [
                ("provider", "=", provider),
                ("state", "!=", "disconnected"),
                ("user_id", "!=", self.env.uid),
            ]
        )
        return others >= limit

    @api.model
    def _sync_user_limit_message(self, provider):
        return self.env._(
            "%(provider)s already synchronizes the maximum number of users (%(limit)s). "
            "Ask your administrator if you need to connect.",
            provider=self._sync_provider_label(provider),
            limit=self._sync_user_limit(provider),
        )

    @api.model
    def get_sync_panel_state(self):
        """What the Calendar side panel shows: one entry per provider the admin enabled
        (nothing for a user who may not connect a calendar)."""
        if not self._sync_user_allowed():
            return []
        labels = dict(self._fields["provider"]._description_selection(self.env))
        mine = {a.provider: a for a in self.search([("user_id", "=", self.env.uid)])}
        panel = []
        for provider, label in labels.items():
            if not self._sync_param(f"calendar_sync_{provider}.enabled"):
                continue
            account = mine.get(provider)
            state = account.state if account else "disconnected"
            # Paused by someone other than its user: an administrator.
            paused_by_admin = state == "paused" and bool(account.paused_by_id - self.env.user)
            if state in SYNCABLE_STATES and self._sync_param(f"calendar_sync_{provider}.paused"):
                state, paused_by_admin = "paused", True
            panel.append(
                {
                    "provider": provider,
                    "label": label,
                    "state": state,
                    "summary": account._sync_report() if account else "",
                    "account_id": account.id if account else False,
                    "problem_count": account.problem_count if account else 0,
                    "queued_count": account.queued_count if account else 0,
                    "error": account.last_error if account else "",
                    "progress": account._sync_progress_label() if account else "",
                    # Connected with an error: a transient failure the next run retries.
                    "transient": state == "connected" and bool(account.last_error),
                    "paused_by_admin": paused_by_admin,
                    "remote_email": account.remote_email if account else "",
                }
            )
        return panel

    def _sync_report(self):
        """The last sync's summary, with the changes still waiting to be pushed."""
        self.ensure_one()
        if not self.queued_count:
            return self.last_sync_summary or ""
        return self.env._(
            "%(summary)s, %(count)s waiting",
            summary=self.last_sync_summary or "",
            count=self.queued_count,
        )

    @api.model
    def _sync_provider_pushes_silently(self, provider):
        """Whether ``provider`` can create an event with guests without e-mailing them."""
        return self._sync_provider(provider)._sync_pushes_silently

    @api.model
    def action_sync_button(self, provider, existing_guests_policy=None):
        """The side panel button: connect, resume, or sync now with a report.

        Before a first connection to a provider that e-mails guests of every event created
        with guests, the user first chooses what happens to existing events with guests.
        """
        if not self._sync_user_allowed():
            return {"status": "not_allowed", "message": self._sync_not_allowed_message()}
        if not self._sync_provider_configured(provider):
            provider_model = self._sync_provider(provider)
            if not self._sync_param(f"calendar_sync_{provider}.notified_error"):
                self._sync_notify_administrators(provider, provider_model._not_configured_detail())
            return {"status": "need_config", "message": provider_model._not_configured_message()}
        account = self.search([("user_id", "=", self.env.uid), ("provider", "=", provider)])
        if not account or account.state in ("disconnected", "needs_reconnect"):
            if self._sync_user_limit_reached(provider):
                return {"status": "not_allowed", "message": self._sync_user_limit_message(provider)}
            if existing_guests_policy:
                self._sync_choose_existing_guests(provider, account, existing_guests_policy)
            elif not account and not self._sync_provider_pushes_silently(provider):
                return self._sync_existing_guests_question(provider)
            return self._sync_provider(provider)._connect_action(self.env.user)
        account.action_resume()
        return {"status": "synced", "notification": account.action_sync_now()["params"]}

    @api.model
    def action_sync_on_open(self):
        """Opening Calendar asks for a pull in the background (the view is not blocked) when
        the user's last sync is older than a minute; the side panel reloads the calendar
        when the sync reports new data (``_sync_notify_user``). Returns how many connections
        were asked."""
        recently = fields.Datetime.now() - dt.timedelta(seconds=PULL_ON_OPEN_AFTER_SECONDS)
        accounts = self.search(
            [
                ("user_id", "=", self.env.uid),
                ("state", "in", SYNCABLE_STATES),
                "|",
                ("last_sync_date", "=", False),
                ("last_sync_date", "<", recently),
            ]
        ).filtered(lambda account: not account._sync_provider_paused())
        accounts._sync_request()
        return len(accounts)

    @api.model
    def _sync_existing_guests_question(self, provider):
        policies = self._fields["existing_guests_policy"]._description_selection(self.env)
        return {
            "status": "choose_existing_guests",
            "message": self.env._(
                "%(provider)s sends an invitation e-mail to the guests of every event Odoo "
                "creates there with guests. What should the first synchronization do with your "
                "existing Odoo events that have guests?",
                provider=self._sync_provider_label(provider),
            ),
            "choices": [{"value": value, "label": label} for value, label in policies],
            "proposed": self._fields["existing_guests_policy"].default(self),
        }

    @api.model
    def _sync_choose_existing_guests(self, provider, account, policy):
        """Remember the choice on the connection the consent callback will complete."""
        if account:
            account.write({"existing_guests_policy": policy})
        else:
            self.sudo().create(
                {"user_id": self.env.uid, "provider": provider, "existing_guests_policy": policy}
            )

    @api.model
    def action_sync_stop(self, provider):
        """The user pauses their own sync; the button resumes it. Returns what to tell them."""
        self.search([("user_id", "=", self.env.uid), ("provider", "=", provider)]).action_pause()
        return self.env._(
            "%(provider)s synchronization paused. Click %(provider)s to resume it.",
            provider=self._sync_provider_label(provider),
        )

    # ------------------------------------------------------------------ OAuth state
    # A toolkit for the providers that connect through an OAuth redirect.

    @api.model
    def _oauth_new_state(self, provider, session):
        """A ``state`` for the consent URL, signed and bound to this user and HTTP session.

        The nonce is kept in the session too, so a state replayed from another session or
        issued to another user is refused by ``_oauth_check_state``.
        """
        nonce = secrets.token_urlsafe(24)
        session[f"calendar_sync_{provider}_nonce"] = nonce
        signature = self._oauth_signature(provider, self.env.uid, nonce, session)
        return f"{self.env.uid}.{nonce}.{signature}"

    @api.model
    def _oauth_check_state(self, provider, state, session):
        expected_nonce = session.pop(f"calendar_sync_{provider}_nonce", None)
        try:
            uid, nonce, signature = (state or "").split(".", 2)
        except ValueError:
            raise AccessDenied(self.env._("Invalid authorization state.")) from None
        valid = (
            expected_nonce
            and consteq(nonce, expected_nonce)
            and uid == str(self.env.uid)
            and consteq(signature, self._oauth_signature(provider, self.env.uid, nonce, session))
        )
        if not valid:
            raise AccessDenied(
                self.env._("This authorization was not started by you in this session.")
            )

    @api.model
    def _oauth_signature(self, provider, uid, nonce, session):
        message = f"{provider}:{uid}:{nonce}:{session.sid}"
        return odoo_hmac(self.env(su=True), "calendar_sync_oauth_state", message)

    # ------------------------------------------------------------------ user actions

    def action_sync_now(self):
        """Sync the connection now and tell the user what happened."""
        self.ensure_one()
        self._check_own_account()
        if self._sync_provider_paused():
            return self._notification(
                self.env._("Synchronization is paused by the administrator."), "warning"
            )
        account = self.sudo()
        if not account._sync_try_lock():
            return self._notification(self.env._("A synchronization is already running."), "info")
        counts = account._sync_guarded()
        if counts is None:
            return self._notification(
                account.last_error or self.env._("Synchronization failed."), "danger"
            )
        return self._notification(account._sync_report(), "success")

    def write(self, vals):
        if not self.env.su and not self.env.is_system():
            self._check_own_account()
            allowed = USER_FIELDS | (RULE_FIELDS if self.env.user.has_group(RULES_GROUP) else set())
            refused = set(vals) - allowed
            if refused:
                raise UserError(
                    self.env._(
                        "You may not change %(fields)s on your calendar connection.",
                        fields=", ".join(sorted(refused)),
                    )
                )
            return super(CalendarSyncAccount, self.sudo()).write(vals)
        return super().write(vals)

    def action_open_settings(self):
        """The connection's own form in a dialog: what the user may change there goes
        through ``write``'s checks (the user form shows connections read-only)."""
        self.ensure_one()
        self._check_own_account()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def action_open_reset_wizard(self):
        self.ensure_one()
        self._check_own_account()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "calendar_sync_base.calendar_sync_reset_wizard_action"
        )
        action["context"] = {"default_account_id": self.id}
        return action

    def action_pause(self):
        self._check_own_account()
        self.filtered(lambda a: a.state in SYNCABLE_STATES).sudo().write(
            {"state": "paused", "paused_by_id": self.env.uid}
        )

    def action_resume(self):
        self._check_own_account()
        self.filtered(lambda a: a.state == "paused").sudo().write(
            {"state": "connected", "paused_by_id": False}
        )

    def action_disconnect(self):
        """Forget the grant; links stay so a reconnection re-links instead of duplicating.
        Push channels are stopped first, while the grant still allows it."""
        self._check_own_account()
        self.sudo().push_channel_ids._push_close()
        self.sudo().write(
            {
                "state": "disconnected",
                "access_token": False,
                "refresh_token": False,
                "access_token_expiry": False,
                "token_cache": False,
            }
        )

    def _check_own_account(self):
        if self.env.is_system():
            return
        if any(account.user_id != self.env.user for account in self):
            raise UserError(self.env._("You can only manage your own calendar connections."))

    def _notification(self, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.name,
                "message": message,
                "type": kind,
                "sticky": kind == "danger",
            },
        }

    # ------------------------------------------------------------------ scheduled sync

    @api.model
    def _cron_sync(self, provider):
        """Sync the connected accounts of ``provider`` that are due, each in its own
        transaction.

        Several cron workers may run this at once: each account is row-locked with SKIP
        LOCKED, so a worker skips what another is doing. One account's failure is recorded
        on it and never stops the others. The scheduled action also runs when a local change
        wakes it (``_sync_request``): then only the accounts asking for it and those whose
        regular turn has come are synced, so an edit costs one account's sync, not a cycle
        over every connection.

        The run ends before Odoo's cron time limit would stop it: an account starts only if
        its whole budget fits in what is left, and the accounts not reached are done by a run
        triggered at once. Accounts go by their last attempt, stamped before each sync, so a
        run stopped in the middle of one account starts with the others next time.
        """
        paused = self._sync_param(f"calendar_sync_{provider}.paused")
        if paused:
            return
        self.env.flush_all()  # each account syncs through its own cursor: it must see ours
        accounts = self.sudo().search(
            [("provider", "=", provider), ("state", "in", SYNCABLE_STATES)]
            + self._sync_due_domain(provider),
            order="last_attempt_date asc nulls first, id",
        )
        requested = accounts.filtered("sync_requested")
        accounts = requested + (accounts - requested)
        account_budget = self._sync_account_budget()
        run_end = time.monotonic() + self._sync_run_budget()
        for done, account_id in enumerate(accounts.ids):
            if done and time.monotonic() + account_budget > run_end:
                self._sync_continue_later(done)
                return
            self._sync_in_own_transaction(account_id, time.monotonic() + account_budget)
            self._sync_notify_progress(done + 1, len(accounts) - done - 1)

    @api.model
    def _sync_due_domain(self, provider):
        """Accounts a run takes: those a local change or a push notification is waiting on,
        and the others once most of the scheduled interval has passed since their last
        attempt (``PUSH_POLL_FACTOR`` intervals for those with a healthy push channel:
        polling is then only the safety net for notifications that never came)."""
        cron = self._sync_cron(provider)
        if not cron:
            return []
        now = fields.Datetime.now()
        interval = now - (now - relativedelta(**{cron.interval_type: cron.interval_number}))
        due_before = now - interval * DUE_FRACTION
        healthy_push = [("expiration", ">", now), ("lifecycle_event", "=", False)]
        return [
            "|",
            "|",
            "|",
            ("sync_requested", "=", True),
            ("last_attempt_date", "=", False),
            ("last_attempt_date", "<=", due_before - interval * (PUSH_POLL_FACTOR - 1)),
            "&",
            ("last_attempt_date", "<=", due_before),
            "!",
            ("push_channel_ids", "any", healthy_push),
        ]

    @api.model
    def _sync_cron(self, provider):
        """The provider's scheduled synchronization."""
        return self._sync_provider(provider)._cron()

    def _sync_request(self):
        """Have these connections synced within seconds: a change made in Odoo must not
        wait for the next scheduled run (Odoo's own modules push at commit), nor a user who
        opens Calendar for remote changes.

        The sync itself stays in the cron worker, never in the user's request, and the push
        queue is in the database, so a crash loses nothing. The cron is woken once per
        provider and transaction, whatever the number of records changed.
        """
        accounts = self.sudo().filtered(lambda account: account.state in SYNCABLE_STATES)
        accounts._sync_request_flag()
        woken = self.env.cr.precommit.data.setdefault("calendar_sync.woken_providers", set())
        for provider in set(accounts.mapped("provider")) - woken:
            woken.add(provider)
            cron = self._sync_cron(provider)
            if cron:
                cron.sudo()._trigger()

    def _sync_request_flag(self):
        """Mark these connections as waiting for a sync without writing their rows: a sync
        in flight holds its account's row (``calendar.sync.request`` says why)."""
        self.env["calendar.sync.request"]._sync_add(self)

    @api.depends("sync_request_ids")
    def _compute_sync_requested(self):
        for account in self:
            account.sync_requested = bool(account.sync_request_ids)

    def _search_sync_requested(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        requested = self.env["calendar.sync.request"].sudo()._search([])
        wanted = (operator == "=") == bool(value)
        return [("id", "in" if wanted else "not in", requested.subselect("account_id"))]

    def _sync_notify_progress(self, done, remaining):
        """Tell the running scheduled action how far it got, committed at once: a run
        stopped later still counts as progress, not as a failed run."""
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        testing = getattr(threading.current_thread(), "testing", False)
        if self.env.context.get("ir_cron_progress_id") and not testing:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _sync_continue_later(self, done):
        """The run's time is spent: the rest goes to a run triggered now.

        Not reported as remaining work: Odoo would call the job again at once in the same
        worker turn, under the same time limit; a trigger starts a new turn.
        """
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        cron = self.env["ir.cron"].sudo().browse(self.env.context.get("cron_id"))
        if cron.exists():
            cron._trigger()

    @api.model
    def _sync_in_own_transaction(self, account_id, deadline):
        if not self._sync_record_attempt(account_id):
            return
        # The cursor's context manager commits this user's work (or rolls it back) on exit,
        # so a later user's failure cannot undo it and the row lock is released promptly.
        # A long listing is pulled one page per transaction, committed as it goes: a crash
        # loses one page at most, and the next run goes on from the last committed one.
        context = dict(self.env.context, **{DEADLINE_KEY: deadline, PAGE_COMMIT_KEY: True})
        with self.env.registry.cursor() as cr:
            account = self.with_env(self.env(cr=cr, context=context)).sudo().browse(account_id)
            while account.exists() and account._sync_try_lock():
                if account._sync_guarded() is None or not account.sync_page_token:
                    break
                if time.monotonic() >= deadline:
                    account._sync_request()  # the rest of the listing, in a run of its own
                    break
                cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _sync_record_attempt(self, account_id, stamp_field="last_attempt_date"):
        """Stamp the attempt (``stamp_field``) in a transaction of its own, committed before
        the sync: if the worker is killed during the sync, this account is no longer first
        next time. False when the account is gone or another worker holds it."""
        with self.env.registry.cursor() as cr:
            account = self.with_env(self.env(cr=cr)).sudo().browse(account_id)
            if not (account.exists() and account._sync_try_lock()):
                return False
            account[stamp_field] = fields.Datetime.now()
        return True

    def _sync_try_lock(self):
        """Lock this account's row for the current transaction; False if another holds it."""
        self.ensure_one()
        self.env.cr.execute(
            # NO KEY UPDATE: another worker skips the row, while rows referring to it (links
            # of a user's new event, sync requests) are still inserted without waiting.
            "SELECT id FROM calendar_sync_account WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",
            [self.id],
        )
        return bool(self.env.cr.fetchone())

    def _sync_guarded(self):
        """Run one sync; record any failure on the account. Returns counts or None."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                counts = self._sync_run(self._sync_connector())
        # One user's failure, even a bug or bad data, must not stop the other users.
        except Exception as error:  # noqa: BLE001 pylint: disable=broad-exception-caught
            self._sync_log_failure(error)
            self._sync_record_failure(self._sync_failure_state(error), error)
            if isinstance(error, AuthExpired):
                self._notify_reconnect()
            return None
        return counts

    @api.model
    def _sync_failure_state(self, error):
        """The state a failed sync leaves: a transient failure (the provider down, slow or
        throttling) keeps the connection connected, with the message, for the next run."""
        if isinstance(error, AuthExpired):
            return "needs_reconnect"
        if isinstance(error, ConfigurationError | RemoteRejected):
            return "error"  # someone must act
        return "connected" if isinstance(error, EXPECTED_FAILURES) else "error"

    def _sync_log_failure(self, error):
        """One WARNING line per failed sync; a traceback only for an unexpected error."""
        if isinstance(error, EXPECTED_FAILURES):
            _logger.warning(
                "Calendar sync of %s (account %s) failed: %s", self.name, self.id, _technical(error)
            )
        else:
            _logger.exception("Calendar sync of %s (account %s) failed", self.name, self.id)

    def _sync_run(self, connector):
        counts = SyncCounts()
        rules = self._sync_rules()
        if not self._sync_pull(connector, rules, counts):
            # The listing goes on in the next transaction. Pushing waits for its end: a first
            # sync links the events both sides have before it sends Odoo's.
            self._sync_request_flag()
            self._sync_first_sync_progress(counts, finished=False)
            return counts
        remaining = self._sync_push(connector, rules, counts)
        self._sync_configuration_works()
        self._sync_backlog_progress(counts, remaining)
        self._sync_first_sync_progress(counts, finished=not remaining)
        self.env["calendar.sync.request"]._sync_consume(self)
        self.write(
            {
                "state": "connected",
                "last_sync_date": fields.Datetime.now(),
                "last_sync_summary": self._sync_summary(counts),
                "last_counts": counts.as_dict(),
                "last_error": False,
                "queued_count": remaining,
                "first_sync_done": True,
            }
        )
        # A backlog keeps the cron awake while each run makes progress; a queue that only
        # fails (the provider is down) waits for the regular schedule.
        if remaining and counts.pushed + counts.pushed_deleted:
            self._sync_request()
        if counts.pulled or counts.pulled_deleted:
            self._sync_notify_user()
        return counts

    def _sync_summary(self, counts):
        """E.g. "3 pulled, 2 pushed, 1 deleted, 0 conflicts" (links, errors and warnings only
        when any), in the language of the user reading it."""
        env = self.env
        parts = [
            env._("%(count)s pulled", count=counts.pulled),
            env._("%(count)s pushed", count=counts.pushed),
            env._("%(count)s deleted", count=counts.deleted),
        ]
        if counts.linked:
            parts.append(env._("%(count)s linked", count=counts.linked))
        parts.append(
            env._("1 conflict")
            if counts.conflicts == 1
            else env._("%(count)s conflicts", count=counts.conflicts)
        )
        if counts.errors:
            parts.append(
                env._("1 error")
                if counts.errors == 1
                else env._("%(count)s errors", count=counts.errors)
            )
        if counts.warnings:
            parts.append(
                env._("1 warning")
                if counts.warnings == 1
                else env._("%(count)s warnings", count=counts.warnings)
            )
        return ", ".join(parts)

    def _sync_backlog_progress(self, counts, remaining):
        """How much of the push backlog went out: N of M while changes still wait."""
        done = (self.sync_progress_done if self.sync_progress_total else 0) + counts.pushed
        if not remaining:
            done = 0
        self.write({"sync_progress_done": done, "sync_progress_total": done + remaining})
        if remaining:
            self._sync_notify_progress_to_user()

    def _sync_first_sync_progress(self, counts, finished):
        """Add up what a first sync did over its runs; tell the user when it is over."""
        if self.first_sync_done and not self.first_sync_counts:
            return  # no first sync under way
        totals = dict(self.first_sync_counts or {})
        for name, value in counts.as_dict().items():
            totals[name] = totals.get(name, 0) + value
        self.first_sync_counts = False if finished else totals
        if finished:
            self._sync_notify_first_sync_done(totals)

    def _sync_notify_first_sync_done(self, totals):
        self.user_id._bus_send(
            "simple_notification",
            {
                "type": "success",
                "title": self.name,
                "message": self.env._(
                    "%(provider)s connected: %(imported)s events imported, %(sent)s sent",
                    provider=self._sync_provider_label(self.provider),
                    imported=totals.get("pulled_created", 0) + totals.get("linked", 0),
                    sent=totals.get("pushed_created", 0),
                ),
            },
        )

    def _sync_notify_progress_to_user(self):
        """The side panel shows how far the sync under way got (``_sync_progress_label``)."""
        self.user_id._bus_send("calendar_sync/progress", {"provider": self.provider})

    def _sync_progress_label(self):
        """ "First sync: 120 of 800", or "... 250 events so far" while a listing runs."""
        first = not self.first_sync_done or bool(self.first_sync_counts)
        done, total = self.sync_progress_done, self.sync_progress_total
        if self.sudo().sync_page_token:
            if first:
                return self.env._("First sync: %(count)s events so far", count=done)
            return self.env._("Catching up: %(count)s changes so far", count=done)
        if not total:
            return self.env._("First sync: starting") if not self.first_sync_done else ""
        if first:
            return self.env._("First sync: %(done)s of %(total)s", done=done, total=total)
        return self.env._("Sending: %(done)s of %(total)s changes", done=done, total=total)

    def _sync_notify_user(self):
        """Tell the user's open Calendar views that remote changes arrived (they reload)."""
        self.user_id._bus_send(
            "calendar_sync/synced", {"provider": self.provider, "summary": self.last_sync_summary}
        )

    def _sync_credentials(self):
        """``(credentials, save)``: what the connector starts from, and how it keeps what the
        provider rotates.

        ``credentials`` maps ``CREDENTIAL_FIELDS`` to values: the account's, or those a sync
        saved over them and then lost its transaction (written back on the account here).
        ``save(vals)`` commits new values at
        once (``calendar.sync.credential``) and writes them on the account in the sync's
        transaction.
        """
        self.ensure_one()
        stored = {name: self[name] for name in CREDENTIAL_FIELDS}
        replaces = credentials_fingerprint(stored)
        Saved = self.env["calendar.sync.credential"]
        credentials = Saved._sync_saved(self.id, replaces)
        if credentials:
            self.write(credentials)  # back on the account when this sync commits
        else:
            credentials = stored

        def save(vals):
            credentials.update(vals)
            Saved._sync_save(self.id, replaces, credentials)
            self.write(vals)

        return dict(credentials), save

    def _sync_too_slow_message(self):
        return self.env._(
            "The remote server answered too slowly; the synchronization was stopped after "
            "%(seconds)s seconds and will continue on the next run.",
            seconds=round(self._sync_account_budget()),
        )

    def _sync_reconnect_message(self):
        """What the user reads when the provider refuses Odoo's access: how they give it
        back depends on how the provider connects (``_sync_connect_kind``)."""
        provider = self._sync_provider_label(self.provider)
        kind = self._sync_provider()._sync_connect_kind
        if kind == "user_credentials":
            return self.env._(
                "%(provider)s no longer accepts the credentials you entered for your calendar. "
                "Click %(provider)s in Calendar to reconnect with your current ones; your "
                "changes are kept and synchronized then.",
                provider=provider,
            )
        if kind == "admin_credentials":
            return self.env._(
                "%(provider)s no longer gives Odoo access to your calendar (an administrator "
                "may have withdrawn it). Click %(provider)s in Calendar to reconnect, or ask "
                "your administrator; your changes are kept and synchronized then.",
                provider=provider,
            )
        return self.env._(
            "%(provider)s no longer accepts Odoo's access to your calendar (it expired "
            "or was revoked). Click %(provider)s in Calendar to reconnect; your changes "
            "are kept and synchronized then.",
            provider=provider,
        )

    def _sync_record_failure(self, state, error):
        message = self._sync_error_message(error)
        if isinstance(error, ConfigurationError):
            self._sync_notify_administrators(self.provider, _technical(error))
        self.write({"state": state, "last_error": message, "last_sync_date": fields.Datetime.now()})
        # The history keeps the technical detail for whoever investigates.
        self.env["calendar.sync.log"]._log_change(
            self, "pull", "error", message=f"{message} ({_technical(error)})"
        )

    def _sync_error_message(self, error):
        """What the user reads about ``error``: plain words, not an exception's text."""
        if isinstance(error, ConfigurationError):
            return self.env._(
                "The connection to %(provider)s is not set up correctly in Odoo. "
                "An administrator has been notified.",
                provider=self._sync_provider_label(self.provider),
            )
        if isinstance(error, RemoteRejected):
            return str(error)  # the provider's own reason (e.g. not the organizer)
        messages = [
            (TimeBudgetExceeded, self._sync_too_slow_message()),
            (AuthExpired, self._sync_reconnect_message()),
            (
                Throttled,
                self.env._(
                    "The calendar service asked to slow down; synchronization resumes on the "
                    "next run."
                ),
            ),
            (
                CursorExpired,
                self.env._(
                    "The calendar service asked for a full synchronization; it runs on the "
                    "next run."
                ),
            ),
            (
                requests.Timeout,
                self.env._(
                    "The calendar service did not answer in time; it will be retried on the "
                    "next run."
                ),
            ),
            (
                requests.ConnectionError,
                self.env._(
                    "The calendar service could not be reached; it will be retried on the next run."
                ),
            ),
            (
                SyncError,
                self.env._(
                    "The calendar service failed to answer; it will be retried on the next run."
                ),
            ),
        ]
        for error_class, message in messages:
            if isinstance(error, error_class):
                return message
        return self.env._(
            "An unexpected error stopped the synchronization (%(error)s); "
            "the details are in the server log.",
            error=error.__class__.__name__,
        )

    @api.model
    def _sync_provider_label(self, provider):
        return dict(self._fields["provider"]._description_selection(self.env)).get(provider, "")

    @api.model
    def _sync_notify_administrators(self, provider, detail):
        """Tell the administrators about a configuration problem, once per distinct problem
        until a synchronization works again."""
        params = self.env["ir.config_parameter"].sudo()
        key = f"calendar_sync_{provider}.notified_error"
        if params.get_param(key) == detail:
            return
        params.set_param(key, detail)
        admins = (
            self.env.ref("base.group_system")
            .sudo()
            .users.filtered(lambda user: user.active and not user.share)
        )
        self.env["mail.thread"].sudo().message_notify(
            partner_ids=admins.partner_id.ids,
            subject=self.env._(
                "Calendar synchronization with %(provider)s is misconfigured",
                provider=self._sync_provider_label(provider),
            ),
            body=self.env._(
                "Users cannot synchronize their calendar with %(provider)s: %(detail)s "
                "Check Calendar > Configuration > Settings.",
                provider=self._sync_provider_label(provider),
                detail=detail,
            ),
        )

    def _sync_configuration_works(self):
        """A synchronization went through: a configuration problem reported is fixed."""
        params = self.env["ir.config_parameter"].sudo()
        key = f"calendar_sync_{self.provider}.notified_error"
        if params.get_param(key):
            params.set_param(key, False)

    def _notify_reconnect(self):
        """Tell the user, from OdooBot, in their inbox or by e-mail as they chose in Odoo.

        The sync may run in the user's own request: as author they would be left out of
        their own notification, so OdooBot writes it and the author rule is lifted.
        """
        self.env["mail.thread"].sudo().message_notify(
            partner_ids=self.user_id.partner_id.ids,
            author_id=self.env.ref("base.partner_root").id,
            notify_author=True,
            subject=self.env._("Reconnect your calendar"),
            body=self.env._(
                "%(name)s: the remote calendar refused the stored authorization. "
                "Open Calendar and click the sync button to reconnect; "
                "your changes are kept and will be synchronized then.",
                name=self.name,
            ),
        )


def _technical(error):
    return str(error) or error.__class__.__name__
