from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    # Shown read-only on the user form and in My Preferences. Deliberately not in
    # SELF_WRITEABLE_FIELDS: res.users.write would then run as superuser and let x2many
    # commands take over or edit any connection; users change their own connection through
    # its form instead (calendar.sync.account.write checks every field).
    calendar_sync_account_ids = fields.One2many(
        "calendar.sync.account", "user_id", string="Calendar Connections"
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["calendar_sync_account_ids"]
