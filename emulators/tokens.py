"""Issuing tokens without a browser, shared by the emulators that play an OAuth server."""

from __future__ import annotations


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
