import logging

from werkzeug.exceptions import BadRequest, Forbidden

from odoo import http
from odoo.exceptions import AccessDenied
from odoo.http import request

from odoo.addons.calendar_sync_base.controllers.access import check_user_may_connect
from odoo.addons.calendar_sync_base.controllers.failure_page import connection_failed_page

from calendar_sync_base.services.errors import SyncError
from calendar_sync_google.services.auth import build_authorization_url, new_pkce_pair

_logger = logging.getLogger(__name__)

PROVIDER = "google"
VERIFIER_KEY = "calendar_sync_google_code_verifier"
CALENDAR_URL = "/odoo/calendar"


class GoogleCalendarSyncController(http.Controller):
    @http.route("/calendar_sync_google/authorize", type="http", auth="user", methods=["GET"])
    def authorize(self):
        """Send the user to Google's consent page (PKCE S256, state bound to user + session)."""
        check_user_may_connect(PROVIDER)
        accounts = request.env["calendar.sync.account"]
        if not accounts._sync_provider_configured(PROVIDER):
            raise BadRequest(
                request.env._("Google Calendar is not configured by the administrator yet.")
            )
        verifier, challenge = new_pkce_pair()
        request.session[VERIFIER_KEY] = verifier
        url = build_authorization_url(
            accounts.sudo()._google_param("client_id"),
            accounts._google_redirect_uri(),
            accounts._oauth_new_state(PROVIDER, request.session),
            challenge,
            auth_endpoint=accounts.sudo()._google_param("auth_endpoint"),
        )
        return request.redirect(url, local=False)

    @http.route("/calendar_sync_google/authentication", type="http", auth="user", methods=["GET"])
    def authentication(self, state=None, code=None, error=None, **_params):
        """Google's redirect back: check the state, store the grant, schedule the first sync."""
        check_user_may_connect(PROVIDER)
        accounts = request.env["calendar.sync.account"]
        try:
            accounts._oauth_check_state(PROVIDER, state, request.session)
        except AccessDenied as denied:
            raise Forbidden(str(denied)) from None
        verifier = request.session.pop(VERIFIER_KEY, None)
        if error or not code or not verifier:
            _logger.info("Google consent not granted for user %s: %s", request.env.uid, error)
            return request.redirect(CALENDAR_URL)
        try:
            account = accounts._google_connect(code, verifier)
        except SyncError as failure:
            return connection_failed_page(PROVIDER, failure)
        # The first sync runs in a cron worker, never in this redirect: Calendar opens at
        # once and its side panel shows the progress.
        account._sync_request()
        return request.redirect(CALENDAR_URL)

    @http.route(
        "/calendar_sync_google/notify",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,  # a notification writes the sync request
    )
    def notify(self):
        """Google's push notification: a change in the watched calendar. Only the channel's
        own token passes (``NotFound`` / ``Forbidden`` otherwise); the answer is immediate,
        the pull runs in the cron worker. The ``sync`` message only opens the channel."""
        headers = request.httprequest.headers
        channel = request.env["calendar.sync.channel"]._push_verified(
            PROVIDER, headers.get("X-Goog-Channel-ID"), headers.get("X-Goog-Channel-Token")
        )
        if headers.get("X-Goog-Resource-State") != "sync":
            channel.account_id._sync_request()
        return request.make_response("", status=200)
