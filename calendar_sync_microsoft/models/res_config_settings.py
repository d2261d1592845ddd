from odoo import api, fields, models

from odoo.addons.calendar_sync_base.models.calendar_sync_account import EXISTING_GUESTS_POLICIES
from odoo.addons.calendar_sync_base.models.calendar_sync_sent_mail import ENABLED, LAST_COUNT, SINCE


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    calendar_sync_microsoft_enabled = fields.Boolean(
        "Outlook Calendar", config_parameter="calendar_sync_microsoft.enabled"
    )
    calendar_sync_microsoft_client_id = fields.Char(
        "Outlook Client ID", config_parameter="calendar_sync_microsoft.client_id"
    )
    calendar_sync_microsoft_client_secret = fields.Char("Outlook Client Secret")
    calendar_sync_microsoft_client_secret_set = fields.Boolean(readonly=True)
    calendar_sync_microsoft_tenant = fields.Char(
        "Tenant",
        default="common",
        config_parameter="calendar_sync_microsoft.tenant",
        help="'common' for any Microsoft account, or your directory (tenant) id / domain "
        "for a single-tenant app registration.",
    )
    calendar_sync_microsoft_authority_host = fields.Char(
        "Sign-in Authority Host",
        config_parameter="calendar_sync_microsoft.authority_host",
        help="https://login.microsoftonline.com, or a national cloud's sign-in host.",
    )
    calendar_sync_microsoft_graph_endpoint = fields.Char(
        "Graph Endpoint",
        config_parameter="calendar_sync_microsoft.graph_endpoint",
        help="https://graph.microsoft.com, or a national cloud's Graph endpoint.",
    )
    calendar_sync_microsoft_redirect_uri = fields.Char(
        "Redirect URI", compute="_compute_calendar_sync_microsoft_redirect_uri"
    )
    calendar_sync_microsoft_existing_guests_policy = fields.Selection(
        EXISTING_GUESTS_POLICIES,
        string="Existing Events with Guests",
        default="without_guests",
        config_parameter="calendar_sync.existing_guests_policy",
        help="Outlook e-mails the guests of every event created with guests, even on a first "
        "synchronization: what is proposed to users for their existing events with guests.",
    )
    calendar_sync_microsoft_paused = fields.Boolean(
        "Pause Outlook Synchronization",
        config_parameter="calendar_sync_microsoft.paused",
        help="Changes stay queued and are synchronized when the pause ends.",
    )
    calendar_sync_microsoft_max_users = fields.Integer(
        "Maximum Outlook Users",
        config_parameter="calendar_sync_microsoft.max_users",
        help="Users beyond this number cannot connect Outlook (0: no limit).",
    )

    calendar_sync_microsoft_sent_mail = fields.Boolean(
        "Copy Sent E-mails to Outlook",
        config_parameter=ENABLED,
        help="E-mails users send from Odoo are saved in their Outlook Sent Items (hourly). "
        "Users consent to Mail.ReadWrite when they connect: those connected before this was "
        "turned on must connect again.",
    )
    calendar_sync_microsoft_sent_mail_since = fields.Datetime(
        "Copy E-mails Sent From",
        config_parameter=SINCE,
        help="E-mails sent before this moment are not copied.",
    )
    calendar_sync_microsoft_sent_mail_status = fields.Char(
        "Copy Status", compute="_compute_calendar_sync_microsoft_sent_mail_status"
    )
    calendar_sync_microsoft_sent_mail_last_count = fields.Integer(
        "E-mails Copied in the Last Run",
        compute="_compute_calendar_sync_microsoft_sent_mail_status",
    )

    calendar_sync_microsoft_push_status = fields.Char(
        "Outlook Push Notifications", compute="_compute_calendar_sync_microsoft_push_status"
    )

    @api.depends("company_id")
    def _compute_calendar_sync_microsoft_push_status(self):
        status = self.env["calendar.sync.channel"]._push_status_message("microsoft")
        for settings in self:
            settings.calendar_sync_microsoft_push_status = status

    @api.depends("company_id")
    def _compute_calendar_sync_microsoft_sent_mail_status(self):
        SentMail = self.env["calendar.sync.sent.mail"].sudo()
        waiting = SentMail.search_count([("state", "=", "pending")])
        failing = SentMail.search_count([("state", "=", "pending"), ("error", "!=", False)])
        refused = SentMail.search_count([("state", "=", "refused")])
        status = self.env._(
            "%(waiting)s waiting (%(failing)s with an error), %(refused)s refused by Outlook",
            waiting=waiting,
            failing=failing,
            refused=refused,
        )
        last = int(self.env["ir.config_parameter"].sudo().get_param(LAST_COUNT, 0) or 0)
        for settings in self:
            settings.calendar_sync_microsoft_sent_mail_status = status
            settings.calendar_sync_microsoft_sent_mail_last_count = last

    # company_id has a default: depending on it makes the settings form's first onchange
    # compute the URI (a compute without dependencies stays empty in a new record).
    @api.depends("company_id")
    def _compute_calendar_sync_microsoft_redirect_uri(self):
        uri = self.env["calendar.sync.account"]._microsoft_redirect_uri()
        for settings in self:
            settings.calendar_sync_microsoft_redirect_uri = uri

    @api.model
    def _calendar_sync_secret_fields(self):
        return {
            **super()._calendar_sync_secret_fields(),
            "calendar_sync_microsoft_client_secret": "calendar_sync_microsoft.client_secret",
        }
