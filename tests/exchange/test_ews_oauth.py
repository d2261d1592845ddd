"""OAuth client credentials (Exchange SE with modern auth): exchangelib fetches an app-only
token from the emulator's token endpoint and opens mailboxes by impersonation with it."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests

from calendar_sync_base.services.errors import ConfigurationError
from calendar_sync_exchange.services.ews_account import (
    ExchangeSettings,
    build_account,
    offered_auth_schemes,
)
from calendar_sync_exchange.services.ews_client import ExchangeCalendarClient
from emulators.ews import EwsEmulator
from tests.emulators.ews_support import PASSWORDS

CLIENT_ID = "5d1c7a50-0000-4000-8000-00000000e5e5"
SECRET = "app-secret"
TENANT = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def ews_oauth():
    with EwsEmulator(tls=True, auth_methods=("NTLM", "Bearer")) as emulator:
        for smtp in ("alice@example.com", "bob@example.com"):
            emulator.add_mailbox(smtp, PASSWORDS[smtp], smtp.split("@")[0].title())
        emulator.add_oauth_app(CLIENT_ID, SECRET, TENANT)
        yield emulator


def oauth_settings(emulator, mailbox="alice@example.com", **overrides) -> ExchangeSettings:
    values = {
        "endpoint": emulator.endpoint,
        "mailbox": mailbox,
        "auth": "oauth",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "tenant_id": TENANT,
        "authority": emulator.url,
        "ca_bundle": emulator.ca_path,
        **overrides,
    }
    return ExchangeSettings(**values)


def version_seen(settings) -> str:
    return ExchangeCalendarClient(build_account(settings)).server_version()


def soap_requests(emulator):
    return [request for request in emulator.requests if request.context.get("operation")]


def test_a_client_credentials_token_opens_each_mailbox_by_impersonation(ews_oauth):
    assert version_seen(oauth_settings(ews_oauth)) == "Exchange2016 (15.2.1118.7)"
    assert version_seen(oauth_settings(ews_oauth, "bob@example.com"))
    token_requests = [r for r in ews_oauth.requests if r.path.endswith("/oauth2/v2.0/token")]
    assert token_requests[0].path == f"/{TENANT}/oauth2/v2.0/token"
    form = token_requests[0].form()
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"] == ["https://outlook.office365.com/.default"]
    opened = {request.context["mailbox"] for request in soap_requests(ews_oauth)}
    assert opened == {"alice@example.com", "bob@example.com"}
    for request in soap_requests(ews_oauth):
        assert request.headers["Authorization"].startswith("Bearer ")
        assert request.headers["X-AnchorMailbox"] == request.context["mailbox"]


def test_a_wrong_client_secret_is_refused_by_the_token_service(ews_oauth):
    with pytest.raises(ConfigurationError) as refused:
        version_seen(oauth_settings(ews_oauth, client_secret="wrong"))
    assert str(refused.value) == (
        "The token service refused the OAuth application: AADSTS7000215: Invalid client "
        "secret provided. Ensure the secret being sent in the request is the client secret "
        "value, not the client secret ID."
    )
    assert not soap_requests(ews_oauth)


def test_the_emulator_refuses_app_tokens_without_impersonation_or_anchor(ews_oauth):
    token = requests.post(
        f"{ews_oauth.url}/{TENANT}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "scope": "https://outlook.office365.com/.default",
        },
        verify=ews_oauth.ca_path,
        timeout=10,
    ).json()["access_token"]
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
        'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">'
        "<s:Header>{header}</s:Header><s:Body><m:GetFolder><m:FolderShape>"
        "<t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>"
        '<t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>'
    )
    impersonation = (
        "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>alice@example.com"
        "</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
    )

    def post(header, anchor=None):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/xml"}
        headers.update({"X-AnchorMailbox": anchor} if anchor else {})
        return requests.post(
            ews_oauth.endpoint,
            data=envelope.format(header=header),
            headers=headers,
            verify=ews_oauth.ca_path,
            timeout=10,
        )

    assert "ErrorInvalidExchangeImpersonationHeaderData" in post("").text
    assert "X-AnchorMailbox (missing)" in post(impersonation).text
    assert post(impersonation, anchor="alice@example.com").status_code == 200
    forged = requests.post(
        ews_oauth.endpoint,
        headers={"Authorization": "Bearer forged"},
        verify=ews_oauth.ca_path,
        timeout=10,
    )
    assert forged.status_code == 401


def test_the_anonymous_challenge_offers_bearer(ews_oauth):
    settings = oauth_settings(ews_oauth)
    assert offered_auth_schemes(settings) == ["Negotiate", "NTLM", "Bearer"]
    with pytest.raises(ConfigurationError, match="does not offer Basic"):
        offered_auth_schemes(replace(settings, auth="basic"))
