"""OAuth client credentials for the EWS emulator: a minimal Microsoft identity token endpoint
and the app-only bearer tokens EWS accepts.

As in "Authenticate an EWS application by using OAuth"
(https://learn.microsoft.com/en-us/exchange/client-developer/exchange-web-services/how-to-authenticate-an-ews-application-by-using-oauth):
the application asks ``POST /{tenant}/oauth2/v2.0/token`` with ``grant_type=client_credentials``
and the scope ``https://outlook.office365.com/.default``; its EWS requests carry the token as
``Authorization: Bearer``, impersonate the mailbox (``ExchangeImpersonation``: an app-only
token acts for no user) and name it in ``X-AnchorMailbox``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..base import RecordedRequest, Response
from ..microsoft.errors import AADError
from ..oauth_common import AccessToken, random_token
from .errors import SoapFault
from .store import Mailbox

EXCHANGE_SCOPE = "https://outlook.office365.com/.default"
TOKEN_LIFETIME = dt.timedelta(seconds=3599)
TOKEN_PATH = r"/(?P<tenant>[A-Za-z0-9._-]+)/oauth2/v2\.0/token"
# "Office 365 Exchange Online", the resource app EWS tokens are issued for.
EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000"


@dataclass
class OAuthApp:
    """An application registered in a tenant with the ``full_access_as_app`` permission."""

    client_id: str
    client_secret: str
    tenant_id: str

    @property
    def principal(self) -> Mailbox:
        """Who the app's EWS requests act as: nobody's mailbox, the right to impersonate."""
        return Mailbox(smtp=f"app:{self.client_id}", name=self.client_id, password="",
                       can_impersonate=True)  # fmt: skip


def bearer_challenge(authority: str) -> str:
    """The ``WWW-Authenticate: Bearer`` challenge of an Exchange server with OAuth on."""
    authorize = f"{authority}/common/oauth2/authorize"
    return f'Bearer client_id="{EXCHANGE_APP_ID}", authorization_uri="{authorize}"'


def issue_token(apps: dict[str, OAuthApp], tokens: dict, request: RecordedRequest, now):
    """The token endpoint's answer to a client credentials request."""
    form = {key: values[0] for key, values in request.form().items() if values}
    if form.get("grant_type") != "client_credentials":
        raise AADError("unsupported_grant_type", 70003, message="Only client_credentials.")
    app = apps.get(form.get("client_id", ""))
    if app is None or app.tenant_id != request.path_params["tenant"]:
        raise AADError("unauthorized_client", 700016, form.get("client_id", ""))
    if form.get("client_secret") != app.client_secret:
        raise AADError("invalid_client", 7000215, status=401)
    if form.get("scope") != EXCHANGE_SCOPE:
        raise AADError("invalid_scope", 70011)
    token = AccessToken(
        random_token("ews-app-", 24), app.client_id, "", [EXCHANGE_SCOPE], now + TOKEN_LIFETIME
    )
    tokens[token.token] = token
    lifetime = int(TOKEN_LIFETIME.total_seconds())
    answer = {"token_type": "Bearer", "expires_in": lifetime, "access_token": token.token}
    return Response.json(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def bearer_app(apps: dict[str, OAuthApp], tokens: dict, header: str, now) -> OAuthApp | None:
    """The app a valid, unexpired ``Bearer`` token was issued to (None otherwise)."""
    scheme, _, value = (header or "").partition(" ")
    token = tokens.get(value.strip()) if scheme.lower() == "bearer" else None
    if token is None or token.revoked or token.expires_at <= now:
        return None
    return apps.get(token.client_id)


def check_app_only_request(request: RecordedRequest, impersonated: Mailbox | None) -> None:
    """An app-only token must impersonate a mailbox and route to it with X-AnchorMailbox."""
    if impersonated is None:
        raise SoapFault(
            "ErrorInvalidExchangeImpersonationHeaderData",
            "ExchangeImpersonation SOAP header must be present for this type of OAuth token.",
        )
    anchor = (request.headers.get("X-AnchorMailbox") or "").lower()
    if anchor != impersonated.smtp:
        raise SoapFault(
            "ErrorInvalidRequest",
            f"X-AnchorMailbox {anchor or '(missing)'} does not name the impersonated mailbox.",
        )
