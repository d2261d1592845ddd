from werkzeug.exceptions import Forbidden

from odoo.http import request


def check_user_may_connect():
    """Refuse, with a plain translated page, a user who may not connect a calendar.

    Portal users and internal users outside the administrator's allowed group pass the
    routes' ``auth="user"`` but must never store a grant.
    """
    accounts = request.env["calendar.sync.account"]
    if not accounts._sync_user_allowed():
        raise Forbidden(accounts._sync_not_allowed_message())
