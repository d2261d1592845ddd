from odoo import fields, models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    sync_with_fake = fields.Boolean(
        "Synchronize with Fake Calendar",
        default=True,
        help="Switch off to keep this event out of the fake calendar.",
    )
