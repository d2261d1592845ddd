"""HTTP endpoints of Google's OAuth server (mixed into GoogleEmulator).

- ``GET|POST /o/oauth2/v2/auth``  authorization endpoint (consent page, or auto-approve)
- ``POST /token``                  token endpoint (authorization_code + PKCE, refresh_token)
- ``POST /revoke``                 revocation
- ``GET /tokeninfo``, ``GET /oauth2/v3/userinfo``, ``GET /.well-known/openid-configuration``
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from ..base import RecordedRequest, Response, bearer_token
from . import oauth
from .errors import unauthenticated

if TYPE_CHECKING:
    from .server import GoogleEmulator


class OAuthEndpoints:
    """Requires the host class to provide ``oauth`` (OAuthState), ``accounts``, ``now()``,
    ``auto_approve``, ``rotate_refresh_tokens``, ``access_token_lifetime``, ``add_account()``."""

    def _register_oauth_routes(self: GoogleEmulator) -> None:
        for path in ("/o/oauth2/v2/auth", "/o/oauth2/auth"):
            self.route("GET", path, self._authorize)
            self.route("POST", path, self._authorize_decision)
        for path in ("/token", "/o/oauth2/token"):
            self.route("POST", path, self._token)
        for path in ("/revoke", "/o/oauth2/revoke"):
            self.route("POST", path, self._revoke_endpoint)
        self.route("GET", "/tokeninfo", self._tokeninfo)
        self.route("GET", "/oauth2/v3/userinfo", self._userinfo)
        self.route("GET", "/.well-known/openid-configuration", self._openid_configuration)

    # -- authorization endpoint --------------------------------------------------------------

    def _authorize(self: GoogleEmulator, request: RecordedRequest) -> Response:
        params = oauth.first_values(request.query)
        problem = self._check_authorization(params)
        if problem is not None:
            return problem
        auto = params.get("auto_approve", "").lower() in ("1", "true", "yes")
        if self.auto_approve or auto:
            login = self._pick_login(params.get("login_hint"))
            return self._approve(params, login)
        accounts = sorted(self.accounts, key=lambda e: e != params.get("login_hint"))
        return oauth.consent_page(params, accounts or ["demo@example.com"], params["client_id"])

    def _authorize_decision(self: GoogleEmulator, request: RecordedRequest) -> Response:
        params = oauth.first_values(request.form())
        decision, login = params.pop("decision", "allow"), params.pop("login", "")
        problem = self._check_authorization(params)
        if problem is not None:
            return problem
        if decision != "allow":
            return oauth.redirect_with(
                params["redirect_uri"], error="access_denied", state=params.get("state")
            )
        return self._approve(params, login or self._pick_login(params.get("login_hint")))

    def _pick_login(self: GoogleEmulator, hint: str | None) -> str:
        if hint and hint in self.accounts:
            return hint
        if self.accounts:
            return next(iter(self.accounts))
        return hint or "demo@example.com"

    def _check_authorization(self: GoogleEmulator, params: dict[str, str]) -> Response | None:
        """Problems before the redirect URI is trusted are shown as a page; after, they are
        sent back to the client on its redirect URI (RFC 6749 4.1.2.1)."""
        client = self.oauth.clients.get(params.get("client_id", ""))
        if client is None:
            return oauth.error_page(401, "invalid_client", "The OAuth client was not found.")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri or not client.accepts(redirect_uri):
            return oauth.error_page(
                400,
                "redirect_uri_mismatch",
                f"The redirect URI in the request, {redirect_uri}, does not match the ones "
                "authorized for the OAuth client.",
            )
        error = _authorization_error(params)
        if error is None:
            return None
        return oauth.redirect_with(
            redirect_uri, error=error[0], error_description=error[1], state=params.get("state")
        )

    def _approve(self: GoogleEmulator, params: dict[str, str], login: str) -> Response:
        self.add_account(login)
        existing = any(
            g.client_id == params["client_id"] and g.email == login and not g.revoked
            for g in self.oauth.grants.values()
        )
        offline = params.get("access_type") == "offline"
        # Google sends a refresh token on the first consent, or again with prompt=consent.
        give_refresh = offline and (not existing or "consent" in params.get("prompt", "").split())
        code = oauth.AuthCode(
            code=oauth.random_token("4/0A", 30),
            client_id=params["client_id"],
            email=login,
            redirect_uri=params["redirect_uri"],
            scopes=params["scope"].split(),
            offline=give_refresh,
            challenge=params.get("code_challenge"),
            challenge_method=params.get("code_challenge_method", "plain"),
            expires_at=self.now() + oauth.CODE_LIFETIME,
        )
        self.oauth.codes[code.code] = code
        return oauth.redirect_with(
            params["redirect_uri"],
            state=params.get("state"),
            code=code.code,
            scope=params["scope"],
            authuser="0",
            prompt="consent",
        )

    # -- token endpoint ----------------------------------------------------------------------

    def _token(self: GoogleEmulator, request: RecordedRequest) -> Response:
        form = oauth.first_values(request.form())
        client = self._token_client(request, form)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(client, form)
        if grant_type == "refresh_token":
            return self._refresh(client, form)
        if not grant_type:
            raise oauth.OAuthError("invalid_request", "Missing required parameter: grant_type")
        raise oauth.OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _token_client(self: GoogleEmulator, request: RecordedRequest, form) -> oauth.Client:
        """The client is authenticated before its grant is looked at (RFC 6749 section 6:
        "authenticate the client ... and validate the refresh token"; section 5.2:
        ``invalid_client``, 401). Google's texts, as field reports quote them: an unknown id
        "The OAuth client was not found." (Edujugon/laravel-google-ads#17, with a made-up
        refresh token too), a wrong secret "Unauthorized" (adrielcafe/AndroidOAuth#2,
        teranetsrl/oauth2_client#145)."""
        client_id, secret = oauth.client_credentials(request, form)
        client = self.oauth.clients.get(client_id)
        if client is None:
            raise oauth.OAuthError("invalid_client", "The OAuth client was not found.", 401)
        if secret != client.client_secret:
            raise oauth.OAuthError("invalid_client", "Unauthorized", 401)
        return client

    def _exchange_code(self: GoogleEmulator, client: oauth.Client, form) -> Response:
        code = self.oauth.codes.get(form.get("code", ""))
        if code is None:
            raise oauth.OAuthError("invalid_grant", "Malformed auth code.")
        if code.used or code.expires_at <= self.now() or code.client_id != client.client_id:
            raise oauth.OAuthError("invalid_grant", "Bad Request")
        if form.get("redirect_uri") != code.redirect_uri:
            raise oauth.OAuthError("redirect_uri_mismatch", "Bad Request")
        if code.challenge:
            verifier = form.get("code_verifier")
            if not verifier:
                raise oauth.OAuthError("invalid_grant", "Missing code verifier.")
            if not oauth.pkce_matches(verifier, code.challenge, code.challenge_method):
                raise oauth.OAuthError("invalid_grant", "Invalid code verifier.")
        code.used = True
        grant = self._new_grant(client.client_id, code.email, code.scopes)
        token = self._new_access_token(client.client_id, code.email, code.scopes, grant)
        refresh = grant.refresh_token if code.offline else None
        return oauth.token_response(token, refresh, self.now())

    def _refresh(self: GoogleEmulator, client: oauth.Client, form) -> Response:
        refresh_token = form.get("refresh_token", "")
        grant = self.oauth.grants.get(refresh_token)
        if grant is None and refresh_token not in self.oauth.retired:
            # A token Google never issued: 400 "Bad Request" (google/gmail-oauth2-tools#29,
            # nextcloud/server#40863, from oauth2.googleapis.com/token).
            raise oauth.OAuthError("invalid_grant", "Bad Request")
        if grant is None or grant.revoked:
            raise oauth.OAuthError("invalid_grant", "Token has been expired or revoked.")
        if grant.client_id != client.client_id:
            raise oauth.OAuthError("unauthorized_client", "Unauthorized")
        scopes = form.get("scope", "").split() or grant.scopes
        if not set(scopes) <= set(grant.scopes):
            raise oauth.OAuthError("invalid_scope", "Some requested scopes were invalid.")
        refresh = None
        if self.rotate_refresh_tokens:
            grant = self._rotate(grant)
            refresh = grant.refresh_token
        token = self._new_access_token(client.client_id, grant.email, scopes, grant)
        return oauth.token_response(token, refresh, self.now())

    def _rotate(self: GoogleEmulator, grant: oauth.Grant) -> oauth.Grant:
        del self.oauth.grants[grant.refresh_token]
        self.oauth.retired.add(grant.refresh_token)
        grant.refresh_token = oauth.random_token("1//0g", 48)
        self.oauth.grants[grant.refresh_token] = grant
        return grant

    def _new_grant(self: GoogleEmulator, client_id: str, email: str, scopes) -> oauth.Grant:
        for grant in self.oauth.grants.values():
            if grant.client_id == client_id and grant.email == email and not grant.revoked:
                grant.scopes = sorted(set(grant.scopes) | set(scopes))
                return grant
        grant = oauth.Grant(oauth.random_token("1//0g", 48), client_id, email, list(scopes))
        self.oauth.grants[grant.refresh_token] = grant
        return grant

    def _new_access_token(self: GoogleEmulator, client_id, email, scopes, grant=None):
        lifetime = dt.timedelta(seconds=self.access_token_lifetime)
        token = oauth.AccessToken(
            oauth.random_token("ya29.", 60),
            client_id,
            email,
            list(scopes),
            self.now() + lifetime,
            grant,
        )
        self.oauth.tokens[token.token] = token
        return token

    # -- revocation and introspection --------------------------------------------------------

    def _revoke_endpoint(self: GoogleEmulator, request: RecordedRequest) -> Response:
        token = oauth.first_values(request.form()).get("token") or request.arg("token")
        if not token or not self.revoke(token):
            body = {"error": "invalid_token", "error_description": "Token expired or revoked"}
            return Response.json(body, 400)
        return Response.json({}, 200)

    def valid_access_token(self: GoogleEmulator, token: str | None) -> oauth.AccessToken | None:
        record = self.oauth.tokens.get(token or "")
        if record is None or record.revoked or record.expires_at <= self.now():
            return None
        if record.grant is not None and record.grant.revoked:
            return None
        return record

    def _tokeninfo(self: GoogleEmulator, request: RecordedRequest) -> Response:
        record = self.valid_access_token(request.arg("access_token"))
        if record is None:
            body = {"error": "invalid_token", "error_description": "Invalid Value"}
            return Response.json(body, 400)
        expires_in = int((record.expires_at - self.now()).total_seconds())
        return Response.json(
            {
                "azp": record.client_id,
                "aud": record.client_id,
                "scope": " ".join(record.scopes),
                "exp": str(int(record.expires_at.timestamp())),
                "expires_in": str(expires_in),
                "email": record.email,
                "email_verified": "true",
                "access_type": "offline" if record.grant else "online",
            }
        )

    def _userinfo(self: GoogleEmulator, request: RecordedRequest) -> Response:
        record = self.valid_access_token(bearer_token(request.headers.get("Authorization")))
        if record is None:
            raise unauthenticated()
        account = self.accounts[record.email]
        return Response.json(
            {
                "sub": str(int(hashlib.sha256(account.email.encode()).hexdigest(), 16) % 10**21),
                "email": account.email,
                "email_verified": True,
                "name": account.display_name or account.email,
            }
        )

    def _openid_configuration(self: GoogleEmulator, request: RecordedRequest) -> Response:
        base = self.url
        return Response.json(
            {
                "issuer": "https://accounts.google.com",
                "authorization_endpoint": f"{base}/o/oauth2/v2/auth",
                "token_endpoint": f"{base}/token",
                "userinfo_endpoint": f"{base}/oauth2/v3/userinfo",
                "revocation_endpoint": f"{base}/revoke",
                "response_types_supported": ["code"],
                "scopes_supported": ["openid", "email", "profile"],
                "code_challenge_methods_supported": ["plain", "S256"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
            }
        )


def _authorization_error(params: dict[str, str]) -> tuple[str, str] | None:
    if params.get("response_type") != "code":
        return "unsupported_response_type", "Only response_type=code is supported."
    scopes = params.get("scope", "").split()
    if not scopes:
        return "invalid_request", "Missing required parameter: scope"
    for scope in scopes:
        if scope not in oauth.OPENID_SCOPES and not scope.startswith(oauth.KNOWN_SCOPE_PREFIXES):
            return "invalid_scope", f"Some requested scopes were invalid. {{invalid=[{scope}]}}"
    method = params.get("code_challenge_method")
    if method and method not in ("S256", "plain"):
        return "invalid_request", "Invalid code_challenge_method"
    if method and not params.get("code_challenge"):
        return "invalid_request", "Missing code_challenge"
    challenge = params.get("code_challenge")
    if challenge and not 43 <= len(challenge) <= 128:
        return "invalid_request", "Invalid code_challenge length"
    access_type = params.get("access_type", "online")
    if access_type not in ("online", "offline"):
        return "invalid_request", f"Invalid access_type: {access_type}"
    return None
