from odoo import fields, models


class CalendarSyncLogLine(models.Model):
    _name = "calendar.sync.log.line"
    _description = "Calendar Sync History Field Change"

    log_id = fields.Many2one("calendar.sync.log", required=True, ondelete="cascade", index=True)
    field_name = fields.Char(required=True)
    old_value = fields.Text(help="Readable value before the change.")
    new_value = fields.Text(help="Readable value after the change.")
    old_value_raw = fields.Json(help="Value before the change, as written to the record.")
