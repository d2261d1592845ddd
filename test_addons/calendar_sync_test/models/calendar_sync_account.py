from odoo import fields, models


class CalendarSyncAccount(models.Model):
    _inherit = "calendar.sync.account"

    provider = fields.Selection(
        selection_add=[("fake", "Fake Calendar")], ondelete={"fake": "cascade"}
    )
