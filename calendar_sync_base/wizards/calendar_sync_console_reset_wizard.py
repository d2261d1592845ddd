from odoo import api, fields, models
from odoo.exceptions import UserError

from calendar_sync_base.services.errors import SyncError

CONFIRMATION_WORD = "DELETE"


class CalendarSyncConsoleResetWizard(models.TransientModel):
    """Reset All, from the Sync Console: delete, in every user's remote calendar of one
    provider, each appointment this database created there, and nothing else.

    An appointment qualifies when its link says Odoo created it (origin ``push``) and the
    remote copy still carries the Odoo id this database stamped on it (Google's private
    extended property, Graph's single-value extended property: the connector's ``odoo_id``).
    Events the users made remotely, and invitations, are never touched. The deletion is the
    connection reset's (``calendar.sync.reset.wizard._delete_remote``): each deleted copy's
    link goes at once, so running Reset All again after a failure continues with what is
    left. The Odoo events stay, no longer synchronized until they change.
    """

    _name = "calendar.sync.console.reset.wizard"
    _description = "Reset All Synchronized Appointments"

    provider = fields.Selection("_selection_provider", required=True, readonly=True)
    created_count = fields.Integer(
        "Appointments Created by Odoo",
        compute="_compute_created_count",
        help="Remote copies Odoo created, checked for its stamp before each deletion.",
    )
    confirmation = fields.Char(
        help=f"Type {CONFIRMATION_WORD} to confirm: the deletion cannot be undone."
    )

    @api.model
    def _selection_provider(self):
        return self.env["calendar.sync.console"]._selection_provider()

    @api.model_create_multi
    def create(self, vals_list):
        self.env["calendar.sync.console"]._check_console_access()
        return super().create(vals_list)

    @api.depends("provider")
    def _compute_created_count(self):
        self.env["calendar.sync.console"]._check_console_access()
        for wizard in self:
            wizard.created_count = len(wizard._created_links(wizard._accounts()))

    def _accounts(self):
        """Connections holding a grant: a disconnected one cannot reach its calendar."""
        return (
            self.env["calendar.sync.account"]
            .sudo()
            .search([("provider", "=", self.provider), ("state", "!=", "disconnected")])
        )

    @api.model
    def _created_links(self, accounts):
        return (
            self.env["calendar.sync.link"]
            .sudo()
            .search(
                [
                    ("account_id", "in", accounts.ids),
                    ("origin", "=", "push"),
                    ("remote_id", "!=", False),
                ]
            )
        )

    def action_reset_all(self):
        self.ensure_one()
        self.env["calendar.sync.console"]._check_console_access()
        if (self.confirmation or "").strip() != CONFIRMATION_WORD:
            raise UserError(
                self.env._(
                    "Type %(word)s in the confirmation field to delete the appointments.",
                    word=CONFIRMATION_WORD,
                )
            )
        lines = [self._reset_account(account) for account in self._accounts()]
        message = "\n".join(lines) or self.env._("No connection to reset.")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Reset All"),
                "message": message,
                "type": "success",
                "sticky": True,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _reset_account(self, account):
        """Delete ``account``'s stamped copies; one report line. A failure stays this
        user's: the copies already deleted are gone, and a new run drops their links."""
        if not account._sync_try_lock():
            return self.env._(
                "%(user)s: being synchronized now; run Reset All again in a moment.",
                user=account.user_id.name,
            )
        try:
            with self.env.cr.savepoint():
                stamped, gone = self._stamped(account)
                gone.unlink()
                self.env["calendar.sync.reset.wizard"]._delete_remote(account, stamped)
        except (SyncError, UserError) as error:
            return self.env._(
                "%(user)s: stopped (%(reason)s); run Reset All again to continue.",
                user=account.user_id.name,
                reason=account._sync_error_message(error)
                if isinstance(error, SyncError)
                else str(error),
            )
        return self.env._(
            "%(user)s: %(deleted)s deleted, %(gone)s already gone.",
            user=account.user_id.name,
            deleted=len(stamped),
            gone=len(gone),
        )

    def _stamped(self, account):
        """``(stamped, gone)``: links whose remote copy carries this database's stamp, and
        links whose remote copy no longer exists. Copies without the stamp are left alone."""
        connector = account._sync_connector()
        links = self._created_links(account)
        remote = {link: connector.fetch(link.remote_id) for link in links}
        gone = links.filtered(lambda link: remote[link] is None)
        stamped = links.filtered(
            lambda link: remote[link] is not None and remote[link].odoo_id is not None
        )
        return stamped, gone
