from odoo import fields, models

from .calendar_sync_mixin import links_to_push


class CalendarAttendee(models.Model):
    _inherit = "calendar.attendee"

    # Every sync reads an event's attendees; Odoo does not index this column, so each read
    # scanned all attendees of the database (bench/RESULTS.md).
    event_id = fields.Many2one(index=True)

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals:
            # An answer given in Odoo (or pulled from another calendar) goes out like any
            # other edit of the event.
            links_to_push(self.env, self.sudo().event_id.sync_link_ids).need_push = True
        return result
