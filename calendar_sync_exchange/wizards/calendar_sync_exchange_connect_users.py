from odoo import fields, models
from odoo.exceptions import AccessError, UserError


class CalendarSyncExchangeConnectUsers(models.TransientModel):
    """Connect users by e-mail: the administrator connects users to their Exchange mailbox
    (their e-mail address) through the service account's impersonation; nothing is asked
    of the users. Their first synchronization runs in the background."""

    _name = "calendar.sync.exchange.connect.users"
    _description = "Connect Users to Exchange Server by E-mail"

    user_ids = fields.Many2many(
        "res.users", string="Users", domain=[("share", "=", False)], required=True
    )

    def action_connect(self):
        self.ensure_one()
        if not self.env.is_system():
            raise AccessError(self.env._("Only administrators may connect other users."))
        provider = self.env["calendar.sync.account"]._sync_provider("exchange").sudo()
        if provider._sync_connect_kind != "admin_credentials":
            raise UserError(
                self.env._(
                    "Users are connected by e-mail through a service account with "
                    "impersonation; with their own credentials, each user connects from "
                    "Calendar."
                )
            )
        with_email = self.user_ids.filtered("email")
        for user in with_email:
            provider._exchange_connect(user, user.email)
        message = self.env._(
            "%(count)s users connected to Exchange Server by their e-mail address: their first "
            "synchronization starts now.",
            count=len(with_email),
        )
        without = self.user_ids - with_email
        if without:
            message += " " + self.env._(
                "Not connected, no e-mail address: %(users)s.",
                users=", ".join(without.mapped("name")),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "warning" if without else "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
