"""Microsoft identity platform sign-in and tokens, through msal (1.39) and nothing else.

- ``build_app``: a ``ConfidentialClientApplication`` for ``{authority_host}/{tenant}`` (tenant
  ``common``, ``organizations``, a GUID or a domain: single-tenant authorities work, as msal
  itself discovers the tenant's endpoints) with a per-user ``SerializableTokenCache``.
- ``start_flow`` / ``finish_flow``: msal's authorization-code flow (PKCE, ``state`` and
  ``nonce`` generated and checked by msal). The flow dict must be kept between the two calls
  (bound to the Odoo user) and never reused.
- ``MsalTokenProvider``: the ``token_provider`` ``GraphCalendarClient`` calls; it refreshes
  through ``acquire_token_silent`` and hands the serialized cache back whenever msal changed
  it (the refresh token Microsoft rotates must be stored, or the next refresh fails).

Errors are the engine's: ``invalid_grant`` / ``interaction_required`` (revoked grant, password
change, MFA or conditional access asking for the user) and an abandoned or replayed sign-in
raise ``AuthExpired`` (the user must connect again); refusals an administrator must fix (wrong
client id or secret, unknown tenant, redirect URI not registered) raise ``ConfigurationError``
with AAD's description; network failures and 5xx raise ``SyncError`` (try again later).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msal
import requests
import requests.adapters

from calendar_sync_base.services.errors import AuthExpired, ConfigurationError, SyncError

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
# Delegated permissions. msal adds ``openid``, ``profile`` and ``offline_access`` itself (and
# refuses them here as "reserved"); ``offline_access`` is what brings a refresh token.
GRAPH_SCOPES: tuple[str, ...] = ("Calendars.ReadWrite", "User.Read")
# msal talks to the identity platform with its own session; without a timeout a stalled
# token request could hang a cron worker.
DEFAULT_TIMEOUT = (5, 30)
# AAD errors that mean "this grant is gone, only the user can fix it".
REAUTH_ERRORS = frozenset({"invalid_grant", "interaction_required", "consent_required"})
# Errors that are the service's (or the network's), not ours: try again later.
TRANSIENT_ERRORS = frozenset({"temporarily_unavailable", "server_error"})

_THREAD_STATE = threading.local()


def _http_cache() -> dict:
    """One msal HTTP cache per thread: the tenant discovery document is fetched once a day per
    authority instead of once per sync (msal's cache is not safe to share across threads)."""
    if not hasattr(_THREAD_STATE, "http_cache"):
        _THREAD_STATE.http_cache = {}
    return _THREAD_STATE.http_cache


class _TimeoutSession(requests.Session):
    """A ``requests.Session`` whose calls always have a timeout (msal sets none of its own)."""

    def __init__(self):
        super().__init__()
        # As msal's own session: one retry of a connection the server closed while idle.
        adapter = requests.adapters.HTTPAdapter(max_retries=1)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = DEFAULT_TIMEOUT
        return super().request(method, url, *args, **kwargs)


def _http_client() -> requests.Session:
    """One session per thread for every msal app: connections to the identity platform are
    reused across users and syncs, and no app leaves a session of its own to be collected."""
    if not hasattr(_THREAD_STATE, "http_client"):
        _THREAD_STATE.http_client = _TimeoutSession()
    return _THREAD_STATE.http_client


def authority_url(authority_host: str = DEFAULT_AUTHORITY_HOST, tenant: str = "common") -> str:
    host = (authority_host or DEFAULT_AUTHORITY_HOST).rstrip("/")
    return f"{host}/{(tenant or 'common').strip('/')}"


def load_cache(serialized: str | None = None) -> msal.SerializableTokenCache:
    """A token cache holding what ``serialized`` (a previous ``serialize()``) held."""
    cache = msal.SerializableTokenCache()
    if serialized:
        try:
            cache.deserialize(serialized)
        except ValueError as exc:  # not JSON: the stored cache is corrupt, start empty
            raise AuthExpired(f"The stored Outlook token cache is unreadable: {exc}") from exc
    return cache


def build_app(
    client_id: str,
    client_secret: str,
    authority_host: str = DEFAULT_AUTHORITY_HOST,
    tenant: str = "common",
    token_cache: msal.SerializableTokenCache | None = None,
    http_client: Any = None,
    http_cache: dict | None = None,
) -> msal.ConfidentialClientApplication:
    """The msal application for one user's token cache.

    msal fetches the tenant's OpenID configuration here (or from ``http_cache``):
    an unknown tenant or host raises ``ConfigurationError``, a network failure ``SyncError``.
    ``instance_discovery=False``: msal would otherwise ask login.microsoftonline.com whether the
    host is a known cloud, which fails for sovereign clouds, proxies and the emulator.
    """
    if not client_id or not client_secret:
        raise ConfigurationError("Outlook sync needs the application's client id and secret")
    try:
        return msal.ConfidentialClientApplication(
            client_id,
            client_credential=client_secret,
            authority=authority_url(authority_host, tenant),
            instance_discovery=False,
            token_cache=token_cache if token_cache is not None else msal.SerializableTokenCache(),
            http_client=http_client if http_client is not None else _http_client(),
            http_cache=http_cache if http_cache is not None else _http_cache(),
        )
    except ValueError as exc:  # msal's words for "no such tenant / authority"
        raise ConfigurationError(f"Microsoft sign-in authority refused: {exc}") from exc
    except (requests.RequestException, OSError, RuntimeError) as exc:
        raise SyncError(f"Microsoft sign-in authority unreachable: {exc}") from exc


def start_flow(
    app: msal.ConfidentialClientApplication,
    redirect_uri: str,
    scopes: Sequence[str] = GRAPH_SCOPES,
    login_hint: str | None = None,
    response_mode: str = "query",
) -> dict:
    """Begin the authorization-code flow: a dict whose ``auth_uri`` the browser must visit.

    Keep the whole dict (it holds ``state``, the PKCE ``code_verifier`` and the ``nonce``) for
    ``finish_flow``; it is single use.

    ``response_mode="query"`` (the default here) brings the browser back with a GET, so the
    user's Odoo session cookie (SameSite=Lax) comes along and binds the answer to the user who
    started it; a ``form_post`` answer is a cross-site POST that carries no such cookie, so
    choose it only with a callback that finds the flow by its ``state`` alone. PKCE protects the
    code in the URL either way.
    """
    with warnings.catch_warnings():
        if response_mode == "query":  # deliberate (see above): msal's advice does not apply
            warnings.filterwarnings("ignore", message="response_mode='form_post'")
        return app.initiate_auth_code_flow(
            list(scopes),
            redirect_uri=redirect_uri,
            login_hint=login_hint or None,
            response_mode=response_mode,
        )


@dataclass(frozen=True)
class MsalAccount:
    """Who connected, and the token cache to store for them (serialized msal cache)."""

    home_account_id: str
    username: str
    name: str
    tenant_id: str
    object_id: str
    token_cache: str


def _error_text(result: dict) -> str:
    error = str(result.get("error") or "error")
    description = str(result.get("error_description") or "").split("\r\n", maxsplit=1)[0]
    description = description.strip()
    return f"{error}: {description}" if description else error


def token_error(result: dict, what: str = "Microsoft sign-in") -> SyncError:
    """The neutral error for an msal error dict (AAD's ``error`` / ``error_description``)."""
    error = str(result.get("error") or "")
    text = f"{what} failed ({_error_text(result)})"
    if error in REAUTH_ERRORS or error == "access_denied":
        return AuthExpired(text)
    if error in TRANSIENT_ERRORS:
        return SyncError(text)
    return ConfigurationError(text)


def _find_account(app: msal.ConfidentialClientApplication, claims: dict) -> dict | None:
    accounts = app.get_accounts()
    oid, username = claims.get("oid"), claims.get("preferred_username")
    for account in accounts:
        if oid and account.get("local_account_id") == oid:
            return account
    for account in accounts:
        if username and str(account.get("username", "")).casefold() == username.casefold():
            return account
    return accounts[0] if len(accounts) == 1 else None


def finish_flow(
    app: msal.ConfidentialClientApplication, flow: dict, query_params: dict
) -> MsalAccount:
    """Redeem the redirect's query (``code``, ``state``...) for tokens; who signed in.

    A ``state`` that does not match the flow (a replayed, stale or forged redirect) raises
    ``AuthExpired``: the user starts the connection again.
    """
    params = {key: value for key, value in dict(query_params).items() if value is not None}
    try:
        result = app.acquire_token_by_auth_code_flow(dict(flow), params)
    except ValueError as exc:
        raise AuthExpired(f"The Outlook sign-in could not be completed ({exc})") from exc
    except requests.RequestException as exc:
        raise SyncError(f"Microsoft token endpoint unreachable: {exc}") from exc
    if "error" in result:
        raise token_error(result)
    claims = result.get("id_token_claims") or {}
    account = _find_account(app, claims)
    if account is None:
        raise ConfigurationError("Microsoft sign-in returned no account (is openid allowed?)")
    cache = app.token_cache
    return MsalAccount(
        home_account_id=account["home_account_id"],
        username=account.get("username") or claims.get("preferred_username") or "",
        name=claims.get("name") or "",
        tenant_id=claims.get("tid") or account.get("realm") or "",
        object_id=claims.get("oid") or account.get("local_account_id") or "",
        token_cache=cache.serialize(),
    )


def check_tenant(authority_host: str = DEFAULT_AUTHORITY_HOST, tenant: str = "common") -> None:
    """Whether the identity platform knows ``tenant``: its OpenID configuration, whose
    refusal carries AAD's own reason (``invalid_tenant``, AADSTS90002) where msal only says
    it could not get the configuration. Raises ``ConfigurationError`` / ``SyncError``."""
    url = f"{authority_url(authority_host, tenant)}/v2.0/.well-known/openid-configuration"
    try:
        response = _http_client().get(url)
    except requests.RequestException as exc:
        raise SyncError(f"Microsoft sign-in authority unreachable: {exc}") from exc
    if response.status_code == 200:
        return
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not payload.get("error"):
        payload = {"error": f"HTTP {response.status_code}"}
    raise token_error(payload, "Microsoft tenant check")


# A refresh token no grant has: AAD answers ``invalid_grant`` once tenant and app passed.
PROBE_REFRESH_TOKEN = "odoo-connection-test"


def check_app(app: msal.ConfidentialClientApplication) -> None:
    """Whether the tenant accepts the application (client id and secret), without any
    user's grant: a refresh with a token no grant has is answered ``invalid_grant`` once
    the tenant and the app's credentials passed; ``invalid_client`` (AADSTS7000215, wrong
    secret), ``unauthorized_client`` (AADSTS700016, unknown app) and the like raise
    ``ConfigurationError`` with AAD's reason. (An unknown tenant already fails in
    ``build_app``: ``check_tenant`` says why.)"""
    try:
        result = app.acquire_token_by_refresh_token(PROBE_REFRESH_TOKEN, list(GRAPH_SCOPES))
    except requests.RequestException as exc:
        raise SyncError(f"Microsoft token endpoint unreachable: {exc}") from exc
    if result.get("error") != "invalid_grant":
        raise token_error(result, "Microsoft sign-in check")


class MsalTokenProvider:
    """``token_provider(force_refresh=False) -> access token`` over one user's msal cache.

    ``acquire_token_silent`` returns the cached access token while it is valid and redeems
    the refresh token otherwise (or always, with ``force_refresh=True`` after a 401). Whenever
    msal changed the cache (new access token, rotated refresh token) ``on_cache_change``
    receives the serialized cache, to be stored before anything else can fail.
    """

    def __init__(
        self,
        app: msal.ConfidentialClientApplication,
        home_account_id: str,
        scopes: Sequence[str] = GRAPH_SCOPES,
        on_cache_change: Callable[[str], None] | None = None,
    ):
        self.app = app
        self.home_account_id = home_account_id
        self.scopes = list(scopes)
        self.on_cache_change = on_cache_change

    def _account(self) -> dict:
        for account in self.app.get_accounts():
            if account.get("home_account_id") == self.home_account_id:
                return account
        raise AuthExpired("No Outlook sign-in is stored for this user: connect the account again")

    def __call__(self, force_refresh: bool = False) -> str:
        try:
            result = self.app.acquire_token_silent_with_error(
                self.scopes, self._account(), force_refresh=force_refresh
            )
        except requests.RequestException as exc:
            raise SyncError(f"Microsoft token endpoint unreachable: {exc}") from exc
        finally:
            self._persist()
        if not result:
            raise AuthExpired("The Outlook sign-in has no refresh token left: connect again")
        if "error" in result:
            raise token_error(result, "Outlook token refresh")
        return result["access_token"]

    def _persist(self) -> None:
        cache = self.app.token_cache
        if self.on_cache_change is not None and getattr(cache, "has_state_changed", False):
            self.on_cache_change(cache.serialize())  # serialize() resets has_state_changed
