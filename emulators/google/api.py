"""Calendar v3 REST endpoints and the batch endpoint (mixed into GoogleEmulator).

Each request under ``/calendar/v3/`` is matched to a method of Google's discovery document
(404 otherwise), authenticated (401), its query checked against the document (400) and its
token's scopes against the method's (403), then handled here.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..base import RecordedRequest, Response, bearer_token
from . import batch, discovery, fields, listing
from .errors import GoogleError, bad_request, not_found, unauthenticated
from .store import Account, Calendar, EventStore, StoredEvent

if TYPE_CHECKING:
    from .server import GoogleEmulator

API_PREFIX = "/calendar/v3/"
BATCH_PATH = "/batch/calendar/v3"
CHANNEL_DEFAULT_TTL = dt.timedelta(days=7)
CHANNEL_MAX_TTL = dt.timedelta(days=30)

Method = Callable[[Account, discovery.ApiCall, RecordedRequest], Response]


class CalendarApi:
    """Calendar v3 method handlers; ``self`` is the GoogleEmulator."""

    def _register_api_routes(self: GoogleEmulator) -> None:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            self.route(method, r"/calendar/v3/.*", self._api)
        self.route("POST", BATCH_PATH, self._batch, locked=False)
        self.route("GET", r"/discovery/v1/apis/calendar/v3/rest", self._discovery_document)
        self._methods: dict[str, Method] = {
            "calendars.get": self._calendars_get,
            "calendarList.get": self._calendar_list_get,
            "calendarList.list": self._calendar_list_list,
            "settings.get": self._settings_get,
            "events.list": self._events_list,
            "events.get": self._events_get,
            "events.insert": self._events_insert,
            "events.import": self._events_import,
            "events.patch": self._events_patch,
            "events.update": self._events_update,
            "events.delete": self._events_delete,
            "events.instances": self._events_instances,
            "events.watch": self._events_watch,
            "channels.stop": self._channels_stop,
        }

    # -- pipeline ----------------------------------------------------------------------------

    def _api(self: GoogleEmulator, request: RecordedRequest) -> Response:
        method, query = _effective_method(request)
        spec, path_params = discovery.match_path(method, request.path)
        token = self._authenticate(request)
        call = discovery.ApiCall(spec, path_params, discovery.check_parameters(spec, query))
        handler = self._handler_for(spec, token)
        selection = _field_selection(call.params)
        if request.body and method in ("POST", "PUT", "PATCH"):
            request.context["json"] = discovery.check_body(spec, _json_body(request))
        request.context["account"] = token.email
        response = handler(self.accounts[token.email], call, request)
        if selection is not None and response.status == 200 and isinstance(response.body, dict):
            response.body = fields.apply(response.body, selection)
        if call.params.get("prettyPrint") is False and isinstance(response.body, dict):
            response.body = json.dumps(response.body, separators=(",", ":"))
        return response

    def _handler_for(self, spec: discovery.MethodSpec, token) -> Method:
        if not set(token.scopes) & set(spec.scopes):
            raise GoogleError(
                403, "insufficientPermissions", "Request had insufficient authentication scopes."
            )
        handler = self._methods.get(spec.name)
        if handler is None:  # what a Google server does not serve is a 404, not a 501
            raise GoogleError(404, "notFound", "Not Found")
        return handler

    def _authenticate(self: GoogleEmulator, request: RecordedRequest):
        token = (
            bearer_token(request.headers.get("Authorization"))
            or request.arg("access_token")
            or request.arg("oauth_token")
        )
        record = self.valid_access_token(token)
        if record is None or record.email not in self.accounts:
            raise unauthenticated()
        return record

    def _store(self: GoogleEmulator, account: Account, call: discovery.ApiCall) -> EventStore:
        return self.event_store(account.calendar(call.path_params["calendarId"]))

    def _discovery_document(self: GoogleEmulator, request: RecordedRequest) -> Response:
        """Google's discovery document with this emulator as root URL (so that
        ``build(..., discoveryServiceUrl=...)`` and ``new_batch_http_request()`` target it)."""
        document = dict(discovery.load_document())
        root = self.url + "/"
        document.update(
            rootUrl=root, mtlsRootUrl=root, baseUrl=root + "calendar/v3/", basePath="/calendar/v3/"
        )
        return Response.json(document)

    # -- calendars and settings --------------------------------------------------------------

    def _calendars_get(self, account: Account, call, request) -> Response:
        return Response.json(account.calendar(call.path_params["calendarId"]).resource())

    def _calendar_list_get(self, account: Account, call, request) -> Response:
        return Response.json(account.calendar(call.path_params["calendarId"]).list_entry())

    def _calendar_list_list(self, account: Account, call, request) -> Response:
        items = [calendar.list_entry() for calendar in account.calendars.values()]
        return Response.json(
            {
                "kind": "calendar#calendarList",
                "etag": f'"p{max((c.last_seq for c in account.calendars.values()), default=0)}"',
                "nextSyncToken": listing.encode_token({"cl": len(items)}),
                "items": items,
            }
        )

    def _settings_get(self, account: Account, call, request) -> Response:
        values = {"timezone": account.time_zone, "locale": "en", "weekStart": "1"}
        setting = call.path_params["setting"]
        if setting not in values:
            raise not_found()
        return Response.json(
            {
                "kind": "calendar#setting",
                "etag": f'"{setting}"',
                "id": setting,
                "value": values[setting],
            }
        )

    # -- events ------------------------------------------------------------------------------

    def _events_list(self: GoogleEmulator, account: Account, call, request) -> Response:
        store = self._store(account, call)
        body = listing.list_events(store, call.params, self.now(), self.token_ttl)
        return Response.json(body)

    def _events_get(self: GoogleEmulator, account: Account, call, request) -> Response:
        event = self._store(account, call).find(call.path_params["eventId"])
        if _etag_matches(request.headers.get("If-None-Match"), event):
            return Response(304, {"ETag": event.resource["etag"]})
        return self._event_response(event, call)

    def _event_response(self, event: StoredEvent, call, status: int = 200) -> Response:
        body = listing.render(event, call.params.get("timeZone"), call.params.get("maxAttendees"))
        return Response.json(body, status, {"ETag": event.resource["etag"]})

    def _events_insert(self: GoogleEmulator, account: Account, call, request) -> Response:
        store = self._store(account, call)
        event = store.insert(_json_body(request), call.params.get("conferenceDataVersion", 0))
        self._after_change(store, event, call, "created")
        return self._event_response(event, call)

    def _events_import(self: GoogleEmulator, account: Account, call, request) -> Response:
        body = _json_body(request)
        if not isinstance(body, dict) or not body.get("iCalUID"):
            raise bad_request("Missing iCalUID.", reason="required")
        store = self._store(account, call)
        organizer = body.get("organizer") if isinstance(body.get("organizer"), dict) else None
        if organizer and organizer.get("email"):
            organizer = {"email": organizer["email"], "self": organizer["email"] == account.email}
        event = store.import_event(body, call.params.get("conferenceDataVersion", 0), organizer)
        self._after_change(store, event, call, None)
        return self._event_response(event, call)

    def _events_patch(self: GoogleEmulator, account: Account, call, request) -> Response:
        store = self._store(account, call)
        event_id = call.path_params["eventId"]
        self._check_if_match(request, store, event_id)
        event = store.patch(
            event_id, _json_body(request), call.params.get("conferenceDataVersion", 0)
        )
        self._after_change(store, event, call, "updated")
        return self._event_response(event, call)

    def _events_update(self: GoogleEmulator, account: Account, call, request) -> Response:
        store = self._store(account, call)
        event_id = call.path_params["eventId"]
        self._check_if_match(request, store, event_id)
        event = store.update(
            event_id, _json_body(request), call.params.get("conferenceDataVersion", 0)
        )
        self._after_change(store, event, call, "updated")
        return self._event_response(event, call)

    def _events_delete(self: GoogleEmulator, account: Account, call, request) -> Response:
        store = self._store(account, call)
        event_id = call.path_params["eventId"]
        self._check_if_match(request, store, event_id)
        event = store.delete(event_id)
        self._after_change(store, event, call, "cancelled")
        return Response(204)

    def _events_instances(self: GoogleEmulator, account: Account, call, request) -> Response:
        store = self._store(account, call)
        master = store.find(call.path_params["eventId"])
        if master.deleted:
            raise GoogleError(410, "deleted", "Resource has been deleted")
        return Response.json(listing.list_instances(store, master, call.params))

    def _check_if_match(self, request: RecordedRequest, store: EventStore, event_id: str):
        expected = request.headers.get("If-Match")
        if not expected or expected.strip() == "*":
            return
        if not _etag_matches(expected, store.find(event_id)):
            raise GoogleError(
                412,
                "conditionNotMet",
                "Precondition Failed",
                location="If-Match",
                locationType="header",
            )

    def _after_change(self: GoogleEmulator, store, event, call, kind: str | None) -> None:
        send = call.params.get("sendUpdates")
        if send is None and call.params.get("sendNotifications"):
            send = "all"
        if kind and send in ("all", "externalOnly"):
            self._record_mail(store.calendar, event, kind, send)
        self._notify(store.calendar)

    # -- push notifications ------------------------------------------------------------------

    def _events_watch(self: GoogleEmulator, account: Account, call, request) -> Response:
        calendar = account.calendar(call.path_params["calendarId"])
        body = _json_body(request)
        if not isinstance(body, dict) or not body.get("id"):
            raise bad_request("Missing channel id.", reason="required")
        if body.get("type") not in ("web_hook", "webhook"):
            raise bad_request("Invalid channel type: only web_hook is supported.")
        address = body.get("address") or ""
        if not self.webhook_allowed(address):
            raise bad_request(
                "WebHook callback must be HTTPS: " + address, reason="push.webhookUrlNotHttps"
            )
        if body["id"] in self.channels:
            raise bad_request(f"Channel id {body['id']} not unique", reason="channelIdNotUnique")
        channel = self._new_channel(account, calendar, body)
        self.channels[channel["id"]] = channel
        self._send_notification(channel, "sync")
        return Response.json(_public_channel(channel))

    def _new_channel(self: GoogleEmulator, account, calendar: Calendar, body) -> dict[str, Any]:
        now = self.now()
        requested = body.get("expiration")
        expires = now + CHANNEL_DEFAULT_TTL
        if requested:
            asked = dt.datetime.fromtimestamp(int(requested) / 1000, dt.timezone.utc)
            expires = min(asked, now + CHANNEL_MAX_TTL)
        return {
            "kind": "api#channel",
            "id": body["id"],
            "resourceId": secrets.token_urlsafe(20),
            "resourceUri": (
                f"https://www.googleapis.com/calendar/v3/calendars/{calendar.id}/events?alt=json"
            ),
            "token": body.get("token"),
            "expiration": str(int(expires.timestamp() * 1000)),
            "address": body["address"],
            "params": body.get("params") or {},
            "calendar": calendar.id,
            "account": account.email,
            "messages": 0,
        }

    def _channels_stop(self: GoogleEmulator, account: Account, call, request) -> Response:
        body = _json_body(request) or {}
        channel = self.channels.get(body.get("id", ""))
        if channel is None or channel["resourceId"] != body.get("resourceId"):
            raise not_found(f"Channel '{body.get('id')}' not found for project '0'")
        del self.channels[channel["id"]]
        return Response(204)

    # -- batch -------------------------------------------------------------------------------

    def _batch(self: GoogleEmulator, request: RecordedRequest) -> Response:
        try:
            parts = batch.parse(request.body, request.headers.get("Content-Type"), request.headers)
        except batch.BatchFormatError as exc:
            raise bad_request(str(exc)) from None
        if not parts:
            raise bad_request("The batch request has no parts.")
        if len(parts) > batch.MAX_PARTS:
            raise bad_request(f"A batch request may contain at most {batch.MAX_PARTS} calls.")
        answers = [(part.content_id, self._batch_part(part)) for part in parts]
        return batch.serialize(answers)

    def _batch_part(self: GoogleEmulator, part: batch.Part) -> Response:
        inner = RecordedRequest.from_target(
            part.method, part.target, part.headers, part.body, in_batch=True
        )
        self.requests.append(inner)
        if not inner.path.startswith(API_PREFIX):
            response = GoogleError(404, "notFound", "Not Found").response
        else:
            response = self.process(inner)
        inner.status = response.status
        return response


def _json_body(request: RecordedRequest) -> Any:
    """The JSON body, as read against the discovery document once checked."""
    if "json" in request.context:
        return request.context["json"]
    try:
        return request.json()
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Parse Error", reason="parseError") from None


def _field_selection(params: dict[str, Any]) -> fields.Tree | None:
    if not params.get("fields"):
        return None
    try:
        return fields.parse(params["fields"])
    except fields.FieldsError as exc:
        raise bad_request(
            str(exc), reason="invalidParameter", location="fields", locationType="parameter"
        ) from None


def _effective_method(request: RecordedRequest) -> tuple[str, dict[str, list[str]]]:
    """Honour ``X-HTTP-Method-Override`` (googleapiclient turns long GETs into a POST with the
    query in a form body)."""
    override = request.headers.get("X-HTTP-Method-Override")
    if request.method != "POST" or not override:
        return request.method, request.query
    query = {key: list(values) for key, values in request.query.items()}
    content_type = (request.headers.get("Content-Type") or "").lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        for key, values in request.form().items():
            query.setdefault(key, []).extend(values)
    return override.upper(), query


def _etag_matches(header: str | None, event: StoredEvent) -> bool:
    if not header:
        return False
    wanted = {value.strip().removeprefix("W/") for value in header.split(",")}
    return "*" in wanted or event.resource["etag"] in wanted


def _public_channel(channel: dict[str, Any]) -> dict[str, Any]:
    keys = ("kind", "id", "resourceId", "resourceUri", "token", "expiration")
    return {key: channel[key] for key in keys if channel.get(key) is not None}
