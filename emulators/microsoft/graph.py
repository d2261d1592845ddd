"""Graph v1.0 calendar endpoints (mixed into MicrosoftEmulator)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from ..base import RecordedRequest, Response, bearer_token
from . import delta, errors, identity, odata, timezones
from .render import RenderOptions, bare_occurrence, removed, render
from .store import Instance, Mailbox

if TYPE_CHECKING:
    from .server import MicrosoftEmulator

USER = r"/v1\.0/(?:me|users/(?P<user>[^/]+))"
CALENDAR = r"(?:/calendar|/calendars/(?P<calendar>[^/]+))?"
EVENTS = USER + CALENDAR + r"/events"
EVENT = EVENTS + r"/(?P<event_id>[^/]+)"
ACTIONS = ("accept", "decline", "tentativelyAccept", "cancel")
RESPONSES = {
    "accept": "accepted",
    "decline": "declined",
    "tentativelyAccept": "tentativelyAccepted",
}
JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"
READ_PERMISSIONS = {
    "calendars.read",
    "calendars.readwrite",
    "calendars.read.shared",
    "calendars.readwrite.shared",
}
WRITE_PERMISSIONS = {"calendars.readwrite", "calendars.readwrite.shared"}
USER_PERMISSIONS = {"user.read", "user.readwrite", "user.readbasic.all", "user.read.all"}
SETTINGS_PERMISSIONS = {"mailboxsettings.read", "mailboxsettings.readwrite"}
DELTA_OPTIONS = ("$skiptoken", "$deltatoken")
DEFAULT_PAGE = 10
JSON_ERROR = (
    "Unable to read JSON request payload. Please ensure Content-Type header is set and "
    "payload is of valid JSON format."
)


def graph_json(data: Any, status: int = 200, headers: dict | None = None) -> Response:
    response = Response.json(data, status, headers)
    response.headers["Content-Type"] = JSON_TYPE
    response.headers.setdefault("OData-Version", "4.0")
    return response


def request_body(request: RecordedRequest) -> Any:
    try:
        return request.json()
    except (ValueError, UnicodeDecodeError):
        raise errors.bad_request(JSON_ERROR) from None


class GraphApi:
    """Requires the host class: ``mailboxes``, ``identity``, ``delta``, ``now()``, settings."""

    def _register_graph_routes(self: MicrosoftEmulator) -> None:
        self.route("GET", USER, self._get_me)
        self.route("GET", USER + r"/mailboxSettings", self._get_mailbox_settings)
        self.route(
            "GET", USER + r"(?:/calendar|/calendars/(?P<calendar>[^/]+))", self._get_calendar
        )
        self.route("GET", EVENTS, self._list_events)
        self.route("POST", EVENTS, self._create_event)
        self.route("GET", EVENT, self._get_event)
        self.route("PATCH", EVENT, self._patch_event)
        self.route("DELETE", EVENT, self._delete_event)
        self.route("GET", EVENT + r"/instances", self._list_instances)
        actions = "|".join(ACTIONS)
        self.route("POST", EVENT + rf"/(?:microsoft\.graph\.)?(?P<action>{actions})", self._act)
        self.route("GET", USER + CALENDAR + r"/calendarView", self._calendar_view)
        self.route(
            "GET",
            USER + CALENDAR + r"/calendarView/(?:microsoft\.graph\.)?delta(?:\(\))?",
            self._delta,
        )
        self.route("GET", r"/oidc/userinfo", self._userinfo)

    # -- authentication ----------------------------------------------------------------------

    def valid_access_token(self: MicrosoftEmulator, token: str | None):
        record = self.identity.tokens.get(token or "")
        if record is None or record.revoked or record.expires_at <= self.now():
            return None
        return record

    def graph_mailbox(
        self: MicrosoftEmulator, request: RecordedRequest, permissions: set[str] = READ_PERMISSIONS
    ) -> Mailbox:
        """The mailbox of the token's user, after checking the token and that it carries one
        of ``permissions`` (an empty set: any token of the user will do)."""
        token = bearer_token(request.headers.get("Authorization"))
        if not token:
            raise errors.unauthenticated("Access token is empty.")
        record = self.identity.tokens.get(token)
        if record is None:
            if identity.decode_jwt_claims(token) is None:
                raise errors.unauthenticated(
                    "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs "
                    "to be in JWS or JWE Compact Serialization Format."
                )
            raise errors.unauthenticated("Access token validation failure. Invalid signature.")
        if record.revoked or record.expires_at <= self.now():
            raise errors.unauthenticated("Lifetime validation failed, the token is expired.")
        granted = {name.lower() for name in record.scopes}
        if permissions and not granted & permissions:
            raise errors.access_denied()
        mailbox = self.mailboxes[record.email]
        user = request.path_params.get("user")
        if user and user.replace("%40", "@").lower() not in (mailbox.oid, mailbox.email.lower()):
            raise errors.access_denied()
        calendar = request.path_params.get("calendar")
        if calendar and calendar != mailbox.calendar_id:
            raise errors.not_found()
        return mailbox

    # -- user, settings, calendar ------------------------------------------------------------

    def _get_me(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, USER_PERMISSIONS)
        given, _, surname = mailbox.display_name.partition(" ")
        return graph_json(
            {
                "@odata.context": f"{self.graph_url}/$metadata#users/$entity",
                "businessPhones": [],
                "displayName": mailbox.display_name,
                "givenName": given or None,
                "jobTitle": None,
                "mail": mailbox.email,
                "mobilePhone": None,
                "officeLocation": None,
                "preferredLanguage": "en-US",
                "surname": surname or None,
                "userPrincipalName": mailbox.email,
                "id": mailbox.oid,
            }
        )

    def _get_mailbox_settings(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, SETTINGS_PERMISSIONS)
        return graph_json(
            {
                "@odata.context": f"{self.graph_url}/$metadata#users('{mailbox.oid}')"
                "/mailboxSettings",
                "timeZone": mailbox.time_zone,
                "dateFormat": "yyyy-MM-dd",
                "timeFormat": "HH:mm",
                "userPurpose": "user",
                "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
                "language": {"locale": "en-US", "displayName": "English (United States)"},
                "workingHours": {
                    "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                    "startTime": "08:00:00.0000000",
                    "endTime": "17:00:00.0000000",
                    "timeZone": {"name": mailbox.time_zone},
                },
            }
        )

    def _get_calendar(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request)
        return graph_json(
            {
                "@odata.context": f"{self.graph_url}/$metadata#users('{mailbox.oid}')/calendar",
                "id": mailbox.calendar_id,
                "name": "Calendar",
                "color": "auto",
                "hexColor": "",
                "isDefaultCalendar": True,
                "changeKey": mailbox.calendar_id[-24:],
                "canShare": True,
                "canViewPrivateItems": True,
                "canEdit": True,
                "allowedOnlineMeetingProviders": ["teamsForBusiness"],
                "defaultOnlineMeetingProvider": "teamsForBusiness",
                "isTallyingResponses": True,
                "isRemovable": False,
                "owner": {"name": mailbox.display_name, "address": mailbox.email},
            }
        )

    def _userinfo(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        record = self.valid_access_token(bearer_token(request.headers.get("Authorization")))
        if record is None:
            raise errors.unauthenticated()
        mailbox = self.mailboxes[record.email]
        return graph_json(
            {"sub": mailbox.oid, "name": mailbox.display_name, "email": mailbox.email}
        )

    # -- events ------------------------------------------------------------------------------

    def _options(self: MicrosoftEmulator, request: RecordedRequest, prefer=None) -> RenderOptions:
        prefer = prefer or odata.parse_prefer(request)
        return RenderOptions(
            time_zone=prefer.time_zone,
            body_type=prefer.body_type,
            select=odata.parse_select(request.arg("$select")),
            extended_ids=odata.parse_expand(request.arg("$expand")),
            wrap_html=self.wrap_html_bodies,
        )

    def _answer_event(self, request, mailbox: Mailbox, instance: Instance, status=200):
        prefer = odata.parse_prefer(request)
        data = render(instance, self._options(request, prefer))
        context = f"{self.graph_url}/$metadata#users('{mailbox.oid}')/events"
        headers = {"ETag": data["@odata.etag"]}
        if prefer.applied():
            headers["Preference-Applied"] = prefer.applied()
        return graph_json({"@odata.context": context + "/$entity", **data}, status, headers)

    def _list_events(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request)
        return self._listing(request, mailbox, mailbox.listed(), "events", sort=False)

    def _create_event(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, WRITE_PERMISSIONS)
        event = mailbox.create(request_body(request))
        response = self._answer_event(request, mailbox, mailbox.instance(event), 201)
        response.headers["Location"] = (
            f"{self.graph_url}/users('{mailbox.oid}')/events('{event.id}')"
        )
        return response

    def _get_event(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request)
        instance = mailbox.find(request.path_params["event_id"])
        return self._answer_event(request, mailbox, instance)

    def _patch_event(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, WRITE_PERMISSIONS)
        instance = mailbox.update(
            request.path_params["event_id"],
            request_body(request) or {},
            attendee_edit=self.attendee_edit,
            if_match=request.headers.get("If-Match"),
        )
        return self._answer_event(request, mailbox, instance)

    def _delete_event(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, WRITE_PERMISSIONS)
        mailbox.delete(request.path_params["event_id"])
        return Response(204)

    def _act(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, WRITE_PERMISSIONS)
        body = request_body(request) or {}
        if not isinstance(body, dict):
            raise errors.bad_request(JSON_ERROR)
        event_id, action = request.path_params["event_id"], request.path_params["action"]
        if action == "cancel":
            self._cancel_own_meeting(mailbox, event_id)
            return Response(202)
        instance = mailbox.find(event_id)
        if body.get("proposedNewTime") and not instance.props.get("allowNewTimeProposals", True):
            raise errors.bad_request(
                "Your request can't be completed. This event doesn't allow new time proposals.",
                "ErrorInvalidRequest",
            )
        mailbox.respond(event_id, RESPONSES[action])
        if action == "decline" and self.remove_declined_events:
            mailbox.delete(event_id)
        return Response(202)

    def _cancel_own_meeting(self: MicrosoftEmulator, mailbox: Mailbox, event_id: str) -> None:
        instance = mailbox.find(event_id)
        if not instance.event.is_organizer:
            raise errors.bad_request(
                "Your request can't be completed. You need to be an organizer to cancel a meeting.",
                "ErrorAccessDenied",
            )
        mailbox.delete(event_id)

    def _window(self: MicrosoftEmulator, request: RecordedRequest):
        start, end = request.arg("startDateTime"), request.arg("endDateTime")
        if not start or not end:
            raise errors.time_window_required()
        try:
            window = timezones.parse_instant(start), timezones.parse_instant(end)
        except ValueError:
            raise errors.bad_request(
                f"The value '{start if not _parses(start) else end}' is not a valid date-time.",
                "ErrorInvalidParameter",
            ) from None
        if window[1] <= window[0]:
            raise errors.bad_request(
                "The end of the time window must be after its start.", "ErrorInvalidParameter"
            )
        return window

    def _list_instances(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request)
        window = self._window(request)
        instance = mailbox.find(request.path_params["event_id"])
        event = instance.event
        found = list(mailbox.occurrences(event, window)) if event.is_series else []
        return self._listing(request, mailbox, found, "events", sort=True)

    def _calendar_view(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request)
        window = self._window(request)
        return self._listing(request, mailbox, mailbox.expanded(window), "events", sort=True)

    def _listing(self, request, mailbox: Mailbox, found: list[Instance], what: str, sort: bool):
        """Filter, order, page and render a list of instances ($top/$skip + nextLink)."""
        prefer = odata.parse_prefer(request)
        options = self._options(request, prefer)
        predicate = odata.parse_filter(request.arg("$filter"))
        order = odata.parse_orderby(request.arg("$orderby"))
        # Rendering every instance is only needed to filter or order on rendered members.
        full = RenderOptions(time_zone=options.time_zone, extended_ids=[])
        needs_render = predicate is not None or order is not None
        rows = [(i, render(i, full) if needs_render else None) for i in found]
        if predicate is not None:
            rows = [row for row in rows if predicate(*row)]
        if order is not None:
            key, descending = order
            rows.sort(key=lambda row: key(*row), reverse=descending)
        elif sort:
            rows.sort(key=lambda row: (row[0].start, row[0].end))
        top = odata.int_option(request, "$top", prefer.max_page_size or DEFAULT_PAGE, odata.MAX_TOP)
        skip = odata.int_option(request, "$skip", 0, 10**9)
        page = rows[skip : skip + top]
        body: dict[str, Any] = {
            "@odata.context": f"{self.graph_url}/$metadata#users('{quote(mailbox.email)}')/{what}",
            "value": [render(instance, options) for instance, _ in page],
        }
        if skip + top < len(rows):
            body["@odata.nextLink"] = self._next_link(request, skip + top)
        headers = {"Preference-Applied": prefer.applied()} if prefer.applied() else None
        return graph_json(body, 200, headers)

    def _next_link(self: MicrosoftEmulator, request: RecordedRequest, skip: int) -> str:
        query = {key: values[0] for key, values in request.query.items() if values}
        query["$skip"] = str(skip)
        return f"{self.url}{request.path}?{urlencode(query, safe='$/,:()')}"

    # -- delta -------------------------------------------------------------------------------

    def _delta(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request)
        for option in request.query:
            if option.startswith("$") and option.lower() not in DELTA_OPTIONS:
                raise errors.bad_request(
                    f"The query parameter '{option}' is not supported with change tracking "
                    "over the 'CalendarView' resource.",
                    "ErrorInvalidUrlQuery",
                )
        prefer = odata.parse_prefer(request)
        now, ttl = self.now(), self.delta_token_ttl
        skip_token, delta_token = request.arg("$skiptoken"), request.arg("$deltatoken")
        if skip_token:
            round_, position = self.delta.page(skip_token, mailbox.email, now, ttl)
        else:
            if delta_token:
                token = self.delta.delta_token(delta_token, mailbox.email, now, ttl)
                entries, following = delta.next_round(
                    mailbox,
                    token,
                    self.current_seq(),
                    now,
                    self.delta_series_masters,
                    self.delta_occurrence_removals,
                )
            else:
                window = self._window(request)
                entries, following = delta.initial_round(
                    mailbox, window, self.current_seq(), now, self.delta_series_masters
                )
            round_, position = self.delta.start_round(mailbox.email, entries, following, now), 0
        return self._delta_page(request, mailbox, round_, position, prefer)

    def _delta_page(self, request, mailbox: Mailbox, round_, position: int, prefer) -> Response:
        size = prefer.max_page_size or DEFAULT_PAGE
        options = RenderOptions(
            time_zone=prefer.time_zone, body_type=prefer.body_type, wrap_html=self.wrap_html_bodies
        )
        value = [
            self._delta_item(mailbox, entry, options)
            for entry in round_.entries[position : position + size]
        ]
        body: dict[str, Any] = {
            "@odata.context": f"{self.graph_url}/$metadata#Collection(event)",
        }
        link = f"{self.url}{request.path}?"
        if position + size < len(round_.entries):
            token = self.delta.skip_token_for(round_, position + size)
            body["@odata.nextLink"] = link + urlencode({"$skiptoken": token}, safe="$")
        else:
            body["@odata.deltaLink"] = link + urlencode(
                {"$deltatoken": self.delta.finish(round_)}, safe="$"
            )
        body["value"] = value
        applied = ", ".join(filter(None, ["odata.track-changes", prefer.applied()]))
        return graph_json(body, 200, {"Preference-Applied": applied})

    def _delta_item(self, mailbox: Mailbox, entry, options: RenderOptions) -> dict[str, Any]:
        kind, item_id = entry
        if kind == "removed":
            return removed(item_id)
        try:
            instance = mailbox.find(item_id)
        except errors.GraphError:
            return removed(item_id)  # deleted since the round was prepared
        if instance.kind == "occurrence":
            return bare_occurrence(instance, options)
        return {"@odata.type": "#microsoft.graph.event", **render(instance, options)}


def _parses(value: str) -> bool:
    try:
        timezones.parse_instant(value)
    except ValueError:
        return False
    return True
