import logging

from werkzeug.exceptions import BadRequest, Forbidden

from odoo import http
from odoo.http import request

from odoo.addons.calendar_sync_base.controllers.access import check_user_may_connect

from calendar_sync_base.services.errors import AuthExpired, SyncError

_logger = logging.getLogger(__name__)

PROVIDER = "microsoft"
FLOW_KEY = "calendar_sync_microsoft_flow"
CALENDAR_URL = "/odoo/calendar"


class MicrosoftCalendarSyncController(http.Controller):
    @http.route("/calendar_sync_microsoft/authorize", type="http", auth="user", methods=["GET"])
    def authorize(self):
        """Send the user to Microsoft's consent page through msal (state + PKCE by msal).

        The flow is kept in this user's session together with their id, so the redirect
        back is only accepted from the same session and user.
        """
        check_user_may_connect()
        accounts = request.env["calendar.sync.account"]
        if not accounts._sync_provider_configured(PROVIDER):
            raise BadRequest("Outlook Calendar is not configured by the administrator yet.")
        try:
            flow = accounts._microsoft_start_flow()
        except SyncError as failure:
            raise BadRequest(f"Microsoft sign-in is not available: {failure}") from None
        request.session[FLOW_KEY] = {"uid": request.env.uid, "flow": flow}
        return request.redirect(flow["auth_uri"], local=False)

    @http.route(
        "/calendar_sync_microsoft/authentication", type="http", auth="user", methods=["GET"]
    )
    def authentication(self, **params):
        """Microsoft's redirect back: msal checks state and PKCE; the first sync is scheduled."""
        check_user_may_connect()
        pending = request.session.pop(FLOW_KEY, None)
        if not pending or pending.get("uid") != request.env.uid:
            raise Forbidden("This authorization was not started by you in this session.")
        if params.get("error"):
            _logger.info("Outlook consent not granted for user %s: %s", request.env.uid, params)
            return request.redirect(CALENDAR_URL)
        accounts = request.env["calendar.sync.account"]
        try:
            account = accounts._microsoft_connect(pending["flow"], params)
        except AuthExpired as refused:
            raise Forbidden(str(refused)) from None
        except SyncError as failure:
            raise BadRequest(f"Microsoft refused the connection: {failure}") from None
        # The first sync runs in a cron worker, never in this redirect: Calendar opens at
        # once and its side panel shows the progress.
        account._sync_request()
        return request.redirect(CALENDAR_URL)
