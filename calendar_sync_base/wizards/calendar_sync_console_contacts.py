from odoo import api, fields, models

from ..models.calendar_sync_contact_link import LAST_SYNC_PARAM

# The scheduled actions the console wakes, by what they do: a provider addon that syncs
# contacts or copies sent e-mails declares ``calendar_sync_<provider>_cron_<kind>``.
CONTACTS_CRON = "sync_contacts"
MAIL_CRON = "copy_sent_mails"


class CalendarSyncConsole(models.TransientModel):
    """The Sync Console's contacts and e-mail: Sync Contacts Now, Sync E-mail Now, and the
    contacts in Sync Details."""

    _inherit = "calendar.sync.console"

    syncs_contacts = fields.Boolean(compute="_compute_contact_details")
    copies_mail = fields.Boolean(compute="_compute_contact_details")
    contact_count = fields.Integer("Contacts Synced", compute="_compute_contact_details")
    last_contact_sync_date = fields.Datetime(
        "Last Contact Sync", compute="_compute_contact_details"
    )

    @api.depends("provider")
    def _compute_contact_details(self):
        self._check_console_access()
        links = self.env["calendar.sync.contact.link"].sudo()
        params = self.env["ir.config_parameter"].sudo()
        for console in self:
            console.syncs_contacts = bool(console._provider_cron(CONTACTS_CRON))
            console.copies_mail = bool(console._provider_cron(MAIL_CRON))
            console.contact_count = links.search_count(
                [("account_id", "in", console._connections().ids)]
            )
            console.last_contact_sync_date = fields.Datetime.to_datetime(
                params.get_param(LAST_SYNC_PARAM(console.provider)) or False
            )

    def _provider_cron(self, kind):
        self.ensure_one()
        xmlid = f"calendar_sync_{self.provider}.calendar_sync_{self.provider}_cron_{kind}"
        return self.env.ref(xmlid, raise_if_not_found=False)

    def action_sync_contacts_now(self):
        return self._run_cron_once(CONTACTS_CRON)

    def action_sync_mail_now(self):
        return self._run_cron_once(MAIL_CRON)

    def _run_cron_once(self, kind):
        """Queue one run of the provider's ``kind`` scheduled action now; a run already
        waiting to start is not doubled."""
        self.ensure_one()
        self._check_console_access()
        cron = self._provider_cron(kind)
        if not cron or not cron.active:
            return self._notify(
                self.env._("This scheduled action is not available or is archived."), "warning"
            )
        if self.paused:
            return self._notify(
                self.env._("Synchronization is paused in Settings; nothing was queued."),
                "warning",
            )
        if self._run_pending(cron):
            return self._notify(
                self.env._("A run of %(action)s was already queued.", action=cron.name)
            )
        cron.sudo()._trigger()
        return self._notify(self.env._("%(action)s starts within moments.", action=cron.name))
