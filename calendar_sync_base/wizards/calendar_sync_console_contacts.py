from odoo import api, fields, models

from ..models.calendar_sync_contact_link import LAST_SYNC_PARAM
from ..models.calendar_sync_sent_mail import PROVIDER_LAST_COUNT, PROVIDER_LAST_RUN


class CalendarSyncConsole(models.TransientModel):
    """The Sync Console's contacts and e-mail: Sync Contacts Now, Sync E-mail Now, and the
    contacts and e-mails in Sync Details."""

    _inherit = "calendar.sync.console"

    syncs_contacts = fields.Boolean(compute="_compute_contact_details")
    copies_mail = fields.Boolean(compute="_compute_contact_details")
    contact_count = fields.Integer("Contacts Synced", compute="_compute_contact_details")
    last_contact_sync_date = fields.Datetime(
        "Last Contact Sync", compute="_compute_contact_details"
    )
    mail_copied_count = fields.Integer(
        "E-mails Copied",
        compute="_compute_contact_details",
        help="E-mails saved in the users' Sent Items since they connected.",
    )
    mail_last_run_count = fields.Integer(
        "E-mails Copied in Last Run", compute="_compute_contact_details"
    )
    last_mail_sync_date = fields.Datetime("Last E-mail Sync", compute="_compute_contact_details")

    @api.depends("provider")
    def _compute_contact_details(self):
        self._check_console_access()
        links = self.env["calendar.sync.contact.link"].sudo()
        sent_mails = self.env["calendar.sync.sent.mail"].sudo()
        params = self.env["ir.config_parameter"].sudo()
        for console in self:
            provider = console._provider_model()
            console.syncs_contacts = bool(provider._contacts_cron())
            console.copies_mail = bool(provider._mail_cron())
            console.contact_count = links.search_count(
                [("account_id", "in", console._connections().ids), ("remote_id", "!=", False)]
            )
            console.last_contact_sync_date = fields.Datetime.to_datetime(
                params.get_param(LAST_SYNC_PARAM(console.provider)) or False
            )
            console.mail_copied_count = sent_mails.search_count(
                [("account_id.provider", "=", console.provider), ("state", "=", "done")]
            )
            console.mail_last_run_count = int(
                params.get_param(PROVIDER_LAST_COUNT(console.provider)) or 0
            )
            console.last_mail_sync_date = fields.Datetime.to_datetime(
                params.get_param(PROVIDER_LAST_RUN(console.provider)) or False
            )

    def _provider_model(self):
        self.ensure_one()
        return self.env["calendar.sync.account"]._sync_provider(self.provider)

    def action_sync_contacts_now(self):
        return self._run_cron_once(self._provider_model()._contacts_cron())

    def action_sync_mail_now(self):
        return self._run_cron_once(self._provider_model()._mail_cron())

    def _run_cron_once(self, cron):
        """Queue one run of the provider's scheduled action ``cron`` now; a run already
        waiting to start is not doubled."""
        self.ensure_one()
        self._check_console_access()
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
