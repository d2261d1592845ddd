from werkzeug.exceptions import Forbidden

from odoo.http import request


def check_user_may_connect(provider):
    """Refuse, with a plain translated page, a user who may not connect ``provider``.

    Portal users and internal users outside the administrator's allowed group pass the
    routes' ``auth="user"`` but must never store a grant; nor may a new user once the
    provider's maximum of users is reached (refused before any request to the provider).
    """
    accounts = request.env["calendar.sync.account"]
    if not accounts._sync_user_allowed():
        raise Forbidden(accounts._sync_not_allowed_message())
    if accounts._sync_user_limit_reached(provider):
        raise Forbidden(accounts._sync_user_limit_message(provider))
