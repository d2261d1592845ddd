from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    calendar_sync_account_ids = fields.One2many(
        "calendar.sync.account", "user_id", string="Calendar Connections"
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["calendar_sync_account_ids"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        # Only the fields calendar.sync.account.write lets a user change get through.
        return super().SELF_WRITEABLE_FIELDS + ["calendar_sync_account_ids"]
