from odoo import fields, models

TOKEN_GROUP = "base.group_system"


class CalendarSyncAccount(models.Model):
    _inherit = "calendar.sync.account"

    provider = fields.Selection(
        selection_add=[("exchange", "Exchange Server")], ondelete={"exchange": "cascade"}
    )
    # Per-user credentials (access "Each user's own credentials"): typed by the user in the
    # connect form, checked against Exchange, then readable by administrators only.
    exchange_login = fields.Char(groups=TOKEN_GROUP, copy=False)
    exchange_password = fields.Char(groups=TOKEN_GROUP, copy=False)

    def action_disconnect(self):
        result = super().action_disconnect()
        self.sudo().filtered(lambda account: account.provider == "exchange").write(
            {"exchange_login": False, "exchange_password": False}
        )
        return result
