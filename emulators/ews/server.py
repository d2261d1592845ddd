"""The EWS endpoint: authentication (NTLM, Basic), the SOAP header (version, impersonation),
dispatch to the operations, request log and fault injection of the framework."""

from __future__ import annotations

import base64
import datetime as dt
import xml.etree.ElementTree as ET

from ..base import EmulatorError, EmulatorServer, Faults, RecordedRequest, Response, basic_auth
from ..microsoft.tls import TlsServing
from . import autodiscover, ntlm, oauth
from .errors import XML_CONTENT_TYPE, SoapFault, fault_response, server_busy_body
from .items import new_item
from .operations import OPERATIONS, Context
from .store import Mailbox, Store
from .xml import (
    SERVER_VERSIONS,
    SOAP,
    ServerVersion,
    child_text,
    envelope,
    format_datetime,
    local_name,
    sub,
    t,
)

EWS_PATH = "/EWS/Exchange.asmx"
DEFAULT_DOMAIN = "EXAMPLE"
# ConnectingSID children naming the impersonated account (SID is not emulated).
IMPERSONATION_ADDRESSES = ("PrimarySmtpAddress", "SmtpAddress", "PrincipalName")
# ``make demo``'s Exchange calendar: (subject, days from today, UTC hour, hours, location).
DEMO_MAILBOX = "demo@example.com"
DEMO_EVENTS = (
    ("Exchange: project kick-off", 1, 8, 1, "Board room"),
    ("Exchange: budget review", 2, 13, 2, "Room 4"),
    ("Exchange: customer visit", 4, 9, 3, "Customer site"),
)


class EwsFaults(Faults):
    """Faults that may target one EWS operation: ``operation="UpdateItem"`` matches requests
    whose SOAP body holds that operation element, ``item_id`` those naming that item."""

    def add(self, *args, operation: str | None = None, item_id: str | None = None, **match):
        if operation or item_id:
            match["matcher"] = _soap_matcher(operation, item_id)
        return super().add(*args, **match)

    def server_busy(self, back_off_ms: int = 1000, times: int | None = 1, **match) -> object:
        """Answer ``ErrorServerBusy`` (a SOAP fault, HTTP 500) with ``BackOffMilliseconds``."""
        return self.add(
            status=500,
            headers={"Content-Type": XML_CONTENT_TYPE},
            body=server_busy_body(back_off_ms),
            times=times,
            **match,
        )


class EwsEmulator(TlsServing, EmulatorServer):
    """Exchange Server 2019 EWS for calendars. See emulators/ews/README.md."""

    name = "ews"

    def __init__(
        self,
        auth_methods=("NTLM", "Basic"),
        domain: str = DEFAULT_DOMAIN,
        server_version: str = "Exchange2019",
        tls: bool = False,
        cert_dir: str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.use_tls(tls, cert_dir)  # https with its own CA, as servers with a private CA
        self.auth_methods = tuple(auth_methods)
        self.domain = domain
        self.server_version = SERVER_VERSIONS[server_version]
        self.reset_state()
        self.route("POST", r"(?i)/ews/exchange\.asmx", self._soap)
        self.route("POST", oauth.TOKEN_PATH, self._token)
        self.route("POST", rf"(?i){autodiscover.AUTODISCOVER_PATH}", self._autodiscover)

    def reset_state(self) -> None:
        self.store = Store()
        self.messages_sent: list[dict] = []  # meeting invitations / updates / cancellations
        self.refusals: dict[tuple[str, str], str] = {}
        self._ntlm_challenges: dict[tuple, bytes] = {}
        self._ntlm_connections: dict[tuple, str] = {}
        self.oauth_apps: dict[str, oauth.OAuthApp] = {}
        self.oauth_tokens: dict[str, oauth.AccessToken] = {}

    def make_faults(self) -> EwsFaults:
        return EwsFaults()

    @property
    def endpoint(self) -> str:
        return self.url + EWS_PATH

    # -- accounts ----------------------------------------------------------------------------

    def add_mailbox(
        self, smtp: str, password: str, name: str = "", can_impersonate: bool = False
    ) -> Mailbox:
        with self.lock:
            return self.store.add_mailbox(smtp, password, name, can_impersonate=can_impersonate)

    def add_oauth_app(self, client_id: str, client_secret: str, tenant_id: str) -> None:
        """Register an application allowed to open every mailbox with app-only tokens from
        ``{url}/{tenant_id}/oauth2/v2.0/token`` (needs ``"Bearer"`` in ``auth_methods``)."""
        with self.lock:
            self.oauth_apps[client_id] = oauth.OAuthApp(client_id, client_secret, tenant_id)

    def deny_impersonation(self, smtp: str) -> None:
        """Leave mailbox ``smtp`` out of the impersonation right (a management scope that
        does not cover it): opening it by impersonation answers ErrorImpersonateUserDenied."""
        with self.lock:
            self.store.mailbox(smtp).refuses_impersonation = True

    def grant_delegate(self, owner: str, delegate: str) -> None:
        """Let ``delegate`` open ``owner``'s folders (DELEGATE access)."""
        with self.lock:
            self.store.mailbox(owner).delegates.add(delegate.lower())

    def respond(self, item_id: str, attendee: str, response: str) -> None:
        """Record an attendee's answer (Accept, Decline, Tentative...) on an organizer's item,
        as Exchange does when the attendee's meeting response arrives."""
        with self.lock:
            self.store.record_response(item_id, attendee, response, self.now())

    def refuse(self, operation: str, item_id: str, code: str = "ErrorItemSave") -> tuple:
        """Refuse ``operation`` (``UpdateItem``) of one item for good with ``code`` (Exchange's
        "could not save the item"): that item's error ResponseMessage, the other items of the
        call go on. Returns the handle ``stop_refusing`` takes."""
        with self.lock:
            self.refusals[(operation, item_id)] = code
        return (operation, item_id)

    def stop_refusing(self, handle: tuple) -> None:
        with self.lock:
            self.refusals.pop(handle, None)

    def invalidate_sync_states(self, smtp: str, folder: str = "calendar") -> None:
        """Make every sync state of a folder invalid (ErrorInvalidSyncStateData), as when the
        server has lost or expired them."""
        with self.lock:
            self.store.invalidate_sync_states(
                self.store.mailbox(smtp).distinguished(folder).folder_id
            )

    def seed_demo(self) -> None:
        self.add_mailbox("admin@example.com", "admin", "Exchange Admin", can_impersonate=True)
        self.add_mailbox("alice@example.com", "alice", "Alice")
        self.add_mailbox("bob@example.com", "bob", "Bob")
        self._seed_demo_calendar(self.add_mailbox(DEMO_MAILBOX, "demo", "Demo User"))

    def _seed_demo_calendar(self, mailbox: Mailbox) -> None:
        today = self.now().replace(hour=0, minute=0, second=0, microsecond=0)
        calendar = mailbox.distinguished("calendar").folder_id
        for subject, days, hour, hours, location in DEMO_EVENTS:
            start = today + dt.timedelta(days=days, hours=hour)
            element = ET.Element(t("CalendarItem"))
            sub(element, t("Subject"), subject)
            sub(element, t("Start"), format_datetime(start))
            sub(element, t("End"), format_datetime(start + dt.timedelta(hours=hours)))
            sub(element, t("Location"), location)
            with self.lock:
                new_item(self.store, mailbox, calendar, element, self.now())

    def describe(self) -> str:
        accounts = ", ".join(sorted(self.store.mailboxes))
        methods = "/".join(self.auth_methods)
        return f"EWS endpoint {self.endpoint} (auth: {methods}); mailboxes: {accounts}"

    def _login(self, name: str) -> Mailbox | None:
        """The mailbox of a login: ``smtp``, ``DOMAIN\\user`` or ``user``."""
        name = name.lower()
        if "\\" in name:
            domain, _, name = name.partition("\\")
            if domain != self.domain.lower():
                return None
        for mailbox in self.store.mailboxes.values():
            if name in (mailbox.smtp, mailbox.smtp.partition("@")[0]):
                return mailbox
        return None

    # -- authentication ----------------------------------------------------------------------

    def _challenge(self, token: bytes | None = None) -> EmulatorError:
        headers = []
        if token is not None:
            headers.append(("WWW-Authenticate", "NTLM " + base64.b64encode(token).decode()))
        else:
            if "NTLM" in self.auth_methods:
                headers += [("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", "NTLM")]
            if "Basic" in self.auth_methods:
                headers.append(("WWW-Authenticate", f'Basic realm="{self.host}"'))
            if "Bearer" in self.auth_methods:
                headers.append(("WWW-Authenticate", oauth.bearer_challenge(self.url)))
        return EmulatorError(Response(401, headers, b""))

    def _authenticate(self, request: RecordedRequest) -> Mailbox:
        header = request.headers.get("Authorization")
        connection = request.client_address
        if "Bearer" in self.auth_methods and (header or "").lower().startswith("bearer "):
            app = oauth.bearer_app(self.oauth_apps, self.oauth_tokens, header, self.now())
            if app is None:
                raise self._challenge()
            request.context["oauth_app"] = app.client_id
            return app.principal
        token = ntlm.parse_header(header) if "NTLM" in self.auth_methods else None
        if token is not None:
            return self._authenticate_ntlm(token, connection)
        credentials = basic_auth(header) if "Basic" in self.auth_methods else None
        if credentials is not None:
            mailbox = self._login(credentials[0])
            if mailbox is not None and mailbox.password == credentials[1]:
                return mailbox
            raise self._challenge()
        known = self._ntlm_connections.get(connection)
        if known is not None and known in self.store.mailboxes:
            return self.store.mailboxes[known]  # NTLM authenticates the connection
        raise self._challenge()

    def _authenticate_ntlm(self, token: bytes, connection) -> Mailbox:
        try:
            kind = ntlm.message_type(token)
            if kind == 1:
                message, server_challenge = ntlm.challenge(token, self.domain, "EXCH01")
                self._ntlm_challenges[connection] = server_challenge
                raise self._challenge(message)
            server_challenge = self._ntlm_challenges.pop(connection, None)
            domain, user = ntlm.authenticate_identity(token)
            login = f"{domain}\\{user}" if domain else user
            mailbox = self._login(login)
            if (
                kind == 3
                and server_challenge is not None
                and mailbox is not None
                and ntlm.verify(token, server_challenge, mailbox.password)
            ):
                self._ntlm_connections[connection] = mailbox.smtp
                return mailbox
        except ntlm.NtlmError:
            pass
        self._ntlm_connections.pop(connection, None)
        raise self._challenge()

    # -- SOAP --------------------------------------------------------------------------------

    def _token(self, request: RecordedRequest) -> Response:
        return oauth.issue_token(self.oauth_apps, self.oauth_tokens, request, self.now())

    def fault_response(self, status: int, request: RecordedRequest) -> Response:
        if status == 401:
            return self._challenge().response
        code = "ErrorServerBusy" if status in (500, 503) else "ErrorInternalServerError"
        return fault_response(code)

    def not_found(self, request: RecordedRequest) -> Response:
        return Response(
            404, {"Content-Type": "text/html"}, "<html><body>404 - Not Found</body></html>"
        )

    def _soap(self, request: RecordedRequest) -> Response:
        user = self._authenticate(request)
        header, operation = _parse_envelope(request.body, self.server_version)
        mailbox = self._impersonated(user, header)
        if request.context.get("oauth_app"):
            oauth.check_app_only_request(request, None if mailbox is user else mailbox)
        handler = OPERATIONS.get(local_name(operation))
        if handler is None:
            raise SoapFault("ErrorInvalidRequest", f"{local_name(operation)} is not emulated.")
        context = Context(self.store, mailbox, self.now(), refusals=self.refusals)
        request.context["mailbox"] = mailbox.smtp
        request.context["operation"] = local_name(operation)
        answer = handler(context, operation)
        self.messages_sent.extend(context.messages_sent)
        request.context["response_body"] = envelope(answer, self.server_version)  # for checks
        return Response(200, {"Content-Type": XML_CONTENT_TYPE}, request.context["response_body"])

    def _autodiscover(self, request: RecordedRequest) -> Response:
        """SOAP autodiscover (authenticated as EWS is): the EWS URL of each mailbox asked."""
        self._authenticate(request)
        users = autodiscover.requested_users(request.body)
        request.context["operation"] = "GetUserSettings"
        body = autodiscover.user_settings_response(users, set(self.store.mailboxes), self.endpoint)
        return Response(200, {"Content-Type": XML_CONTENT_TYPE}, body)

    def _impersonated(self, user: Mailbox, header: ET.Element) -> Mailbox:
        """The mailbox an ExchangeImpersonation header names (``user`` without one)."""
        sid = header.find(f"{t('ExchangeImpersonation')}/{t('ConnectingSID')}")
        if sid is None:
            return user
        if not user.can_impersonate:
            raise SoapFault("ErrorImpersonateUserDenied")
        addresses = (child_text(sid, t(tag)) for tag in IMPERSONATION_ADDRESSES)
        address = next((found for found in addresses if found), "")
        target = self.store.mailboxes.get(address.lower())
        if target is None:
            raise SoapFault("ErrorNonExistentMailbox")
        if target.refuses_impersonation:
            raise SoapFault("ErrorImpersonateUserDenied")
        return target


def _soap_matcher(operation: str | None, item_id: str | None):
    def matches(request: RecordedRequest) -> bool:
        try:
            body = ET.fromstring(request.body).find(f"{{{SOAP}}}Body")
        except ET.ParseError:
            return False
        if body is None or not len(body):
            return False
        if operation and local_name(body[0]) != operation:
            return False
        ids = (element.get("Id") or element.get("RecurringMasterId") for element in body.iter())
        return not item_id or item_id in ids

    matches.__doc__ = f"EWS operation {operation or 'any'}, item {item_id or 'any'}"
    return matches


def _parse_envelope(body: bytes, server: ServerVersion) -> tuple[ET.Element, ET.Element]:
    """(SOAP header, operation element) of a request whose server version is accepted."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        message = f"The request failed schema validation: {error}"
        raise SoapFault("ErrorSchemaValidation", message) from None
    header = root.find(f"{{{SOAP}}}Header")
    header = header if header is not None else ET.Element(f"{{{SOAP}}}Header")
    body_element = root.find(f"{{{SOAP}}}Body")
    if local_name(root) != "Envelope" or body_element is None or not len(body_element):
        raise SoapFault("ErrorInvalidRequest")
    version = header.find(t("RequestServerVersion"))
    if version is not None and not server.accepts(version.get("Version")):
        raise SoapFault("ErrorInvalidServerVersion")
    return header, body_element[0]
