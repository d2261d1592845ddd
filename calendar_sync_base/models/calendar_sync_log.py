from odoo import api, fields, models


class CalendarSyncLog(models.Model):
    """One change a sync applied (or refused), with its field-level old and new values."""

    _name = "calendar.sync.log"
    _description = "Calendar Sync History"
    _order = "create_date desc, id desc"

    account_id = fields.Many2one("calendar.sync.account", ondelete="cascade", index=True)
    user_id = fields.Many2one("res.users", required=True, ondelete="cascade", index=True)
    provider = fields.Selection(related="account_id.provider", store=True)
    direction = fields.Selection(
        [("pull", "Remote -> Odoo"), ("push", "Odoo -> Remote")], required=True
    )
    operation = fields.Selection(
        [
            ("create", "Created"),
            ("update", "Updated"),
            ("delete", "Deleted"),
            ("link", "Linked"),
            ("reply", "Answered"),
            ("conflict", "Conflict"),
            ("error", "Error"),
        ],
        required=True,
    )
    res_model = fields.Char("Model", index=True)
    res_id = fields.Many2oneReference("Record", model_field="res_model", index=True)
    record_name = fields.Char()
    remote_id = fields.Char()
    message = fields.Text()
    line_ids = fields.One2many("calendar.sync.log.line", "log_id", string="Changed Fields")

    @api.model
    def _log_change(self, account, direction, operation, record=None, changes=None, **extra):
        """Record one applied change.

        ``changes`` maps an Odoo field name to ``(old readable, new readable, old raw)``;
        the raw old value is what Revert writes back.
        """
        vals = {
            "account_id": account.id,
            "user_id": account.user_id.id,
            "direction": direction,
            "operation": operation,
            "line_ids": [
                fields.Command.create(
                    {"field_name": name, "old_value": old, "new_value": new, "old_value_raw": raw}
                )
                for name, (old, new, raw) in (changes or {}).items()
            ],
            **extra,
        }
        if record:
            vals.update(res_model=record._name, res_id=record.id, record_name=record.display_name)
        return self.sudo().create(vals)
