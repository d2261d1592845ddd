from odoo import fields, models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    sync_with_google = fields.Boolean(
        "Synchronize with Google",
        default=True,
        help="Switch off to keep this event out of Google Calendar: the copy Odoo created "
        "there is deleted and the event stops synchronizing.",
    )
