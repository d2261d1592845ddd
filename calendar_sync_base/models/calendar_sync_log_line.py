from odoo import api, fields, models

from .calendar_sync_runner import NEUTRAL_TO_ODOO_FIELDS


class CalendarSyncLogLine(models.Model):
    _name = "calendar.sync.log.line"
    _description = "Calendar Sync History Field Change"

    log_id = fields.Many2one("calendar.sync.log", required=True, ondelete="cascade", index=True)
    field_name = fields.Char(required=True)
    field_label = fields.Char("Field", compute="_compute_field_label")
    old_value = fields.Text(help="Readable value before the change.")
    new_value = fields.Text(help="Readable value after the change.")
    old_value_raw = fields.Json(help="Value before the change, as written to the record.")

    @api.depends("field_name", "log_id.res_model")
    def _compute_field_label(self):
        """The label the user knows the field by (a series' fields are the event's)."""
        events = self.env["calendar.event"]
        for line in self:
            model = self.env.get(line.log_id.res_model, events)
            name = line.field_name
            field = (
                model._fields.get(name)
                or events._fields.get(name)
                or events._fields.get(NEUTRAL_TO_ODOO_FIELDS.get(name, ""))
            )
            line.field_label = field._description_string(self.env) if field else name
