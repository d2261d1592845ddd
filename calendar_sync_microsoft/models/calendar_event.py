from odoo import fields, models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    sync_with_microsoft = fields.Boolean(
        "Synchronize with Outlook",
        default=True,
        help="Switch off to keep this event out of Outlook: the copy Odoo created there is "
        "deleted and the event stops synchronizing.",
    )
