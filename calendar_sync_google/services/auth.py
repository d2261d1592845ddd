"""Google OAuth 2.0 for the web-server flow, with PKCE (S256), on google-auth and requests.

- ``build_authorization_url``: the consent URL (offline access, forced consent so Google always
  returns a refresh token, incremental scopes, PKCE challenge).
- ``exchange_code``: authorization code -> tokens.
- ``refresh_access_token``: refresh token -> fresh access token (google-auth ``Credentials``;
  Google may rotate the refresh token, the new one is returned).
- ``GoogleTokenProvider``: the ``token_provider`` ``GoogleCalendarClient`` expects.

``invalid_grant`` (revoked or expired grant) raises ``AuthExpired``: the user must reconnect.
Other refusals raise ``ConfigurationError`` with Google's ``error_description`` (wrong client id
or secret, redirect URI not registered...). Transport failures and 5xx raise ``SyncError``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import google.oauth2.credentials
import requests

from calendar_sync_base.services.errors import AuthExpired, ConfigurationError, SyncError

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
AUTH_ENDPOINT = "https://accounts.google.com/o/oauth2/v2/auth"
TOKEN_ENDPOINT = "https://oauth2.googleapis.com/token"
_UTC = dt.timezone.utc  # noqa: UP017 - datetime.UTC needs Python 3.11, Odoo 18 runs on 3.10

# (access_token, expiry, refresh_token): what a refresh yields and ``on_refresh`` receives.
Tokens = tuple[str, "dt.datetime | None", str]


def new_pkce_pair() -> tuple[str, str]:
    """``(code_verifier, code_challenge)`` for PKCE S256 (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)  # 86 characters from the unreserved set
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


def build_authorization_url(
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    auth_endpoint: str = AUTH_ENDPOINT,
    scopes: Sequence[str] = (CALENDAR_SCOPE,),
) -> str:
    """The URL to send the user's browser to for consent."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    return requests.Request("GET", auth_endpoint, params=params).prepare().url


def _payload(response: requests.Response) -> dict:
    try:
        payload = response.json()
    except ValueError:
        return {"error": f"HTTP {response.status_code}", "error_description": response.text[:300]}
    return payload if isinstance(payload, dict) else {"error": str(payload)[:300]}


def _token_error(status: int | None, payload: Any) -> SyncError:
    payload = payload if isinstance(payload, dict) else {"error": str(payload or "")}
    error = str(payload.get("error") or "")
    description = str(payload.get("error_description") or error or "unknown error")
    text = f"Google token endpoint: {error}: {description}" if error else description
    if error == "invalid_grant":
        return AuthExpired(text)
    if status is None or status == 429 or status >= 500:
        return SyncError(text)
    return ConfigurationError(text)


def _expiry(expires_in: Any, now: dt.datetime | None = None) -> dt.datetime | None:
    try:
        seconds = int(expires_in)
    except (TypeError, ValueError):
        return None
    return (now or dt.datetime.now(_UTC)) + dt.timedelta(seconds=seconds)


def exchange_code(
    session: Any,
    token_endpoint: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    code_verifier: str,
) -> dict:
    """Authorization code -> token response, plus ``expiry`` (aware UTC datetime or None).

    ``session`` is a ``ResilientSession`` or a ``requests.Session`` (anything with
    ``request(method, url, **kwargs)``).
    """
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client_id,
        "client_secret": client_secret,
        "code_verifier": code_verifier,
    }
    response, payload = _token_request(session, token_endpoint, data)
    if response.status_code != 200 or not payload.get("access_token"):
        raise _token_error(response.status_code, payload)
    return {**payload, "expiry": _expiry(payload.get("expires_in"))}


def _token_request(session: Any, token_endpoint: str, data: dict) -> tuple[Any, dict]:
    """POST to Google's token endpoint: ``(response, payload)``; unreachable: ``SyncError``."""
    try:
        response = session.request(
            "POST", token_endpoint, data=data, headers={"Accept": "application/json"}
        )
    except requests.RequestException as exc:
        raise SyncError(f"Google token endpoint unreachable: {exc}") from exc
    return response, _payload(response)


# A refresh token no grant has: Google answers ``invalid_grant`` once it accepted the client.
PROBE_REFRESH_TOKEN = "odoo-connection-test"


def check_client(session: Any, token_endpoint: str, client_id: str, client_secret: str) -> None:
    """Whether Google accepts the OAuth client (id and secret), without any user's grant.

    The token endpoint authenticates the client before it looks at the refresh token (RFC
    6749 section 6; a failed client authentication is ``invalid_client``, 401, section 5.2).
    So a refresh with a token no grant has is answered ``invalid_grant`` ("Bad Request") only
    for a known client with the right secret; an unknown client gets ``invalid_client`` "The
    OAuth client was not found.", a wrong secret ``invalid_client`` "Unauthorized" (Google's
    texts as field reports quote them, see ``emulators/google/README.md``), a client not
    allowed to refresh ``unauthorized_client``. ``invalid_grant`` returns; any other answer
    raises ``ConfigurationError`` with Google's reason, an unreachable endpoint ``SyncError``.
    """
    data = {
        "grant_type": "refresh_token",
        "refresh_token": PROBE_REFRESH_TOKEN,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    response, payload = _token_request(session, token_endpoint, data)
    if payload.get("error") != "invalid_grant":
        raise _token_error(response.status_code, payload)


class _BorrowedSession:
    """Lends a session to google-auth, whose ``Request`` closes its session when collected."""

    def __init__(self, session: Any):
        self._session = session

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        return self._session.request(method, url, **kwargs)

    def close(self) -> None:
        """The owner closes the session, not google-auth."""


def _refresh_error(exc: google.auth.exceptions.RefreshError) -> SyncError:
    details = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else None
    message = str(exc.args[0]) if exc.args else str(exc)
    if details is not None:
        error = _token_error(400, details)
        return SyncError(str(error)) if getattr(exc, "retryable", False) else error
    if "invalid_grant" in message or "scopes" in message.lower():
        return AuthExpired(f"Google refresh refused: {message}")  # incl. a scope taken back
    if getattr(exc, "retryable", False):
        return SyncError(f"Google refresh failed: {message}")
    return ConfigurationError(f"Google refresh refused: {message}")


def refresh_access_token(
    session: Any,
    token_endpoint: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    scopes: Sequence[str] | None = (CALENDAR_SCOPE,),
) -> Tokens:
    """Refresh token -> ``(access_token, expiry aware UTC | None, refresh_token)``.

    The returned refresh token is Google's rotated one when it sent one, else the given one.
    """
    credentials = google.oauth2.credentials.Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=token_endpoint,
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(scopes) if scopes else None,
    )
    request = google.auth.transport.requests.Request(session=_BorrowedSession(session))
    try:
        credentials.refresh(request)
    except google.auth.exceptions.RefreshError as exc:
        raise _refresh_error(exc) from exc
    except google.auth.exceptions.TransportError as exc:
        raise SyncError(f"Google token endpoint unreachable: {exc}") from exc
    expiry = credentials.expiry.replace(tzinfo=_UTC) if credentials.expiry else None
    return credentials.token, expiry, credentials.refresh_token or refresh_token


class GoogleTokenProvider:
    """``token_provider`` for ``GoogleCalendarClient``.

    Hands out the cached access token while it is valid for more than ``margin``, refreshes it
    otherwise or when called with ``force_refresh=True`` (after a 401), and calls
    ``on_refresh(access_token, expiry, refresh_token)`` so the caller can store the new
    tokens (the refresh token may have been rotated).
    """

    def __init__(
        self,
        session: Any,
        token_endpoint: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        access_token: str = "",
        expiry: dt.datetime | None = None,
        scopes: Sequence[str] | None = (CALENDAR_SCOPE,),
        on_refresh: Callable[[str, dt.datetime | None, str], None] | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(_UTC),
        margin: dt.timedelta = dt.timedelta(seconds=60),
    ):
        self.session = session
        self.token_endpoint = token_endpoint
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.access_token = access_token
        self.expiry = expiry
        self.scopes = scopes
        self.on_refresh = on_refresh
        self.clock = clock
        self.margin = margin

    def _fresh(self) -> bool:
        if not self.access_token:
            return False
        return self.expiry is None or self.expiry - self.margin > self.clock()

    def __call__(self, force_refresh: bool = False) -> str:
        if force_refresh or not self._fresh():
            self.refresh()
        return self.access_token

    def refresh(self) -> Tokens:
        if not self.refresh_token:
            raise AuthExpired("No Google refresh token stored: connect the account again")
        tokens = refresh_access_token(
            self.session,
            self.token_endpoint,
            self.client_id,
            self.client_secret,
            self.refresh_token,
            self.scopes,
        )
        self.access_token, self.expiry, self.refresh_token = tokens
        if self.on_refresh is not None:
            self.on_refresh(*tokens)
        return tokens
