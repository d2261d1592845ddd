import json
import logging

from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from odoo import http
from odoo.http import request

from odoo.addons.calendar_sync_base.controllers.access import check_user_may_connect
from odoo.addons.calendar_sync_base.controllers.failure_page import connection_failed_page

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
        check_user_may_connect(PROVIDER)
        accounts = request.env["calendar.sync.account"]
        if not accounts._sync_provider_configured(PROVIDER):
            raise BadRequest(
                request.env._("Outlook Calendar is not configured by the administrator yet.")
            )
        try:
            flow = accounts._microsoft_start_flow()
        except SyncError as failure:
            return connection_failed_page(PROVIDER, failure)
        request.session[FLOW_KEY] = {"uid": request.env.uid, "flow": flow}
        return request.redirect(flow["auth_uri"], local=False)

    @http.route(
        "/calendar_sync_microsoft/authentication", type="http", auth="user", methods=["GET"]
    )
    def authentication(self, **params):
        """Microsoft's redirect back: msal checks state and PKCE; the first sync is scheduled."""
        check_user_may_connect(PROVIDER)
        pending = request.session.pop(FLOW_KEY, None)
        if not pending or pending.get("uid") != request.env.uid:
            raise Forbidden(
                request.env._("This authorization was not started by you in this session.")
            )
        if params.get("error"):
            _logger.info("Outlook consent not granted for user %s: %s", request.env.uid, params)
            return request.redirect(CALENDAR_URL)
        accounts = request.env["calendar.sync.account"]
        try:
            account = accounts._microsoft_connect(pending["flow"], params)
        except AuthExpired as refused:
            raise Forbidden(str(refused)) from None
        except SyncError as failure:
            return connection_failed_page(PROVIDER, failure)
        # The first sync runs in a cron worker, never in this redirect: Calendar opens at
        # once and its side panel shows the progress.
        account._sync_request()
        return request.redirect(CALENDAR_URL)

    @http.route(
        ["/calendar_sync_microsoft/notify", "/calendar_sync_microsoft/lifecycle"],
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,  # a notification writes the sync request
    )
    def notify(self, validationToken=None, **_params):  # noqa: N803 - Graph's parameter name
        """Graph's change and lifecycle notifications.

        A ``validationToken`` (Graph checking the URL before it creates a subscription) is
        echoed at once, unescaped, as ``text/plain``: Graph waits 10 seconds at most. A
        notification counts only if its ``clientState`` is its subscription's secret; the
        connection is then asked to sync (a change, or ``missed``: the delta pull reads what
        was lost). ``reauthorizationRequired`` and ``subscriptionRemoved`` need API calls:
        they are recorded for the channel cron, woken now (a recreated subscription is
        followed by a sync).
        """
        if validationToken is not None:
            return request.make_response(
                validationToken,
                headers=[
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("X-Content-Type-Options", "nosniff"),
                ],
            )
        refusal = None
        accepted = 0
        for item in _notifications(request.httprequest.get_data()):
            try:
                channel = request.env["calendar.sync.channel"]._push_verified(
                    PROVIDER, item.get("subscriptionId"), item.get("clientState")
                )
            except (NotFound, Forbidden) as refused:
                refusal = refusal or refused
                continue
            accepted += 1
            event = item.get("lifecycleEvent")
            if event in LIFECYCLE_REPAIRS:
                channel._push_lifecycle(LIFECYCLE_REPAIRS[event])
            else:
                channel.account_id._sync_request()
        if not accepted:
            raise refusal or BadRequest()
        return request.make_response("", status=202)


# What the channel cron does about a lifecycle notification.
LIFECYCLE_REPAIRS = {"reauthorizationRequired": "reauthorize", "subscriptionRemoved": "recreate"}


def _notifications(data):
    """The ``value`` items of a Graph notification body (nothing if it is not one)."""
    try:
        items = json.loads(data or b"{}").get("value")
    except (ValueError, AttributeError):
        return []
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
