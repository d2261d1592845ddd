from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    calendar_sync_google_enabled = fields.Boolean(
        "Google Calendar", config_parameter="calendar_sync_google.enabled"
    )
    calendar_sync_google_client_id = fields.Char(
        "Google Client ID", config_parameter="calendar_sync_google.client_id"
    )
    calendar_sync_google_client_secret = fields.Char("Google Client Secret")
    calendar_sync_google_client_secret_set = fields.Boolean(readonly=True)
    calendar_sync_google_paused = fields.Boolean(
        "Pause Google Synchronization",
        config_parameter="calendar_sync_google.paused",
        help="Changes stay queued and are synchronized when the pause ends.",
    )
    calendar_sync_google_max_users = fields.Integer(
        "Maximum Google Users",
        config_parameter="calendar_sync_google.max_users",
        help="Users beyond this number cannot connect Google (0: no limit).",
    )
    calendar_sync_google_redirect_uri = fields.Char(
        "Authorized redirect URI", compute="_compute_calendar_sync_google_redirect_uri"
    )

    calendar_sync_google_push_status = fields.Char(
        "Google Push Notifications", compute="_compute_calendar_sync_google_push_status"
    )

    @api.depends("company_id")
    def _compute_calendar_sync_google_push_status(self):
        status = self.env["calendar.sync.channel"]._push_status_message("google")
        for settings in self:
            settings.calendar_sync_google_push_status = status

    # company_id has a default: depending on it makes the settings form's first onchange
    # compute the URI (a compute without dependencies stays empty in a new record).
    @api.depends("company_id")
    def _compute_calendar_sync_google_redirect_uri(self):
        uri = self.env["calendar.sync.account"]._google_redirect_uri()
        for settings in self:
            settings.calendar_sync_google_redirect_uri = uri

    @api.model
    def _calendar_sync_secret_fields(self):
        return {
            **super()._calendar_sync_secret_fields(),
            "calendar_sync_google_client_secret": "calendar_sync_google.client_secret",
        }
