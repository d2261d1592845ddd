"""Google OAuth 2.0 for web server apps: authorization endpoint, token endpoint, revocation.

Follows https://developers.google.com/identity/protocols/oauth2/web-server: authorization codes
are single use and short lived, PKCE (S256 or plain) is checked when a challenge was sent, a
refresh token is only issued for ``access_type=offline``, refresh responses omit
``refresh_token`` (unless the emulator rotates them), and token endpoint errors are
``{"error": ..., "error_description": ...}``.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from ..base import EmulatorError, RecordedRequest, Response, basic_auth
from ..oauth_common import AccessToken, pkce_matches, random_token  # noqa: F401 - re-exported

CODE_LIFETIME = dt.timedelta(minutes=10)
DEFAULT_SCOPES = ("https://www.googleapis.com/auth/calendar",)
KNOWN_SCOPE_PREFIXES = ("https://www.googleapis.com/auth/",)
OPENID_SCOPES = ("openid", "email", "profile")


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str] | None = None  # None: any http(s) URI is accepted

    def accepts(self, redirect_uri: str) -> bool:
        if self.redirect_uris is not None:
            return redirect_uri in self.redirect_uris
        return urlsplit(redirect_uri).scheme in ("http", "https")


@dataclass
class AuthCode:
    code: str
    client_id: str
    email: str
    redirect_uri: str
    scopes: list[str]
    offline: bool
    challenge: str | None
    challenge_method: str
    expires_at: dt.datetime
    used: bool = False


@dataclass
class Grant:
    """A user's consent to a client; holds the refresh token."""

    refresh_token: str
    client_id: str
    email: str
    scopes: list[str]
    revoked: bool = False


@dataclass
class OAuthState:
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)  # by refresh token
    retired: set[str] = field(default_factory=set)  # refresh tokens a rotation replaced
    tokens: dict[str, AccessToken] = field(default_factory=dict)


class OAuthError(EmulatorError):
    """A token endpoint error: ``{"error": code, "error_description": ...}``."""

    def __init__(self, error: str, description: str, status: int = 400):
        body = {"error": error, "error_description": description}
        super().__init__(Response.json(body, status, {"Cache-Control": "no-store"}))


def redirect_with(redirect_uri: str, **params: str) -> Response:
    separator = "&" if urlsplit(redirect_uri).query else "?"
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return Response.redirect(f"{redirect_uri}{separator}{query}")


def error_page(status: int, error: str, description: str) -> Response:
    text = (
        "<!doctype html><html><head><title>Error</title></head><body>"
        f"<h1>Access blocked: authorization error</h1><p>Error {status}: {html.escape(error)}</p>"
        f"<p>{html.escape(description)}</p></body></html>"
    )
    return Response.html(text, status)


def consent_page(params: dict[str, str], accounts: list[str], client_id: str) -> Response:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )
    options = "".join(
        f'<option value="{html.escape(e)}"{" selected" if i == 0 else ""}>{html.escape(e)}</option>'
        for i, e in enumerate(accounts)
    )
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in params.get("scope", "").split())
    text = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in - Google Accounts (emulator)</title></head>
<body>
<h1>Google (emulator)</h1>
<p><b>{html.escape(client_id)}</b> wants to access your Google Account</p>
<ul>{scopes}</ul>
<form method="post" action="/o/oauth2/v2/auth">{hidden}
<label>Account <select name="login">{options}</select></label>
<button type="submit" name="decision" value="allow" id="allow">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">Cancel</button>
</form></body></html>"""
    return Response.html(text)


def first_values(query: dict[str, list[str]]) -> dict[str, str]:
    return {key: values[0] for key, values in query.items() if values}


def client_credentials(request: RecordedRequest, form: dict[str, str]) -> tuple[str, str]:
    basic = basic_auth(request.headers.get("Authorization"))
    if basic:
        return basic
    return form.get("client_id", ""), form.get("client_secret", "")


def token_response(token: AccessToken, refresh_token: str | None, now: dt.datetime) -> Response:
    body: dict[str, Any] = {
        "access_token": token.token,
        "expires_in": max(0, int((token.expires_at - now).total_seconds())),
        "scope": " ".join(token.scopes),
        "token_type": "Bearer",
    }
    if refresh_token:
        body["refresh_token"] = refresh_token
    headers = {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"}
    headers["Pragma"] = "no-cache"
    return Response.json(body, 200, headers)
