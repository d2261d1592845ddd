from odoo import api, fields, models
from odoo.exceptions import AccessError

from calendar_sync_base.services.errors import AuthExpired, SyncError


class CalendarSyncExchangeLogin(models.TransientModel):
    """The form where a user connects with their own Exchange login (per-user access).

    The credentials are checked against Exchange before anything is saved on the
    connection (fields readable by administrators only); the password typed here is
    cleared from this form's record whatever the answer.
    """

    _name = "calendar.sync.exchange.login"
    _description = "Connect to Exchange Server"

    email = fields.Char(
        "Mailbox",
        required=True,
        default=lambda self: self.env.user.email,
        help="The e-mail address of your Exchange mailbox.",
    )
    login = fields.Char(
        "User Name",
        required=True,
        default=lambda self: self.env.user.email,
        help="Your Exchange login: user@domain or DOMAIN\\user.",
    )
    password = fields.Char()
    error = fields.Char(readonly=True)

    @api.model
    def _action(self, values=None):
        """This form in a dialog (``values``: a record already filled, shown again)."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Connect to Exchange Server"),
            "res_model": self._name,
            "res_id": values.id if values else False,
            "views": [(False, "form")],
            "target": "new",
        }

    def action_connect(self):
        self.ensure_one()
        accounts = self.env["calendar.sync.account"]
        if not accounts._sync_user_allowed():
            raise AccessError(accounts._sync_not_allowed_message())
        if accounts._sync_user_limit_reached("exchange"):
            raise AccessError(accounts._sync_user_limit_message("exchange"))
        provider = accounts._sync_provider("exchange").sudo()
        password, self.password = self.password or "", False
        try:
            provider._exchange_check_login(self.email, self.login, password)
        except SyncError as error:
            self.error = self._refusal_message(error)
            return self._action(self)
        provider._exchange_connect(self.env.user, self.email, self.login, password)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "Exchange Server accepted your login: the first synchronization of "
                    "%(mailbox)s starts now.",
                    mailbox=self.email,
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _refusal_message(self, error):
        if isinstance(error, AuthExpired):
            return self.env._(
                "Exchange Server refused this user name and password. Check them and try again."
            )
        return self.env._(
            "Exchange Server did not open the mailbox %(mailbox)s with this login: %(reason)s",
            mailbox=self.email,
            reason=str(error),
        )
