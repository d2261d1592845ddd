"""HTTP endpoints of the Microsoft identity platform v2.0 (mixed into MicrosoftEmulator).

- ``GET  /{tenant}/v2.0/.well-known/openid-configuration``
- ``GET|POST /{tenant}/oauth2/v2.0/authorize``   consent page (or auto-approve), redirect
- ``POST /{tenant}/oauth2/v2.0/token``           authorization_code (+PKCE), refresh_token
- ``GET  /{tenant}/discovery/v2.0/keys``         JWKS of the id_token signing key
- ``GET  /{tenant}/oauth2/v2.0/logout``          end session (redirect)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from ..base import RecordedRequest, Response, basic_auth
from . import identity as idp
from .errors import AADError, aad_description

if TYPE_CHECKING:
    from .server import MicrosoftEmulator

TENANT = r"/(?P<tenant>[A-Za-z0-9._-]+)"
TOKEN_HEADERS = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


def first_values(query: dict[str, list[str]]) -> dict[str, str]:
    return {key: values[0] for key, values in query.items() if values}


class IdentityEndpoints:
    """Requires the host class to provide ``identity`` (IdentityState), ``accounts``,
    ``tenant``, ``tenant_id``, ``url``, ``now()``, the settings and ``add_account()``."""

    def _register_identity_routes(self: MicrosoftEmulator) -> None:
        self.route("GET", TENANT + r"/v2\.0/\.well-known/openid-configuration", self._oidc_config)
        self.route("GET", TENANT + r"/oauth2/v2\.0/authorize", self._authorize)
        self.route("POST", TENANT + r"/oauth2/v2\.0/authorize", self._authorize_decision)
        self.route("POST", TENANT + r"/oauth2/v2\.0/token", self._token)
        self.route("GET", TENANT + r"/discovery/v2\.0/keys", self._keys)
        self.route("GET", TENANT + r"/oauth2/v2\.0/logout", self._logout)

    # -- tenants -----------------------------------------------------------------------------

    def resolve_tenant(self: MicrosoftEmulator, segment: str) -> str | None:
        """The tenant id a path segment names (None for common/organizations/consumers);
        raises AAD's ``invalid_tenant`` for an unknown one."""
        lowered = segment.lower()
        if lowered in idp.META_TENANTS:
            return None
        if lowered == self.tenant_id.lower() or lowered in self.known_domains():
            return self.tenant_id
        raise AADError("invalid_tenant", 90002, segment)

    def known_domains(self: MicrosoftEmulator) -> set[str]:
        """The tenant's domain names: configured ones, a domain given as ``tenant``, and the
        domains of its users' addresses (a user's UPN suffix is a domain of his tenant)."""
        domains = {domain.lower() for domain in self.tenant_domains}
        if "." in self.tenant and not idp.GUID_RE.match(self.tenant):
            domains.add(self.tenant.lower())
        domains.update(email.rpartition("@")[2].lower() for email in self.mailboxes)
        return domains

    def _check_audience(self: MicrosoftEmulator, segment: str, client_id: str) -> None:
        """A single-tenant app cannot sign in through /common or /organizations."""
        if segment.lower() in ("common", "organizations") and not self.multi_tenant:
            raise AADError("invalid_request", 50194, client_id)

    def _oidc_config(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        segment = request.path_params["tenant"]
        tenant_id = self.resolve_tenant(segment)
        base = f"{self.url}/{segment}"
        return Response.json(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                # AAD's multi-tenant documents keep the literal "{tenantid}" placeholder.
                "issuer": f"{self.url}/{tenant_id or '{tenantid}'}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": f"{self.url}/oidc/userinfo",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "claims_supported": [
                    "sub",
                    "iss",
                    "cloud_instance_name",
                    "cloud_instance_host_name",
                    "cloud_graph_host_name",
                    "msgraph_host",
                    "aud",
                    "exp",
                    "iat",
                    "auth_time",
                    "acr",
                    "nonce",
                    "preferred_username",
                    "name",
                    "tid",
                    "ver",
                    "at_hash",
                    "c_hash",
                    "email",
                ],
                "kerberos_endpoint": f"{base}/kerberos",
                "tenant_region_scope": None,
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": urlsplit(self.url).netloc,
                "rbac_url": "https://pas.windows.net",
            }
        )

    def _keys(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        self.resolve_tenant(request.path_params["tenant"])
        return Response.json(idp.jwks())

    def _logout(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        target = request.arg("post_logout_redirect_uri")
        if target:
            return Response.redirect(target)
        return Response.html("<!doctype html><p>You signed out of your account.</p>")

    # -- authorization endpoint --------------------------------------------------------------

    def _authorize(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        params = first_values(request.query)
        problem = self._check_authorization(request.path_params["tenant"], params)
        if problem is not None:
            return problem
        auto = params.get("auto_approve", "").lower() in ("1", "true", "yes")
        if self.auto_approve or auto:
            return self._approve(params, self._pick_login(params.get("login_hint")))
        hint = params.get("login_hint")
        accounts = sorted(self.accounts, key=lambda email: email != hint)
        return consent_page(request.path, params, accounts or ["demo@example.com"])

    def _authorize_decision(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        params = first_values(request.form())
        decision, login = params.pop("decision", "allow"), params.pop("login", "")
        problem = self._check_authorization(request.path_params["tenant"], params)
        if problem is not None:
            return problem
        if decision != "allow":
            return redirect_with(
                params,
                error="access_denied",
                error_description=aad_description(65004),
                error_uri="https://login.microsoftonline.com/error?code=65004",
                state=params.get("state"),
            )
        return self._approve(params, login or self._pick_login(params.get("login_hint")))

    def _pick_login(self: MicrosoftEmulator, hint: str | None) -> str:
        if hint and hint in self.accounts:
            return hint
        if self.accounts:
            return next(iter(self.accounts))
        return hint or "demo@example.com"

    def _check_authorization(
        self: MicrosoftEmulator, segment: str, params: dict[str, str]
    ) -> Response | None:
        """Problems before the redirect URI is trusted are shown as a page; after, they are
        sent back to the client on its redirect URI (RFC 6749 4.1.2.1), in AAD's format."""
        client_id = params.get("client_id", "")
        try:
            self.resolve_tenant(segment)
            client = self.identity.clients.get(client_id)
            if client is None:
                raise AADError("unauthorized_client", 700016, client_id)
            self._check_audience(segment, client_id)
            redirect_uri = params.get("redirect_uri", "")
            if not redirect_uri:
                raise AADError("invalid_request", 900971)
            if not client.accepts(redirect_uri):
                raise AADError("invalid_request", 50011, redirect_uri, client_id)
        except AADError as error:
            return error_page(error)
        problem = authorization_error(params)
        if problem is None:
            return None
        error, code, message = problem
        return redirect_with(
            params,
            error=error,
            error_description=aad_description(code, message=message),
            error_uri=f"https://login.microsoftonline.com/error?code={code}",
            state=params.get("state"),
        )

    def _approve(self: MicrosoftEmulator, params: dict[str, str], login: str) -> Response:
        account = self.add_account(login)
        # An interactive sign-in satisfies MFA / conditional access again.
        self.identity.interaction_required.pop(login, None)
        code = idp.AuthCode(
            code=idp.random_token("0.AX", 96),
            client_id=params["client_id"],
            email=login,
            scopes=params["scope"].split(),
            redirect_uri=params["redirect_uri"],
            challenge=params.get("code_challenge"),
            challenge_method=params.get("code_challenge_method", "plain"),
            nonce=params.get("nonce"),
            expires_at=self.now() + idp.CODE_LIFETIME,
        )
        self.identity.codes[code.code] = code
        answer = {"code": code.code}
        if params.get("client_info") == "1":
            answer["client_info"] = self.client_info(account)
        answer["state"] = params.get("state")
        answer["session_state"] = str(uuid.uuid4())
        return redirect_with(params, **answer)

    # -- token endpoint ----------------------------------------------------------------------

    def _token(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        segment = request.path_params["tenant"]
        self.resolve_tenant(segment)
        form = first_values(request.form())
        client = self._token_client(request, form)
        self._check_audience(segment, client.client_id)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._redeem_code(client, form)
        if grant_type == "refresh_token":
            return self._redeem_refresh_token(client, form)
        if not grant_type:
            raise AADError("invalid_request", 900144, "grant_type")
        raise AADError(
            "unsupported_grant_type",
            70003,
            message=f"The app requested an unsupported grant type '{grant_type}'.",
        )

    def _token_client(self: MicrosoftEmulator, request: RecordedRequest, form) -> idp.Client:
        basic = basic_auth(request.headers.get("Authorization"))
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret"))
        if not client_id:
            raise AADError("invalid_request", 900144, "client_id")
        client = self.identity.clients.get(client_id)
        if client is None:
            raise AADError("unauthorized_client", 700016, client_id, status=400)
        if not secret:
            raise AADError(
                "invalid_client",
                7000218,
                status=401,
                message="The request body must contain the following parameter: "
                "'client_assertion' or 'client_secret'.",
            )
        if secret != client.client_secret:
            raise AADError("invalid_client", 7000215, status=401)
        return client

    def _redeem_code(self: MicrosoftEmulator, client: idp.Client, form) -> Response:
        if not form.get("code"):
            raise AADError("invalid_request", 900144, "code")
        code = self.identity.codes.get(form["code"])
        if code is None or code.client_id != client.client_id:
            raise AADError("invalid_grant", 9002313)
        if code.used:
            raise AADError("invalid_grant", 54005)
        if code.expires_at <= self.now():
            raise AADError("invalid_grant", 70008)
        if form.get("redirect_uri") != code.redirect_uri:
            raise AADError(
                "invalid_grant",
                500112,
                message=f"The reply address '{form.get('redirect_uri')}' does not match the "
                f"reply address '{code.redirect_uri}' provided when requesting Authorization "
                "code.",
            )
        self._check_verifier(code, form.get("code_verifier"))
        code.used = True
        return self._issue(client.client_id, code.email, code.scopes, form, nonce=code.nonce)

    def _check_verifier(self: MicrosoftEmulator, code: idp.AuthCode, verifier: str | None):
        if not code.challenge:
            return
        if not verifier:
            raise AADError("invalid_request", 900144, "code_verifier")
        if not idp.pkce_matches(verifier, code.challenge, code.challenge_method):
            raise AADError("invalid_grant", 501481)

    def _redeem_refresh_token(self: MicrosoftEmulator, client: idp.Client, form) -> Response:
        token = form.get("refresh_token")
        if not token:
            raise AADError("invalid_request", 900144, "refresh_token")
        grant = self.identity.grants.get(token)
        if grant is None or grant.client_id != client.client_id:
            raise AADError("invalid_grant", 9002313)
        if grant.revoked or grant.session != self.identity.sessions.get(grant.email, 0):
            raise AADError("invalid_grant", 50173)
        if grant.expires_at <= self.now():
            raise AADError("invalid_grant", 700082)
        interaction = self.identity.interaction_required.get(grant.email)
        if interaction:
            raise AADError("interaction_required", interaction, extra={"suberror": "basic_action"})
        scopes = form.get("scope", "").split() or grant.scopes
        self._check_consented(client.client_id, grant, scopes)
        return self._issue(client.client_id, grant.email, scopes, form, previous=grant)

    def _check_consented(self: MicrosoftEmulator, client_id: str, grant: idp.Grant, scopes):
        try:
            wanted = set(idp.granted_permissions(scopes))
        except ValueError as exc:
            message = f"The scope {exc} is not valid."
            raise AADError("invalid_scope", 70011, message=message) from None
        if not wanted <= set(idp.granted_permissions(grant.scopes)):
            raise AADError(
                "invalid_grant",
                65001,
                message=f"The user or administrator has not consented to use the application "
                f"with ID '{client_id}'. Send an interactive authorization request for this "
                "user and resource.",
                extra={"suberror": "consent_required"},
            )

    def _issue(
        self: MicrosoftEmulator,
        client_id: str,
        email: str,
        scopes: list[str],
        form: dict[str, str],
        nonce: str | None = None,
        previous: idp.Grant | None = None,
    ) -> Response:
        account = self.accounts[email]
        lowered = {scope.lower() for scope in scopes}
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": idp.response_scope(scopes),
            "expires_in": self.access_token_lifetime,
            "ext_expires_in": self.access_token_lifetime,
        }
        refresh = self._next_refresh_token(client_id, email, scopes, previous)
        access = self._new_access_token(client_id, email, scopes, refresh)
        body["access_token"] = access.token
        if "offline_access" in lowered and refresh is not None:
            body["refresh_token"] = refresh.refresh_token
        if "openid" in lowered:
            body["id_token"] = self.id_token(account, client_id, nonce, "email" in lowered)
        if form.get("client_info") == "1":
            body["client_info"] = self.client_info(account)
        return Response.json(body, 200, TOKEN_HEADERS)

    def _next_refresh_token(self: MicrosoftEmulator, client_id, email, scopes, previous):
        if previous is None:
            return self._new_grant(client_id, email, scopes)
        if not self.rotate_refresh_tokens:
            return previous
        # AAD hands out a new refresh token on every redemption; the old one stays valid
        # until it expires unless the emulator is told to be stricter.
        if self.revoke_rotated_refresh_tokens:
            previous.revoked = True
        return self._new_grant(client_id, email, previous.scopes)

    def _new_grant(self: MicrosoftEmulator, client_id: str, email: str, scopes) -> idp.Grant:
        grant = idp.Grant(
            refresh_token=idp.random_token("1.AX", 160),
            client_id=client_id,
            email=email,
            scopes=list(scopes),
            expires_at=self.now() + dt.timedelta(seconds=self.refresh_token_lifetime),
            session=self.identity.sessions.get(email, 0),
        )
        self.identity.grants[grant.refresh_token] = grant
        return grant

    def _new_access_token(self: MicrosoftEmulator, client_id, email, scopes, grant=None):
        account = self.accounts[email]
        now = self.now()
        expires = now + dt.timedelta(seconds=self.access_token_lifetime)
        permissions = idp.granted_permissions(scopes)
        claims = {
            "aud": idp.GRAPH_RESOURCE.rstrip("/"),
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "app_displayname": client_id,
            "appid": client_id,
            "name": account.display_name,
            "oid": account.oid,
            "scp": " ".join(permissions),
            "tid": self.tenant_id,
            "unique_name": account.email,
            "upn": account.email,
            "uti": idp.random_token("", 16),
            "ver": "1.0",
        }
        token = idp.AccessToken(idp.sign_jwt(claims), client_id, email, permissions, expires, grant)
        self.identity.tokens[token.token] = token
        return token

    def id_token(
        self: MicrosoftEmulator, account, client_id: str, nonce: str | None, email: bool
    ) -> str:
        now = self.now()
        claims: dict[str, Any] = {
            "aud": client_id,
            "iss": f"{self.url}/{self.tenant_id}/v2.0",
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(now.timestamp()) + 3600,
            "name": account.display_name,
            "oid": account.oid,
            "preferred_username": account.email,
            "rh": "0.AX-emulator.",
            # AAD's sub is pairwise: one value per user and application.
            "sub": idp.b64url(hashlib.sha256(f"{account.oid}:{client_id}".encode()).digest()),
            "tid": self.tenant_id,
            "uti": idp.random_token("", 16),
            "ver": "2.0",
        }
        if nonce:
            claims["nonce"] = nonce
        if email:
            claims["email"] = account.email
        return idp.sign_jwt(claims)

    def client_info(self: MicrosoftEmulator, account) -> str:
        return idp.b64url_json({"uid": account.oid, "utid": self.tenant_id})


def authorization_error(params: dict[str, str]) -> tuple[str, int, str] | None:
    """(error, AADSTS code, message) for a bad authorization request, None when fine."""
    if params.get("response_type") != "code":
        return (
            "unsupported_response_type",
            70005,
            f"The provided value for the input parameter 'response_type' "
            f"('{params.get('response_type', '')}') is not allowed for this request. "
            "Expected value: 'code'.",
        )
    scopes = params.get("scope", "").split()
    if not scopes:
        return (
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        )
    try:
        idp.granted_permissions(scopes)
    except ValueError as exc:
        return (
            "invalid_scope",
            70011,
            f"The provided value for the input parameter 'scope' "
            f"is not valid. The scope '{exc}' is not valid.",
        )
    method = params.get("code_challenge_method")
    if params.get("code_challenge") and method not in (None, "S256", "plain"):
        return "invalid_request", 501491, "Invalid code_challenge_method."
    if method and not params.get("code_challenge"):
        return (
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'code_challenge'.",
        )
    return None


def redirect_with(params: dict[str, str], **answer: str | None) -> Response:
    """Send ``answer`` back to the client's redirect URI (query, fragment or form_post)."""
    redirect_uri = params["redirect_uri"]
    values = {key: value for key, value in answer.items() if value is not None}
    mode = params.get("response_mode", "query")
    if mode == "form_post":
        fields = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in values.items()
        )
        return Response.html(
            "<!doctype html><html><head><title>Working...</title></head>"
            '<body onload="document.forms[0].submit()">'
            f'<form method="POST" action="{html.escape(redirect_uri)}">{fields}'
            "<noscript><button type=submit>Continue</button></noscript></form></body></html>"
        )
    if mode == "fragment":
        return Response.redirect(f"{redirect_uri}#{urlencode(values)}")
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return Response.redirect(f"{redirect_uri}{separator}{urlencode(values)}")


def error_page(error: AADError) -> Response:
    body = error.response.body
    text = (
        "<!doctype html><html><head><title>Sign in to your account</title></head><body>"
        "<h1>Sorry, but we're having trouble signing you in.</h1>"
        f"<p id=error>{html.escape(body['error'])}</p>"
        f"<pre id=error_description>{html.escape(body['error_description'])}</pre>"
        "</body></html>"
    )
    return Response.html(text, error.response.status)


def consent_page(action: str, params: dict[str, str], accounts: list[str]) -> Response:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )
    options = "".join(
        f'<option value="{html.escape(e)}"{" selected" if i == 0 else ""}>{html.escape(e)}</option>'
        for i, e in enumerate(accounts)
    )
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in params.get("scope", "").split())
    client = html.escape(params.get("client_id", ""))
    text = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Permissions requested (emulator)</title></head>
<body>
<h1>Microsoft (emulator)</h1>
<p>Permissions requested by <b>{client}</b></p>
<ul>{scopes}</ul>
<form method="post" action="{html.escape(action)}">{hidden}
<label>Account <select name="login">{options}</select></label>
<button type="submit" name="decision" value="allow" id="allow">Accept</button>
<button type="submit" name="decision" value="deny" id="cancel">Cancel</button>
</form></body></html>"""
    return Response.html(text)
