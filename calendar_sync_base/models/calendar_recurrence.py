from odoo import api, fields, models


class CalendarRecurrence(models.Model):
    _name = "calendar.recurrence"
    _inherit = ["calendar.recurrence", "calendar.sync.mixin"]

    sync_link_ids = fields.One2many(
        "calendar.sync.link", "recurrence_id", string="Sync Links", groups="base.group_system"
    )

    @api.model
    def _sync_tracked_fields(self):
        return super()._sync_tracked_fields() | {
            "rrule_type", "interval", "count", "until", "end_type", "month_by", "day",
            "weekday", "byday", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
            "event_tz", "dtstart",
        }  # fmt: skip
