"""GoogleEmulator: Google Calendar v3 + Google OAuth on one local HTTP server."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import threading
from collections.abc import Callable
from typing import Any

from .. import webhooks
from ..base import EmulatorServer, Fault, Faults, RecordedRequest, Response
from ..oauth_common import TokenShortcut
from . import discovery, errors, listing, oauth
from .api import CalendarApi
from .auth_endpoints import OAuthEndpoints
from .store import Account, Calendar, EventStore, StoredEvent

DEFAULT_CLIENT_ID = "emulator-client-id.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"
API_PATHS = r"^/calendar/v3/"


class GoogleFaults(Faults):
    """Faults with Google's error bodies."""

    def rate_limit(
        self,
        times: int | None = 1,
        reason: str = "rateLimitExceeded",
        status: int = 403,
        retry_after: float | None = None,
        method: str | None = None,
        path_regex: str = API_PATHS,
        nth: int | None = None,
    ) -> Fault:
        """Quota errors as Google sends them: 403 ``rateLimitExceeded`` /
        ``userRateLimitExceeded`` (or ``quotaExceeded``), or 429. Batch parts match too."""
        message = errors.RATE_LIMIT_MESSAGES.get(reason, "Rate Limit Exceeded")
        body = errors.error_body(status, reason, message, domain="usageLimits")
        return self.add(
            status=status,
            body=body,
            headers={"Content-Type": "application/json; charset=UTF-8"},
            retry_after=retry_after,
            times=times,
            nth=nth,
            method=method,
            path_regex=path_regex,
        )

    def backend_error(self, times: int | None = 1, status: int = 503, **match: Any) -> Fault:
        """A transient server error (500 ``backendError`` / 503)."""
        reason, message = "backendError", "Backend Error"
        body = errors.error_body(status, reason, message)
        match.setdefault("path_regex", API_PATHS)
        return self.add(status=status, body=body, times=times, **match)


class GoogleEmulator(TokenShortcut, OAuthEndpoints, CalendarApi, EmulatorServer):
    """Google Calendar v3 and Google OAuth 2.0 (see README.md for the full API)."""

    name = "google"
    default_scopes = oauth.DEFAULT_SCOPES

    def __init__(
        self,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        verbose: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
        redirect_uris: list[str] | None = None,
        auto_approve: bool = False,
        rotate_refresh_tokens: bool = False,
        token_ttl: float | None = None,
        access_token_lifetime: int = 3599,
        deliver_notifications: bool = True,
        horizon_days: int = 730,
    ):
        super().__init__(port=port, host=host, verbose=verbose, clock=clock)
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = redirect_uris
        self.auto_approve = auto_approve
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.token_ttl = token_ttl
        self.access_token_lifetime = access_token_lifetime
        self.deliver_notifications = deliver_notifications
        self.horizon_days = horizon_days
        discovery.load_document()  # fail early, with a clear message, if it is missing
        self.reset_state()
        self._register_oauth_routes()
        self._register_api_routes()
        self._register_google_control_routes()

    # -- state -------------------------------------------------------------------------------

    def make_faults(self) -> GoogleFaults:
        return GoogleFaults()

    def reset_state(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.oauth = oauth.OAuthState()
        self.channels: dict[str, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.outbox: list[dict[str, Any]] = []
        self._counter = itertools.count(1)
        self.add_client(self.client_id, self.client_secret, self.redirect_uris)

    def next_seq(self) -> int:
        return next(self._counter)

    @property
    def discovery_revision(self) -> str:
        """Revision of the discovery document requests are validated against."""
        return discovery.revision()

    def fault_response(self, status: int, request: RecordedRequest) -> Response:
        return errors.default_fault(status)

    def not_found(self, request: RecordedRequest) -> Response:
        return errors.error_response(404, "notFound", "Not Found")

    def method_not_allowed(self, request: RecordedRequest) -> Response:
        return errors.error_response(404, "notFound", "Not Found")

    def event_store(self, calendar: Calendar, as_user: bool = False) -> EventStore:
        """Event operations on ``calendar``; ``as_user``: the person in the Google Calendar UI
        (not an API client), allowed to change events he does not organise."""
        return EventStore(
            calendar, self.now, self.next_seq, self.horizon_days, enforce_organizer=not as_user
        )

    # -- accounts and clients (Python API) ---------------------------------------------------

    def add_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str] | None = None
    ) -> oauth.Client:
        """Register an OAuth client (the constructor registers one already)."""
        client = oauth.Client(client_id, client_secret, redirect_uris)
        with self.lock:
            self.oauth.clients[client_id] = client
        return client

    def add_account(self, email: str, display_name: str = "", time_zone: str = "UTC") -> Account:
        """Create (or return) the account ``email`` with its primary calendar."""
        with self.lock:
            if email in self.accounts:
                return self.accounts[email]
            account = Account(email, display_name, time_zone)
            account.calendars[email] = Calendar(
                email, email, display_name or email, time_zone, primary=True
            )
            self.accounts[email] = account
            return account

    def account(self, email: str) -> Account:
        try:
            return self.accounts[email]
        except KeyError:
            raise KeyError(f"no account {email!r}: call add_account() first") from None

    def add_calendar(
        self,
        email: str,
        summary: str,
        calendar_id: str | None = None,
        time_zone: str | None = None,
    ) -> Calendar:
        """A secondary calendar owned by ``email``."""
        with self.lock:
            account = self.account(email)
            calendar_id = calendar_id or f"c_{self.next_seq():08x}@group.calendar.google.com"
            calendar = Calendar(calendar_id, email, summary, time_zone or account.time_zone)
            account.calendars[calendar_id] = calendar
            return calendar

    def revoke(self, token: str) -> bool:
        """Revoke a refresh token (and its access tokens) or one access token."""
        with self.lock:
            grant = self.oauth.grants.get(token)
            if grant is not None:
                grant.revoked = True
                for access in self.oauth.tokens.values():
                    if access.grant is grant:
                        access.revoked = True
                return True
            access = self.oauth.tokens.get(token)
            if access is None:
                return False
            access.revoked = True
            return True

    def expire_access_tokens(self, email: str | None = None) -> None:
        """Make current access tokens expire (clients must refresh)."""
        with self.lock:
            past = self.now() - dt.timedelta(seconds=1)
            for token in self.oauth.tokens.values():
                if email is None or token.email == email:
                    token.expires_at = past

    # -- events (Python API) -----------------------------------------------------------------

    def _calendar(self, email: str, calendar_id: str) -> Calendar:
        return self.account(email).calendar(calendar_id)

    def insert_event(
        self,
        email: str,
        body: dict[str, Any],
        calendar_id: str = "primary",
        organizer: str | dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create an event as the user would in Google Calendar. ``organizer``: another
        person's email (or organizer dict) makes it an invitation the user does not organize
        (``organizer.self`` false: changes and deletion through the API get 403)."""
        if isinstance(organizer, str):
            organizer = {"email": organizer}
        if organizer is not None:
            organizer = {**organizer, "self": organizer["email"] == email}
        with self.lock:
            calendar = self._calendar(email, calendar_id)
            store = self.event_store(calendar, as_user=True)
            event = store.insert(copy.deepcopy(body), conference_version=1, organizer=organizer)
            self._notify(calendar)
            return listing.render(event)

    def patch_event(
        self, email: str, event_id: str, patch: dict[str, Any], calendar_id: str = "primary"
    ) -> dict[str, Any]:
        """Change an event (or one instance) as the user would in Google Calendar."""
        with self.lock:
            calendar = self._calendar(email, calendar_id)
            store = self.event_store(calendar, as_user=True)
            event = store.patch(event_id, copy.deepcopy(patch), conference_version=1)
            self._notify(calendar)
            return listing.render(event)

    def delete_event(self, email: str, event_id: str, calendar_id: str = "primary") -> None:
        """Delete an event (or cancel one instance) as the user would in Google Calendar."""
        with self.lock:
            calendar = self._calendar(email, calendar_id)
            self.event_store(calendar, as_user=True).delete(event_id)
            self._notify(calendar)

    def get_event(
        self, email: str, event_id: str, calendar_id: str = "primary"
    ) -> dict[str, Any] | None:
        """The event (stored, or a generated instance); None when unknown."""
        with self.lock:
            store = self.event_store(self._calendar(email, calendar_id))
            try:
                return listing.render(store.find(event_id))
            except errors.GoogleError:
                return None

    def events(
        self, email: str, calendar_id: str = "primary", include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        """Stored events (masters, single events, exceptions incl. cancelled instances)."""
        with self.lock:
            calendar = self._calendar(email, calendar_id)
            stored = sorted(calendar.events.values(), key=lambda e: e.seq)
            return [listing.render(e) for e in stored if include_deleted or not e.deleted]

    def instances(
        self, email: str, event_id: str, calendar_id: str = "primary"
    ) -> list[dict[str, Any]]:
        """Instances of a recurring event (exceptions applied, cancelled ones left out)."""
        with self.lock:
            store = self.event_store(self._calendar(email, calendar_id))
            master = store.find(event_id)
            return [listing.render(e) for e in store.expand(master) if not e.cancelled]

    def expire_sync_tokens(self, email: str | None = None) -> None:
        """Invalidate every sync token issued so far (next incremental list -> 410)."""
        with self.lock:
            for account in self.accounts.values():
                if email is None or account.email == email:
                    for calendar in account.calendars.values():
                        calendar.token_generation += 1

    def rate_limit(
        self,
        times: int | None = 1,
        reason: str = "rateLimitExceeded",
        status: int = 403,
        **kwargs: Any,
    ) -> Fault:
        """Shortcut for ``self.faults.rate_limit``."""
        return self.faults.rate_limit(times=times, reason=reason, status=status, **kwargs)

    # -- invitations e-mails and push notifications ------------------------------------------

    def _record_mail(self, calendar: Calendar, event: StoredEvent, kind: str, send: str):
        recipients = [
            a["email"]
            for a in event.resource.get("attendees") or []
            if not a.get("self")
            and not a.get("organizer")
            and (send == "all" or a["email"] not in self.accounts)
        ]
        if recipients:
            self.outbox.append(
                {
                    "calendar": calendar.id,
                    "event_id": event.id,
                    "kind": kind,
                    "to": recipients,
                    "sendUpdates": send,
                }
            )

    def webhook_allowed(self, address: str) -> bool:
        """Google requires HTTPS; plain HTTP is accepted for loopback addresses (tests)."""
        return webhooks.allowed_address(address)

    def _notify(self, calendar: Calendar) -> None:
        for channel in list(self.channels.values()):
            if channel["calendar"] == calendar.id:
                self._send_notification(channel, "exists")

    def _send_notification(self, channel: dict[str, Any], state: str) -> None:
        channel["messages"] += 1
        headers = {
            "X-Goog-Channel-ID": channel["id"],
            "X-Goog-Channel-Expiration": _http_date(int(channel["expiration"]) / 1000),
            "X-Goog-Resource-ID": channel["resourceId"],
            "X-Goog-Resource-URI": channel["resourceUri"],
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(channel["messages"]),
        }
        if channel.get("token"):
            headers["X-Goog-Channel-Token"] = channel["token"]
        note = {"address": channel["address"], "headers": headers, "status": None}
        self.notifications.append(note)
        url = webhooks.target(channel["address"], self.webhook_hosts)
        if self.deliver_notifications and url:
            threading.Thread(target=_deliver, args=(url, note), daemon=True).start()

    # -- demo --------------------------------------------------------------------------------

    def seed_demo(self, email: str = "demo@example.com") -> Account:
        """A demo account with a handful of events, one of them weekly."""
        from .demo import seed

        with self.lock:
            return seed(self, email)

    def describe(self) -> str:
        return (
            f"OAuth client_id={self.client_id} client_secret={self.client_secret}\n"
            f"authorize: {self.url}/o/oauth2/v2/auth  token: {self.url}/token\n"
            f"API: {self.url}/calendar/v3/  batch: {self.url}/batch/calendar/v3\n"
            f"accounts: {', '.join(self.accounts) or '-'}"
        )

    # -- control endpoints -------------------------------------------------------------------

    def _register_google_control_routes(self) -> None:
        self.control_route("POST", "/google/accounts", self._ctl_add_account)
        self.control_route("POST", "/google/tokens", self._ctl_issue_tokens)
        self.control_route("POST", "/google/expire-sync-tokens", self._ctl_expire_sync)
        self.control_route("POST", "/google/seed-demo", self._ctl_seed)
        self.control_route("POST", "/google/settings", self._ctl_settings)
        self.control_route("GET", "/google/events/(?P<email>[^/]+)", self._ctl_events)
        self.control_route("GET", "/google/notifications", self._ctl_notifications)

    def _ctl_add_account(self, request: RecordedRequest) -> Response:
        data = request.json() or {}
        account = self.add_account(
            data["email"], data.get("display_name", ""), data.get("time_zone", "UTC")
        )
        return Response.json({"email": account.email}, 201)

    def _ctl_issue_tokens(self, request: RecordedRequest) -> Response:
        data = request.json() or {}
        access, refresh = self.issue_tokens(data["email"], data.get("scopes", oauth.DEFAULT_SCOPES))
        return Response.json({"access_token": access, "refresh_token": refresh})

    def _ctl_expire_sync(self, request: RecordedRequest) -> Response:
        self.expire_sync_tokens((request.json() or {}).get("email"))
        return Response(204)

    def _ctl_seed(self, request: RecordedRequest) -> Response:
        account = self.seed_demo((request.json() or {}).get("email", "demo@example.com"))
        return Response.json({"email": account.email}, 201)

    def _ctl_settings(self, request: RecordedRequest) -> Response:
        allowed = (
            "auto_approve",
            "rotate_refresh_tokens",
            "token_ttl",
            "access_token_lifetime",
            "deliver_notifications",
        )
        for key, value in (request.json() or {}).items():
            if key not in allowed:
                return Response.json({"error": f"unknown setting {key}"}, 400)
            setattr(self, key, value)
        return Response.json({key: getattr(self, key) for key in allowed})

    def _ctl_events(self, request: RecordedRequest) -> Response:
        email = request.path_params["email"].replace("%40", "@")
        return Response.json(self.events(email, include_deleted=True))

    def _ctl_notifications(self, request: RecordedRequest) -> Response:
        return Response.json(self.notifications)


def _http_date(timestamp: float) -> str:
    moment = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def _deliver(url: str, note: dict[str, Any]) -> None:
    note["status"], _body = webhooks.post(url, note["headers"])
