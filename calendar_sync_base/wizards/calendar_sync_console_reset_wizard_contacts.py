from odoo import api, fields, models

from calendar_sync_base.services.contact import ContactOp, ContactOpKind
from calendar_sync_base.services.errors import SyncError


class CalendarSyncConsoleResetWizard(models.TransientModel):
    """Reset All deletes the contacts this database created too: those carrying its stamp
    (the connector's listing says whose stamp), never a contact made by hand or one a first
    sync matched (never stamped). Their links go, so the next contact sync starts afresh."""

    _inherit = "calendar.sync.console.reset.wizard"

    contact_link_count = fields.Integer(
        "Contacts Synchronized", compute="_compute_contact_link_count"
    )

    @api.depends("provider")
    def _compute_contact_link_count(self):
        self.env["calendar.sync.console"]._check_console_access()
        links = self.env["calendar.sync.contact.link"].sudo()
        for wizard in self:
            wizard.contact_link_count = links.search_count(
                [("account_id", "in", wizard._accounts().ids)]
            )

    def _reset_account(self, account):
        line = super()._reset_account(account)
        # The calendar part took the row lock (this transaction keeps it) or reported that a
        # sync holds it: then the contacts wait for the next Reset All too.
        if not account._sync_try_lock():
            return line
        connector = account._sync_contacts_connector()
        if connector is None:
            return line
        try:
            with self.env.cr.savepoint():
                deleted = self._delete_stamped_contacts(account, connector)
        except SyncError as error:
            return "\n".join(
                [
                    line,
                    self.env._(
                        "%(user)s: contacts stopped (%(reason)s); run Reset All again to continue.",
                        user=account.user_id.name,
                        reason=account._sync_error_message(error),
                    ),
                ]
            )
        contacts_line = self.env._(
            "%(user)s: %(count)s contacts deleted.", user=account.user_id.name, count=deleted
        )
        return "\n".join([line, contacts_line])

    @api.model
    def _delete_stamped_contacts(self, account, connector):
        """Delete ``account``'s remote contacts stamped by this database; how many."""
        stamped = [item for item in connector.list_contacts() if item.stamp is not None]
        ops = [
            ContactOp(ContactOpKind.DELETE, item.stamp, remote_id=item.remote_id)
            for item in stamped
        ]
        results = connector.apply(ops) if ops else []
        failed = next((result.error for result in results if not result.ok), None)
        if failed is not None:
            raise failed  # the copies deleted are gone: the next run lists what is left
        links = self.env["calendar.sync.contact.link"].sudo()
        links.search([("account_id", "=", account.id)]).unlink()
        return len(results)
