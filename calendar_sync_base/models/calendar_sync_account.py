import logging
import secrets

import requests

from odoo import api, fields, models
from odoo.exceptions import AccessDenied, UserError
from odoo.tools import consteq
from odoo.tools.misc import hmac as odoo_hmac

from calendar_sync_base.services.engine import SyncCounts, SyncRules
from calendar_sync_base.services.errors import (
    AuthExpired,
    ConfigurationError,
    CursorExpired,
    RemoteRejected,
    SyncError,
    Throttled,
)
from calendar_sync_base.services.merge import ConflictPolicy
from calendar_sync_base.services.model import Direction

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
# provider cannot create them without e-mailing the guests (Outlook).
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


class CalendarSyncAccount(models.Model):
    """One user's connection to one remote calendar provider.

    Provider addons add their value to ``provider`` and implement
    ``_sync_connector_<provider>()`` returning a ``CalendarConnector``; everything else
    (locking, pull/push through the engine, counts, errors) is shared here.
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
    last_sync_summary = fields.Char(readonly=True)
    last_counts = fields.Json(readonly=True)
    last_error = fields.Text(readonly=True)
    queued_count = fields.Integer(
        "Waiting to Push", readonly=True, help="Changes left for the next run (batch size)."
    )
    send_updates = fields.Selection(
        [("all", "All guests"), ("external", "External guests only"), ("none", "Nobody")],
        string="Send Invitations",
        default="all",
        required=True,
        help="Whether the remote calendar e-mails guests about changes pushed from Odoo. "
        "First and reset synchronizations send none through Google; Outlook cannot create "
        "an event with guests silently (see Existing Events with Guests).",
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
        help="Outlook e-mails the guests of every event created with guests: what a first "
        "synchronization (or a reset that synchronizes all existing events) does with your "
        "existing events that have guests.",
    )
    first_sync_done = fields.Boolean(readonly=True)
    queue_existing = fields.Boolean(
        default=True,
        readonly=True,
        help="On the next sync, queue the user's existing Odoo events for push (first sync, "
        "or a reset that synchronizes all existing events).",
    )
    # Secrets: only administrators may read them, and no view ever shows them.
    sync_cursor = fields.Char(groups=TOKEN_GROUP, copy=False)
    cursor_started = fields.Datetime(
        groups=TOKEN_GROUP, copy=False, help="When the current cursor's full listing ran."
    )
    access_token = fields.Char(groups=TOKEN_GROUP, copy=False)
    access_token_expiry = fields.Datetime(groups=TOKEN_GROUP, copy=False)
    refresh_token = fields.Char(groups=TOKEN_GROUP, copy=False)
    token_cache = fields.Text(groups=TOKEN_GROUP, copy=False, help="Serialized provider cache.")
    link_ids = fields.One2many("calendar.sync.link", "account_id", groups=TOKEN_GROUP)

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
        return max(1, int(self._sync_param("calendar_sync.batch_size", 50)))

    def _sync_window_start(self):
        """Nothing older is pulled or pushed: the latest of the rolling window (days back)
        and the fixed start date (the user's, else the administrator's)."""
        days = int(self._sync_param("calendar_sync.window_days_back", 365))
        starts = [fields.Datetime.subtract(fields.Datetime.now(), days=days)] if days else []
        start_date = self.rule_start_date or self._sync_param("calendar_sync.start_date")
        if start_date:
            starts.append(fields.Datetime.to_datetime(fields.Date.to_date(start_date)))
        return max(starts) if starts else None

    def _sync_provider_method(self, prefix):
        """``<prefix>_<provider>``: where each provider addon plugs in its implementation."""
        name = f"{prefix}_{self.provider}"
        if not hasattr(self, name):
            raise ConfigurationError(f"Provider {self.provider!r} has no {prefix}")
        return getattr(self, name)

    def _sync_connector(self):
        self.ensure_one()
        return self._sync_provider_method("_sync_connector")()

    # ------------------------------------------------------------------ calendar side panel

    def _sync_provider_configured(self, provider):
        return bool(
            self._sync_param(f"calendar_sync_{provider}.enabled")
            and self._sync_param(f"calendar_sync_{provider}.client_id")
        )

    @api.model
    def get_sync_panel_state(self):
        """What the Calendar side panel shows: one entry per provider the admin enabled."""
        labels = dict(self._fields["provider"]._description_selection(self.env))
        mine = {a.provider: a for a in self.search([("user_id", "=", self.env.uid)])}
        panel = []
        for provider, label in labels.items():
            if not self._sync_param(f"calendar_sync_{provider}.enabled"):
                continue
            account = mine.get(provider)
            state = account.state if account else "disconnected"
            if state in SYNCABLE_STATES and self._sync_param(f"calendar_sync_{provider}.paused"):
                state = "paused"
            panel.append(
                {
                    "provider": provider,
                    "label": label,
                    "state": state,
                    "summary": account.last_sync_summary if account else "",
                    "account_id": account.id if account else False,
                    "problem_count": account.problem_count if account else 0,
                    "error": account.last_error if account else "",
                }
            )
        return panel

    @api.model
    def _sync_provider_pushes_silently(self, provider):  # pylint: disable=unused-argument
        """Whether ``provider`` can create an event with guests without e-mailing them
        (providers that cannot override this)."""
        return True

    @api.model
    def action_sync_button(self, provider, existing_guests_policy=None):
        """The side panel button: connect, resume, or sync now with a report.

        Before a first connection to a provider that e-mails guests of every event created
        with guests, the user first chooses what happens to existing events with guests.
        """
        if not self._sync_provider_configured(provider):
            if not self._sync_param(f"calendar_sync_{provider}.notified_error"):
                self._sync_notify_administrators(provider, self.env._("The Client ID is empty."))
            message = self.env._(
                "An administrator must enter the Client ID and Client Secret in "
                "Calendar > Configuration > Settings first. An administrator has been notified."
            )
            return {"status": "need_config", "message": message}
        account = self.search([("user_id", "=", self.env.uid), ("provider", "=", provider)])
        if not account or account.state in ("disconnected", "needs_reconnect"):
            if existing_guests_policy:
                self._sync_choose_existing_guests(provider, account, existing_guests_policy)
            elif not account and not self._sync_provider_pushes_silently(provider):
                return self._sync_existing_guests_question()
            return {"status": "redirect", "url": f"/calendar_sync_{provider}/authorize"}
        account.action_resume()
        return {"status": "synced", "notification": account.action_sync_now()["params"]}

    @api.model
    def _sync_existing_guests_question(self):
        policies = self._fields["existing_guests_policy"]._description_selection(self.env)
        return {
            "status": "choose_existing_guests",
            "message": self.env._(
                "Outlook sends an invitation e-mail to the guests of every event Odoo creates "
                "there with guests. What should the first synchronization do with your existing "
                "Odoo events that have guests?"
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
        """The user stops their own sync; the button resumes it."""
        self.search([("user_id", "=", self.env.uid), ("provider", "=", provider)]).action_pause()
        return True

    # ------------------------------------------------------------------ OAuth state

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
        return self._notification(counts.summary(), "success")

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
        self.filtered(lambda a: a.state in SYNCABLE_STATES).sudo().state = "paused"

    def action_resume(self):
        self._check_own_account()
        self.filtered(lambda a: a.state == "paused").sudo().state = "connected"

    def action_disconnect(self):
        """Forget the grant; links stay so a reconnection re-links instead of duplicating."""
        self._check_own_account()
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
        """Sync every connected account of ``provider``, each in its own transaction.

        Several cron workers may run this at once: each account is row-locked with SKIP
        LOCKED, so a worker skips what another is doing. One account's failure is recorded
        on it and never stops the others.
        """
        paused = self._sync_param(f"calendar_sync_{provider}.paused")
        if paused:
            return
        self.env.flush_all()  # each account syncs through its own cursor: it must see ours
        accounts = self.sudo().search(
            [("provider", "=", provider), ("state", "in", SYNCABLE_STATES)],
            order="last_sync_date asc nulls first, id",
        )
        for account_id in accounts.ids:
            self._sync_in_own_transaction(account_id)

    @api.model
    def _sync_in_own_transaction(self, account_id):
        # The cursor's context manager commits this user's work (or rolls it back) on exit,
        # so a later user's failure cannot undo it and the row lock is released promptly.
        with self.env.registry.cursor() as cr:
            account = self.with_env(self.env(cr=cr)).sudo().browse(account_id)
            if account.exists() and account._sync_try_lock():
                account._sync_guarded()

    def _sync_try_lock(self):
        """Lock this account's row for the current transaction; False if another holds it."""
        self.ensure_one()
        self.env.cr.execute(
            "SELECT id FROM calendar_sync_account WHERE id = %s FOR UPDATE SKIP LOCKED",
            [self.id],
        )
        return bool(self.env.cr.fetchone())

    def _sync_guarded(self):
        """Run one sync; record any failure on the account. Returns counts or None."""
        self.ensure_one()
        connector = None
        try:
            with self.env.cr.savepoint():
                connector = self._sync_connector()
                counts = self._sync_run(connector)
        except AuthExpired as error:
            self._sync_record_failure("needs_reconnect", error, connector)
            self._notify_reconnect()
            return None
        except SyncError as error:
            self._sync_record_failure("error", error, connector)
            return None
        # One user's unexpected failure (a bug, bad data) must not stop the other users.
        except Exception as error:  # noqa: BLE001 pylint: disable=broad-exception-caught
            _logger.exception("Calendar sync of account %s failed", self.id)
            self._sync_record_failure("error", error, connector)
            return None
        return counts

    def _sync_run(self, connector):
        counts = SyncCounts()
        rules = self._sync_rules()
        self._sync_pull(connector, rules, counts)
        remaining = self._sync_push(connector, rules, counts)
        self._sync_configuration_works()
        self.write(
            {
                "state": "connected",
                "last_sync_date": fields.Datetime.now(),
                "last_sync_summary": counts.summary(),
                "last_counts": counts.as_dict(),
                "last_error": False,
                "queued_count": remaining,
                "first_sync_done": True,
            }
        )
        return counts

    def _sync_persist_credentials(self, connector):
        """Write back tokens the connector refreshed (providers override).

        Called after a failed sync rolled its savepoint back: a rotated refresh token must
        survive the rollback, or the next run would present a dead one.
        """

    def _sync_record_failure(self, state, error, connector=None):
        if connector is not None:
            self._sync_persist_credentials(connector)
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
            (
                AuthExpired,
                self.env._("The remote calendar no longer accepts the authorization: reconnect."),
            ),
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
        self.env["mail.thread"].sudo().message_notify(
            partner_ids=self.user_id.partner_id.ids,
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
