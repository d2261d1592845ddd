from odoo import api, fields, models
from odoo.exceptions import UserError


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
            ("warning", "Warning"),
        ],
        required=True,
    )
    res_model = fields.Char("Model", index=True)
    res_id = fields.Many2oneReference("Record", model_field="res_model", index=True)
    record_name = fields.Char()
    remote_id = fields.Char()
    message = fields.Text()
    line_ids = fields.One2many("calendar.sync.log.line", "log_id", string="Changed Fields")
    reverted = fields.Boolean(readonly=True)
    can_revert = fields.Boolean(compute="_compute_can_revert")

    @api.depends("operation", "reverted", "line_ids.old_value_raw", "res_model", "res_id")
    def _compute_can_revert(self):
        for log in self:
            log.can_revert = (
                not log.reverted
                and log.res_model == "calendar.event"
                and bool(log.res_id)
                and (
                    log.operation in ("create", "delete")
                    or (log.operation == "update" and bool(log.line_ids))
                )
            )

    def action_revert(self):
        """Undo what a sync did, as a user edit: the restore is pushed like any other edit.

        An update gets its old values back, a creation is archived, a deletion (which the
        sync did as an archive) is restored.
        """
        for log in self:
            if not log.can_revert:
                raise UserError(self.env._("This change cannot be reverted."))
            record = self.env[log.res_model].with_context(active_test=False).browse(log.res_id)
            if not record.exists():
                raise UserError(self.env._("The record no longer exists."))
            record.write(log._revert_values())
            log.sudo().reverted = True
        return True

    def _revert_values(self):
        if self.operation == "create":
            return {"active": False}
        if self.operation == "delete":
            return {"active": True}
        return {line.field_name: line.old_value_raw for line in self.line_ids}

    @api.autovacuum
    def _gc_history(self):
        """Drop history older than the retention (Settings, default 90 days)."""
        days = int(
            self.env["ir.config_parameter"].sudo().get_param("calendar_sync.history_days", 90)
        )
        if days > 0:
            limit = fields.Datetime.subtract(fields.Datetime.now(), days=days)
            self.sudo().search([("create_date", "<", limit)]).unlink()

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
        log = self.sudo().create(vals)
        if record and record._name == "calendar.event" and direction == "pull":
            log._post_on_chatter(record)
        return log

    def _post_on_chatter(self, record):
        """A short line on the event, so its history shows what the sync changed."""
        provider = dict(self._fields["provider"]._description_selection(self.env)).get(
            self.provider, ""
        )
        fields_changed = ", ".join(self.line_ids.mapped("field_name"))
        body = self.env._(
            "%(provider)s sync: %(operation)s %(fields)s",
            provider=provider,
            operation=dict(self._fields["operation"]._description_selection(self.env))[
                self.operation
            ].lower(),
            fields=f"({fields_changed})" if fields_changed and self.operation == "update" else "",
        )
        record.sudo()._message_log(body=body)
