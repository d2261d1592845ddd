from odoo import api, fields, models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    sync_with_microsoft = fields.Boolean(
        "Synchronize with Outlook",
        default=True,
        help="Switch off to keep this event out of Outlook: the copy Odoo created there is "
        "deleted and the event stops synchronizing.",
    )
    sync_microsoft_connected = fields.Boolean(compute="_compute_sync_microsoft_connected")

    @api.depends_context("uid")
    def _compute_sync_microsoft_connected(self):
        self.sync_microsoft_connected = self._sync_user_connected("microsoft")
