"""Microsoft identity platform (v2.0 endpoints) state: clients, codes, grants, tokens, JWTs.

Tokens are RS256 JWTs signed with a key generated per process and published at
``/{tenant}/discovery/v2.0/keys``: clients may verify id_tokens (msal 1.39 only decodes them).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..oauth_common import AccessToken, pkce_matches, random_token  # noqa: F401 - re-exported

GRAPH_RESOURCE = "https://graph.microsoft.com/"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
DEFAULT_SCOPES = ("Calendars.ReadWrite", "User.Read", "offline_access", "openid", "profile")
# What `.default` grants: the permissions an admin would have configured for the app.
DEFAULT_PERMISSIONS = ("Calendars.ReadWrite", "Contacts.ReadWrite", "Mail.ReadWrite", "User.Read")
CODE_LIFETIME = dt.timedelta(minutes=10)
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
PERMISSION_RE = re.compile(r"^[A-Za-z]+(\.[A-Za-z]+)+$")
META_TENANTS = ("common", "organizations", "consumers")


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str] | None = None  # None: any redirect URI

    def accepts(self, redirect_uri: str) -> bool:
        return self.redirect_uris is None or redirect_uri in self.redirect_uris


@dataclass
class AuthCode:
    code: str
    client_id: str
    email: str
    scopes: list[str]
    redirect_uri: str
    challenge: str | None
    challenge_method: str
    nonce: str | None
    expires_at: dt.datetime
    used: bool = False


@dataclass
class Grant:
    """A user's consent to a client, reached through one (rotating) refresh token."""

    refresh_token: str
    client_id: str
    email: str
    scopes: list[str]
    expires_at: dt.datetime
    revoked: bool = False
    session: int = 0  # the user's sign-in session generation when issued


@dataclass
class IdentityState:
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)  # refresh token -> grant
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)  # email -> sign-in generation
    interaction_required: dict[str, int] = field(default_factory=dict)  # email -> AADSTS code


# -- scopes ----------------------------------------------------------------------------------


def permission_name(scope: str) -> str | None:
    """``Calendars.ReadWrite`` for ``https://graph.microsoft.com/Calendars.ReadWrite`` or the
    short name; None for OIDC scopes; raises ValueError for other resources."""
    if scope.lower() in OIDC_SCOPES:
        return None
    for prefix in (GRAPH_RESOURCE, "https://graph.microsoft.com", GRAPH_APP_ID + "/"):
        if scope.lower().startswith(prefix.lower()):
            scope = scope[len(prefix) :].lstrip("/")
            break
    if scope == ".default" or PERMISSION_RE.match(scope):
        return scope
    raise ValueError(scope)


def granted_permissions(scopes: list[str]) -> list[str]:
    """Graph permissions behind requested scopes (``.default``: the app's configured ones)."""
    names: list[str] = []
    for scope in scopes:
        name = permission_name(scope)
        if name == ".default":
            names.extend(DEFAULT_PERMISSIONS)
        elif name:
            names.append(name)
    return sorted(set(names), key=str.lower)


def response_scope(scopes: list[str]) -> str:
    """The ``scope`` of a token answer: the Graph permissions granted (in the requested
    spelling), plus ``openid profile email`` when OIDC was asked for, as AAD answers."""
    out = []
    for scope in scopes:
        if scope.lower() in OIDC_SCOPES:
            continue
        if permission_name(scope) == ".default":
            out.extend(DEFAULT_PERMISSIONS)
        else:
            out.append(scope)
    if "openid" in (s.lower() for s in scopes):
        out.extend(["profile", "openid", "email"])
    return " ".join(dict.fromkeys(out))


# -- tokens ----------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_json(data: dict[str, Any]) -> str:
    return b64url(json.dumps(data, separators=(",", ":")).encode("utf-8"))


_key_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _signing_key() -> rsa.RSAPrivateKey:
    with _key_lock:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_id() -> str:
    numbers = _signing_key().public_key().public_numbers()
    return b64url(hashlib.sha256(str(numbers.n).encode()).digest())[:27]


def jwks() -> dict[str, Any]:
    numbers = _signing_key().public_key().public_numbers()
    n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    return {
        "keys": [
            {
                "kty": "RSA",
                "use": "sig",
                "kid": key_id(),
                "x5t": key_id(),
                "n": b64url(n),
                "e": b64url(e),
                "alg": "RS256",
            }
        ]
    }


def sign_jwt(claims: dict[str, Any]) -> str:
    header = {"typ": "JWT", "alg": "RS256", "kid": key_id()}
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    signature = _signing_key().sign(
        signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
    )
    return f"{signing_input}.{b64url(signature)}"


def decode_jwt_claims(token: str) -> dict[str, Any] | None:
    """Claims of a JWT (no verification), None when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        return json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, json.JSONDecodeError):
        return None


def stable_guid(*parts: str) -> str:
    """A GUID derived from ``parts`` (stable across runs: demo data keeps its ids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "calendar-sync-emulator:" + ":".join(parts)))
