import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError

from calendar_sync_base.services.errors import ConfigurationError, SyncError

from ..models.calendar_sync_account import EXPECTED_FAILURES, SYNCABLE_STATES

_logger = logging.getLogger(__name__)

# Where ``_sync_request`` remembers the providers it woke in the current transaction.
WOKEN_PROVIDERS_KEY = "calendar_sync.woken_providers"
# Error entries the console form lists (the Error Log button opens all of them).
RECENT_ERRORS = 20


class CalendarSyncConsole(models.TransientModel):
    """The administrator's Sync Console: one record per provider, made each time the menu
    opens it (``action_open``). Only the provider is stored; everything shown is computed
    from the connections, their links and the sync history when read, so the console never
    holds a stale copy and needs no upkeep."""

    _name = "calendar.sync.console"
    _description = "Calendar Sync Console"
    _rec_name = "provider"

    provider = fields.Selection("_selection_provider", required=True, readonly=True)
    configured = fields.Boolean(compute="_compute_details")
    paused = fields.Boolean(compute="_compute_details")
    max_users = fields.Integer("Maximum Users", compute="_compute_details")
    limit_reached = fields.Boolean(compute="_compute_details")
    account_ids = fields.Many2many(
        "calendar.sync.account", string="Connections", compute="_compute_details"
    )
    user_count = fields.Integer("Users Synced", compute="_compute_details")
    validated_count = fields.Integer("Validated", compute="_compute_details")
    error_count = fields.Integer("In Error", compute="_compute_details")
    waiting_count = fields.Integer(
        "Waiting to Push", compute="_compute_details", help="Changes queued for the next run."
    )
    pushed_count = fields.Integer("Pushed in Last Run", compute="_compute_details")
    pulled_count = fields.Integer("Pulled in Last Run", compute="_compute_details")
    last_sync_date = fields.Datetime("Last Calendar Sync", compute="_compute_details")
    error_log_ids = fields.Many2many(
        "calendar.sync.log", string="Recent Errors", compute="_compute_details"
    )
    error_log_count = fields.Integer("Errors Logged", compute="_compute_details")

    @api.model
    def _selection_provider(self):
        return (
            self.env["calendar.sync.account"]._fields["provider"]._description_selection(self.env)
        )

    def _check_console_access(self):
        """Every entry point checks it: the console acts for all users with sudo."""
        if not self.env.is_system():
            raise AccessError(self.env._("Only administrators may use the Sync Console."))

    def _connections(self):
        """The provider's connections that count as synced users (not disconnected)."""
        self.ensure_one()
        return (
            self.env["calendar.sync.account"]
            .sudo()
            .search([("provider", "=", self.provider), ("state", "!=", "disconnected")])
        )

    def _error_log_domain(self):
        self.ensure_one()
        return [("provider", "=", self.provider), ("operation", "=", "error")]

    @api.depends("provider")
    def _compute_details(self):
        self._check_console_access()
        accounts_model = self.env["calendar.sync.account"]
        logs = self.env["calendar.sync.log"].sudo()
        for console in self:
            accounts = console._connections()
            console.configured = accounts_model._sync_provider_configured(console.provider)
            console.paused = bool(
                accounts_model._sync_param(f"calendar_sync_{console.provider}.paused")
            )
            console.max_users = accounts_model._sync_user_limit(console.provider)
            console.limit_reached = bool(console.max_users) and len(accounts) >= console.max_users
            console.account_ids = accounts
            console.user_count = len(accounts)
            console.validated_count = len(accounts.filtered("validated"))
            console.error_count = len(
                accounts.filtered(
                    lambda a: a.state in ("error", "needs_reconnect") or a.validation_error
                )
            )
            console.waiting_count = (
                self.env["calendar.sync.link"]
                .sudo()
                .search_count([("account_id", "in", accounts.ids), ("need_push", "=", True)])
            )
            console.pushed_count = self._last_run_total(accounts, "pushed")
            console.pulled_count = self._last_run_total(accounts, "pulled")
            console.last_sync_date = max(
                filter(None, accounts.mapped("last_sync_date")), default=False
            )
            console.error_log_ids = logs.search(console._error_log_domain(), limit=RECENT_ERRORS)
            console.error_log_count = logs.search_count(console._error_log_domain())

    @api.model
    def _last_run_total(self, accounts, direction):
        """Events created, updated and deleted ``direction`` ("pushed" / "pulled") in each
        connection's last run (``last_counts``), added up."""
        return sum(
            (account.last_counts or {}).get(f"{direction}_{change}", 0)
            for account in accounts
            for change in ("created", "updated", "deleted")
        )

    # ------------------------------------------------------------------ opening

    @api.model
    def action_open(self):
        """The menu's entry: one fresh console record per provider."""
        self._check_console_access()
        consoles = self.create(
            [{"provider": value} for value, _label in self._selection_provider()]
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Sync Console"),
            "res_model": self._name,
            "views": [(False, "kanban"), (False, "form")],
            "domain": [("id", "in", consoles.ids)],
        }

    def _notify(self, message, kind="success"):
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env["calendar.sync.account"]._sync_provider_label(self.provider),
                "message": message,
                "type": kind,
                "sticky": kind == "danger",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------ Test Connection

    def action_test_connection(self):
        """Reach the provider with the configured credentials: what it accepted, or the
        exact reason it refused."""
        self.ensure_one()
        self._check_console_access()
        provider = self.env["calendar.sync.account"].sudo()._sync_provider(self.provider)
        try:
            found = provider._console_check_connection()
        except SyncError as error:
            return self._notify(
                self.env._("The connection test failed: %(reason)s", reason=str(error)),
                "danger",
            )
        return self._notify(found)

    # ------------------------------------------------------------------ Validate Users

    def action_validate_users(self):
        """Check every connected user's calendar with one light request each."""
        self.ensure_one()
        self._check_console_access()
        results = [self._validate(account) for account in self._connections()]
        message = self.env._(
            "%(valid)s users validated, %(failed)s failed, %(busy)s being synchronized "
            "(not checked).",
            valid=results.count(True),
            failed=results.count(False),
            busy=results.count(None),
        )
        return self._notify(message, "warning" if False in results else "success")

    def _validate(self, account):
        """True when ``account``'s calendar answered, False (the reason written on the
        connection) when not, None when a synchronization holds it now."""
        if not account._sync_try_lock():
            return None
        try:
            with self.env.cr.savepoint():
                account._sync_provider()._console_probe(account, account._sync_connector())
        # One user's failure, whatever it is, is that user's result, never the others'.
        except Exception as error:  # noqa: BLE001 pylint: disable=broad-exception-caught
            if not isinstance(error, EXPECTED_FAILURES):
                _logger.exception("Validating calendar connection %s failed", account.id)
            account.write(
                {
                    "validated": False,
                    "validation_date": fields.Datetime.now(),
                    "validation_error": self._validation_error(account, error),
                }
            )
            return False
        account.write(
            {
                "validated": True,
                "validation_date": fields.Datetime.now(),
                "validation_error": False,
            }
        )
        return True

    def _validation_error(self, account, error):
        """The sync's plain words, except for a refused configuration: the administrator
        reading it is the one to fix it, so the provider's reason is given."""
        if isinstance(error, ConfigurationError):
            return self.env._(
                "%(provider)s refused the configuration: %(reason)s",
                provider=account._sync_provider_label(account.provider),
                reason=str(error),
            )
        return account._sync_error_message(error)

    # ------------------------------------------------------------------ Sync Calendar Now

    def action_sync_now(self):
        """Queue a run of the provider's scheduled action now (``_sync_request``); a run
        already waiting to start is not doubled."""
        self.ensure_one()
        self._check_console_access()
        accounts = self._connections().filtered(lambda a: a.state in SYNCABLE_STATES)
        if not accounts:
            return self._notify(self.env._("No connection to synchronize."), "warning")
        if self.paused:
            return self._notify(
                self.env._("Synchronization is paused in Settings; nothing was queued."),
                "warning",
            )
        cron = accounts._sync_cron(self.provider)
        already_queued = self._run_pending(cron)
        if already_queued:
            # ``_sync_request`` then only marks the connections: the pending run takes them.
            self.env.cr.precommit.data.setdefault(WOKEN_PROVIDERS_KEY, set()).add(self.provider)
        accounts._sync_request()
        if already_queued:
            message = self.env._(
                "A run was already queued; it synchronizes the %(count)s connections.",
                count=len(accounts),
            )
        else:
            message = self.env._(
                "A run synchronizing %(count)s connections starts within moments.",
                count=len(accounts),
            )
        return self._notify(message)

    @api.model
    def _run_pending(self, cron):
        """Whether ``cron`` already has a trigger waiting (due now or later)."""
        return bool(
            cron and self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)])
        )

    # ------------------------------------------------------------------ Reset All

    def action_open_reset_all(self):
        self.ensure_one()
        self._check_console_access()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reset All"),
            "res_model": "calendar.sync.console.reset.wizard",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_provider": self.provider},
        }

    # ------------------------------------------------------------------ Sync Details

    def action_open_error_log(self):
        """The provider's error entries, in the history's list (filters, grouping)."""
        self.ensure_one()
        self._check_console_access()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Synchronization Errors"),
            "res_model": "calendar.sync.log",
            "views": [(False, "list"), (False, "form")],
            "domain": self._error_log_domain(),
        }

    def action_clear_error_log(self):
        self.ensure_one()
        self._check_console_access()
        errors = self.env["calendar.sync.log"].sudo().search(self._error_log_domain())
        count = len(errors)
        errors.unlink()
        return self._notify(self.env._("%(count)s error entries deleted.", count=count))
