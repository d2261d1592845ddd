import logging

from odoo.http import request

_logger = logging.getLogger(__name__)


def connection_failed_page(provider, error):
    """The page a user lands on when the provider refused to complete a connection: what
    happened in plain words and a link back to Calendar, not a bare "Bad Request"."""
    _logger.info("%s connection of user %s failed: %s", provider, request.env.uid, error)
    connection = request.env["calendar.sync.account"].new({"provider": provider})
    values = {
        "provider": connection._sync_provider_label(provider),
        "message": connection._sync_error_message(error),
    }
    return request.render("calendar_sync_base.connection_failed", values, status=400)
