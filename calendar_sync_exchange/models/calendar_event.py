from odoo import api, fields, models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    sync_with_exchange = fields.Boolean(
        "Synchronize with Exchange",
        default=True,
        help="Switch off to keep this event out of Exchange: the copy Odoo created there is "
        "deleted and the event stops synchronizing.",
    )
    sync_exchange_connected = fields.Boolean(compute="_compute_sync_exchange_connected")

    @api.depends_context("uid")
    def _compute_sync_exchange_connected(self):
        self.sync_exchange_connected = self._sync_user_connected("exchange")
