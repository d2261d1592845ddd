"""MicrosoftEmulator: Microsoft identity platform + Graph v1.0 calendar on one HTTPS server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from ..base import EmulatorServer, Fault, Faults, RecordedRequest, Response
from ..oauth_common import TokenShortcut
from . import errors, identity, tls
from .auth_endpoints import IdentityEndpoints
from .batch import BatchEndpoint
from .delta import DeltaTracker
from .graph import GraphApi
from .outlook import OutlookApi, OutlookStore
from .render import RenderOptions, render
from .store import Mailbox
from .subscriptions import Subscription, SubscriptionsApi

DEFAULT_CLIENT_ID = "00000000-0000-4000-8000-0000000c0de1"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"
GRAPH_PATHS = r"^/v1\.0/"
SETTINGS = (
    "auto_approve",
    "rotate_refresh_tokens",
    "revoke_rotated_refresh_tokens",
    "access_token_lifetime",
    "refresh_token_lifetime",
    "delta_token_ttl",
    "attendee_edit",
    "remove_declined_events",
    "shuffle_batch",
    "wrap_html_bodies",
    "delta_series_masters",
    "delta_occurrence_removals",
    "deliver_notifications",
)


class MicrosoftFaults(Faults):
    """Faults with Graph's error bodies; ``in_batch`` restricts one to batch parts (True) or
    to plain requests (False)."""

    def add(self, *args: Any, in_batch: bool | None = None, **kwargs: Any) -> Fault:
        fault = super().add(*args, **kwargs)
        fault.in_batch = in_batch  # read by match(); shown by the control endpoint
        return fault

    def match(self, request: RecordedRequest) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                wanted = getattr(fault, "in_batch", None)
                if wanted is not None and request.in_batch != wanted:
                    continue
                if fault.take(request):
                    return fault
        return None

    def throttle(
        self,
        times: int | None = 1,
        retry_after: float | None = 1,
        code: str = "TooManyRequests",
        status: int = 429,
        message: str | None = None,
        in_batch: bool | None = None,
        method: str | None = None,
        path_regex: str = GRAPH_PATHS,
        nth: int | None = None,
    ) -> Fault:
        """429 + ``Retry-After`` + Graph's body (code TooManyRequests, ApplicationThrottled...)."""
        return self.add(
            status=status,
            body=errors.throttled_body(code, message),
            headers={"Content-Type": "application/json"},
            retry_after=retry_after,
            times=times,
            nth=nth,
            method=method,
            path_regex=path_regex,
            in_batch=in_batch,
        )

    def mailbox_concurrency(
        self, times: int | None = 1, retry_after: float | None = 1, **match: Any
    ) -> Fault:
        """Batch parts answered 429 ``ApplicationThrottled`` (MailboxConcurrency) inside a 200
        batch: Outlook runs only ~4 requests per mailbox at once."""
        match.setdefault("in_batch", True)
        return self.throttle(
            times=times,
            retry_after=retry_after,
            code="ApplicationThrottled",
            message=errors.THROTTLED_MESSAGES["MailboxConcurrency"],
            **match,
        )

    def unavailable(
        self, times: int | None = 1, retry_after: float | None = None, status: int = 503, **match
    ) -> Fault:
        """A transient 503 (ServiceNotAvailable) or 504 (UnknownError)."""
        match.setdefault("path_regex", GRAPH_PATHS)
        return self.add(status=status, times=times, retry_after=retry_after, **match)


class MicrosoftEmulator(
    TokenShortcut,
    IdentityEndpoints,
    GraphApi,
    OutlookApi,
    SubscriptionsApi,
    BatchEndpoint,
    tls.TlsServing,
    EmulatorServer,
):
    """Microsoft identity platform v2.0 + Graph v1.0 calendar (see README.md)."""

    name = "microsoft"
    default_scopes = identity.DEFAULT_SCOPES

    def __init__(
        self,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        tenant: str = "common",
        *,
        tenant_domains: Iterable[str] = (),
        tls: bool = True,
        cert_dir: str | None = None,
        port: int = 0,
        host: str = "127.0.0.1",
        verbose: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
        redirect_uris: list[str] | None = None,
        auto_approve: bool = False,
        rotate_refresh_tokens: bool = True,
        revoke_rotated_refresh_tokens: bool = False,
        access_token_lifetime: int = 3599,
        refresh_token_lifetime: int = 90 * 86400,
        delta_token_ttl: float | None = None,
        attendee_edit: str = "forbid",
        remove_declined_events: bool = False,
        horizon_days: int = 730,
        shuffle_batch: bool = False,
        wrap_html_bodies: bool = True,
        delta_series_masters: bool = True,
        delta_occurrence_removals: bool = False,
        deliver_notifications: bool = True,
    ):
        super().__init__(port=port, host=host, verbose=verbose, clock=clock)
        self.client_id = client_id
        self.client_secret = client_secret
        self.tenant = tenant
        self.tenant_domains = list(tenant_domains)
        self.multi_tenant = tenant.lower() in identity.META_TENANTS
        self.tenant_id = (
            tenant.lower() if identity.GUID_RE.match(tenant) else identity.stable_guid("tenant")
        )
        self.use_tls(tls, cert_dir)
        self.redirect_uris = redirect_uris
        self.auto_approve = auto_approve
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.revoke_rotated_refresh_tokens = revoke_rotated_refresh_tokens
        self.access_token_lifetime = access_token_lifetime
        self.refresh_token_lifetime = refresh_token_lifetime
        self.delta_token_ttl = delta_token_ttl
        self.attendee_edit = attendee_edit
        self.remove_declined_events = remove_declined_events
        self.horizon_days = horizon_days
        self.shuffle_batch = shuffle_batch
        self.wrap_html_bodies = wrap_html_bodies
        self.delta_series_masters = delta_series_masters
        self.delta_occurrence_removals = delta_occurrence_removals
        self.deliver_notifications = deliver_notifications
        self.reset_state()
        self._register_identity_routes()
        self._register_batch_routes()
        self._register_graph_routes()
        self._register_outlook_routes()
        self._register_subscription_routes()
        self._register_microsoft_control_routes()

    @property
    def authority(self) -> str:
        return f"{self.url}/{self.tenant}"

    @property
    def graph_url(self) -> str:
        return f"{self.url}/v1.0"

    # -- state -------------------------------------------------------------------------------

    def make_faults(self) -> MicrosoftFaults:
        return MicrosoftFaults()

    def reset_state(self) -> None:
        self.mailboxes: dict[str, Mailbox] = {}
        self.identity = identity.IdentityState()
        self.delta = DeltaTracker()
        self.subscriptions: dict[str, Subscription] = {}
        self.outlook: dict[str, OutlookStore] = {}  # email -> contacts and mail
        self.notifications: list[dict[str, Any]] = []  # every change / lifecycle notification
        self._seq = 0
        self.add_client(self.client_id, self.client_secret, self.redirect_uris)

    @property
    def accounts(self) -> dict[str, Mailbox]:
        return self.mailboxes

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def current_seq(self) -> int:
        return self._seq

    def process(self, request: RecordedRequest) -> Response:
        """Faults and routing, then Graph's tracing headers on Graph answers."""
        response = super().process(request)
        if request.path.startswith("/v1.0/"):
            client_id = request.headers.get("client-request-id")
            for name, value in errors.graph_headers(None, client_id).items():
                if name not in response.headers:
                    response.headers[name] = value
            if client_id:
                response.headers["client-request-id"] = client_id
        return response

    def fault_response(self, status: int, request: RecordedRequest) -> Response:
        if "/oauth2/" in request.path:
            error = "temporarily_unavailable" if status >= 500 else "invalid_request"
            body = errors.aad_body(error, 90033 if status >= 500 else 9002313)
            return Response.json(body, status)
        return errors.default_fault(status)

    def not_found(self, request: RecordedRequest) -> Response:
        if request.path.startswith("/v1.0"):
            segment = request.path.rstrip("/").rsplit("/", 1)[-1]
            return errors.graph_response(
                400, "BadRequest", f"Resource not found for the segment '{segment}'."
            )
        return Response.html("<!doctype html><h1>404 - Not Found</h1>", 404)

    def method_not_allowed(self, request: RecordedRequest) -> Response:
        return errors.graph_response(
            405,
            "Request_BadRequest",
            f"The HTTP method '{request.method}' is not allowed for this resource.",
        )

    # -- accounts and OAuth (Python API) -----------------------------------------------------

    def add_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str] | None = None
    ) -> identity.Client:
        client = identity.Client(client_id, client_secret, redirect_uris)
        with self.lock:
            self.identity.clients[client_id] = client
        return client

    def add_account(self, email: str, display_name: str = "", time_zone: str = "UTC") -> Mailbox:
        """Create (or return) the user ``email`` and his mailbox."""
        with self.lock:
            if email in self.mailboxes:
                return self.mailboxes[email]
            mailbox = Mailbox(
                email,
                display_name,
                time_zone,
                identity.stable_guid("user", email.lower()),
                self.now,
                self.next_seq,
                self.horizon_days,
            )
            mailbox.on_change = self.notify_change
            self.mailboxes[email] = mailbox
            return mailbox

    def mailbox(self, email: str) -> Mailbox:
        try:
            return self.mailboxes[email]
        except KeyError:
            raise KeyError(f"no account {email!r}: call add_account() first") from None

    def revoke(self, token: str) -> bool:
        """Revoke a refresh token (with its access tokens, as Graph's continuous access
        evaluation does) or a single access token."""
        with self.lock:
            grant = self.identity.grants.get(token)
            if grant is not None:
                grant.revoked = True
                for access in self.identity.tokens.values():
                    if access.grant is grant:
                        access.revoked = True
                return True
            access = self.identity.tokens.get(token)
            if access is None:
                return False
            access.revoked = True
            return True

    def revoke_sessions(self, email: str) -> None:
        """Every refresh token of ``email`` stops working (revokeSignInSessions)."""
        with self.lock:
            self.identity.sessions[email] = self.identity.sessions.get(email, 0) + 1
            for access in self.identity.tokens.values():
                if access.email == email:
                    access.revoked = True

    def require_interaction(self, email: str, error_code: int = 50076) -> None:
        """The next refresh for ``email`` answers ``interaction_required`` until he signs in
        interactively (MFA / conditional access)."""
        with self.lock:
            self.identity.interaction_required[email] = error_code

    def expire_access_tokens(self, email: str | None = None) -> None:
        with self.lock:
            past = self.now() - dt.timedelta(seconds=1)
            for token in self.identity.tokens.values():
                if email is None or token.email == email:
                    token.expires_at = past

    # -- events (Python API) -----------------------------------------------------------------

    def _render(self, mailbox: Mailbox, instance, time_zone: str | None = None) -> dict:
        options = RenderOptions(
            time_zone=time_zone, extended_ids=[], wrap_html=self.wrap_html_bodies
        )
        return render(instance, options)

    def insert_event(
        self, email: str, body: dict[str, Any], organizer: str | dict | None = None
    ) -> dict[str, Any]:
        """Create an event as the user would in Outlook. ``organizer``: another person's
        email (or ``{"name", "address"}``) makes it a meeting the user was invited to."""
        if isinstance(organizer, str):
            organizer = {"name": organizer.split("@")[0], "address": organizer}
        with self.lock:
            mailbox = self.mailbox(email)
            event = mailbox.create(dict(body), organizer=organizer)
            return self._render(mailbox, mailbox.instance(event))

    def patch_event(self, email: str, event_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Change an event, occurrence or exception as its organizer's side would."""
        with self.lock:
            mailbox = self.mailbox(email)
            return self._render(mailbox, mailbox.update(event_id, dict(patch), as_user=True))

    def delete_event(self, email: str, event_id: str) -> None:
        with self.lock:
            self.mailbox(email).delete(event_id)

    def cancel_meeting(self, email: str, event_id: str) -> None:
        """The organizer cancelled a meeting ``email`` was invited to (isCancelled)."""
        with self.lock:
            self.mailbox(email).cancel_meeting(event_id)

    def set_attendee_response(
        self, email: str, event_id: str, attendee_address: str, response: str
    ) -> dict[str, Any]:
        """An attendee's answer reached ``email``'s event."""
        with self.lock:
            mailbox = self.mailbox(email)
            instance = mailbox.set_attendee_response(event_id, attendee_address, response)
            return self._render(mailbox, instance)

    def get_event(
        self, email: str, event_id: str, time_zone: str | None = None
    ) -> dict[str, Any] | None:
        with self.lock:
            mailbox = self.mailbox(email)
            try:
                return self._render(mailbox, mailbox.find(event_id), time_zone)
            except errors.GraphError:
                return None

    def events(self, email: str) -> list[dict[str, Any]]:
        """What /me/events lists: single events and series masters, creation order."""
        with self.lock:
            mailbox = self.mailbox(email)
            return [self._render(mailbox, instance) for instance in mailbox.listed()]

    def instances(
        self,
        email: str,
        event_id: str,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Occurrences and exceptions of a series (cancelled ones left out)."""
        with self.lock:
            mailbox = self.mailbox(email)
            event = mailbox.stored(event_id)
            if not event.is_series:
                return []
            window = None
            if start is not None or end is not None:
                low = start or dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc)
                window = (low, end or self.now() + dt.timedelta(days=self.horizon_days))
            found = mailbox.occurrences(event, window)
            return [self._render(mailbox, instance) for instance in found]

    def extended_property(self, email: str, event_id: str, property_id: str) -> str | None:
        with self.lock:
            stored = self.mailbox(email).find(event_id).extended.get(property_id.lower())
            return stored["value"] if stored else None

    def expire_delta_tokens(self, email: str | None = None) -> None:
        """Every delta and skip token issued so far -> 410 SyncStateNotFound."""
        with self.lock:
            self.delta.expire(email, list(self.mailboxes))

    def throttle(self, times: int | None = 1, retry_after: float | None = 1, **kwargs) -> Fault:
        """Shortcut for ``self.faults.throttle``."""
        return self.faults.throttle(times=times, retry_after=retry_after, **kwargs)

    # -- demo --------------------------------------------------------------------------------

    def seed_demo(self, email: str = "demo@example.com") -> Mailbox:
        from .demo import seed

        with self.lock:
            return seed(self, email)

    def describe(self) -> str:
        lines = [
            f"OAuth client_id={self.client_id} client_secret={self.client_secret}",
            f"authority: {self.authority}  (tenant id {self.tenant_id})",
            f"Graph: {self.graph_url}",
            f"accounts: {', '.join(self.mailboxes) or '-'}",
        ]
        if self.ca_path:
            lines.append(f"CA certificate (trust it, e.g. REQUESTS_CA_BUNDLE): {self.ca_path}")
        return "\n".join(lines)

    # -- control endpoints -------------------------------------------------------------------

    def _register_microsoft_control_routes(self) -> None:
        self.control_route("POST", "/microsoft/accounts", self._ctl_add_account)
        self.control_route("POST", "/microsoft/tokens", self._ctl_issue_tokens)
        self.control_route("POST", "/microsoft/expire-delta-tokens", self._ctl_expire_delta)
        self.control_route("POST", "/microsoft/seed-demo", self._ctl_seed)
        self.control_route("POST", "/microsoft/settings", self._ctl_settings)
        self.control_route("GET", "/microsoft/events/(?P<email>[^/]+)", self._ctl_events)
        self.control_route("GET", "/microsoft/ca", self._ctl_ca)
        self.control_route("GET", "/microsoft/subscriptions", self._ctl_subscriptions)
        self.control_route("POST", "/microsoft/lifecycle", self._ctl_lifecycle)
        self.control_route("GET", "/microsoft/notifications", self._ctl_notifications)

    def _ctl_add_account(self, request: RecordedRequest) -> Response:
        data = request.json() or {}
        mailbox = self.add_account(
            data["email"], data.get("display_name", ""), data.get("time_zone", "UTC")
        )
        return Response.json({"email": mailbox.email, "id": mailbox.oid}, 201)

    def _ctl_issue_tokens(self, request: RecordedRequest) -> Response:
        data = request.json() or {}
        scopes = data.get("scopes", identity.DEFAULT_SCOPES)
        access, refresh = self.issue_tokens(data["email"], scopes)
        return Response.json({"access_token": access, "refresh_token": refresh})

    def _ctl_expire_delta(self, request: RecordedRequest) -> Response:
        self.expire_delta_tokens((request.json() or {}).get("email"))
        return Response(204)

    def _ctl_seed(self, request: RecordedRequest) -> Response:
        mailbox = self.seed_demo((request.json() or {}).get("email", "demo@example.com"))
        return Response.json({"email": mailbox.email}, 201)

    def _ctl_settings(self, request: RecordedRequest) -> Response:
        for key, value in (request.json() or {}).items():
            if key not in SETTINGS:
                return Response.json({"error": f"unknown setting {key}"}, 400)
            setattr(self, key, value)
        return Response.json({key: getattr(self, key) for key in SETTINGS})

    def _ctl_events(self, request: RecordedRequest) -> Response:
        email = request.path_params["email"].replace("%40", "@")
        return Response.json(self.events(email))

    def _ctl_ca(self, request: RecordedRequest) -> Response:
        if not self.ca_path:
            return Response.json({"error": "TLS is off"}, 404)
        with open(self.ca_path, encoding="ascii") as handle:
            return Response(200, {"Content-Type": "application/x-pem-file"}, handle.read())

    def _ctl_subscriptions(self, request: RecordedRequest) -> Response:
        return Response.json([self._subscription_json(s) for s in self._live_subscriptions()])

    def _ctl_lifecycle(self, request: RecordedRequest) -> Response:
        data = request.json() or {}
        try:
            note = self.lifecycle_event(data["subscriptionId"], data["lifecycleEvent"])
        except (KeyError, ValueError) as error:
            return Response.json({"error": str(error)}, 400)
        return Response.json(note)

    def _ctl_notifications(self, request: RecordedRequest) -> Response:
        return Response.json(self.notifications)
