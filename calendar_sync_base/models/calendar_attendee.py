from odoo import models

from .calendar_sync_mixin import PULL_CONTEXT_KEY


class CalendarAttendee(models.Model):
    _inherit = "calendar.attendee"

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals and not self.env.context.get(PULL_CONTEXT_KEY):
            # An answer given in Odoo goes out like any other edit of the event.
            self.sudo().event_id.sync_link_ids.need_push = True
        return result
