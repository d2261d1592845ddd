"""What the emulators playing an OAuth server share: access tokens, PKCE, token shortcuts.

Grants, codes and clients differ per provider (Google's offline access, Microsoft's rotating
refresh tokens and sign-in sessions) and stay in each emulator.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any


@dataclass
class AccessToken:
    token: str
    client_id: str
    email: str
    scopes: list[str]
    expires_at: dt.datetime
    grant: Any = None  # the provider's Grant it was issued from, if any
    revoked: bool = False


def random_token(prefix: str, size: int) -> str:
    return prefix + secrets.token_urlsafe(size)


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    """RFC 7636: the verifier against the challenge sent with the authorization request."""
    if method == "plain":
        return secrets.compare_digest(verifier, challenge)
    digest = hashlib.sha256(verifier.encode("ascii", errors="replace")).digest()
    expected = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    return secrets.compare_digest(expected, challenge)


class TokenShortcut:
    """``issue_tokens``: consent taken as given, for tests, benchmarks and the demo.

    The emulator provides ``lock``, ``client_id``, ``default_scopes``, ``add_account`` and its
    own ``_new_grant`` / ``_new_access_token`` (the grant and token formats differ per provider).
    """

    default_scopes: tuple[str, ...] = ()

    def issue_tokens(
        self,
        email: str,
        scopes: list[str] | tuple[str, ...] | None = None,
        client_id: str | None = None,
    ) -> tuple[str, str]:
        """Consent already given: returns (access_token, refresh_token)."""
        scopes = list(scopes or self.default_scopes)
        with self.lock:
            self.add_account(email)
            client_id = client_id or self.client_id
            grant = self._new_grant(client_id, email, scopes)
            token = self._new_access_token(client_id, email, scopes, grant)
            return token.token, grant.refresh_token
