from odoo import api, fields, models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    sync_with_google = fields.Boolean(
        "Synchronize with Google",
        default=True,
        help="Switch off to keep this event out of Google Calendar: the copy Odoo created "
        "there is deleted and the event stops synchronizing.",
    )
    sync_google_connected = fields.Boolean(compute="_compute_sync_google_connected")

    @api.depends_context("uid")
    def _compute_sync_google_connected(self):
        self.sync_google_connected = self._sync_user_connected("google")
