"""The Microsoft identity platform emulator, driven by msal 1.39 itself (unmodified)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import certifi
import msal
import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from emulators.microsoft import MicrosoftEmulator, trusting
from emulators.microsoft.server import SETTINGS

pytestmark = [
    # msal recommends form_post; query is what the addon's route receives, and both work.
    pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended"),
    pytest.mark.filterwarnings("ignore:Change your acquire_token_by_authorization_code"),
]

USER = "alice@example.com"
CLIENT_ID = "3f1c7a2e-5b4d-4e8f-9a6b-1c2d3e4f5a6b"
SECRET = "s3cret~value"
REDIRECT = "http://localhost:8069/calendar_sync_microsoft/authentication"
SCOPES = ["Calendars.ReadWrite", "User.Read"]
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ROOT = Path(__file__).resolve().parents[2]


DEFAULT_SETTINGS = {name: getattr(MicrosoftEmulator(), name) for name in SETTINGS}


@pytest.fixture(scope="module")
def server():
    with (
        MicrosoftEmulator(
            client_id=CLIENT_ID, client_secret=SECRET, tenant_domains=["contoso.onmicrosoft.com"]
        ) as emulator,
        emulator.trusting(),
    ):
        yield emulator


@pytest.fixture
def ms(server):
    server.reset()
    for name, value in DEFAULT_SETTINGS.items():  # tests change settings; reset() keeps them
        setattr(server, name, value)
    server.auto_approve = True
    server.add_account(USER, "Alice Smith", "Romance Standard Time")
    return server


def make_app(ms, authority=None, cache=None) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        CLIENT_ID,
        client_credential=SECRET,
        authority=authority or ms.authority,
        instance_discovery=False,
        token_cache=cache,
    )


def redirect_params(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def sign_in(ms, app, scopes=SCOPES, **flow_kwargs):
    flow = app.initiate_auth_code_flow(scopes, redirect_uri=REDIRECT, **flow_kwargs)
    params = redirect_params(requests.get(flow["auth_uri"], allow_redirects=False, timeout=10))
    return flow, params, app.acquire_token_by_auth_code_flow(flow, params)


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# -- TLS ---------------------------------------------------------------------------------------


def test_tls_needs_the_emulator_ca(ms):
    assert ms.url.startswith("https://127.0.0.1:")
    assert Path(ms.ca_path).read_text().startswith("-----BEGIN CERTIFICATE-----")
    bundle = os.environ["REQUESTS_CA_BUNDLE"]
    assert ms.ca_path not in bundle  # a temporary bundle: system CAs + ours
    with trusting(ms.ca_path) as nested:
        assert os.environ["REQUESTS_CA_BUNDLE"] == nested != bundle
        assert os.environ["SSL_CERT_FILE"] == nested
    assert os.environ["REQUESTS_CA_BUNDLE"] == bundle
    config = f"{ms.url}/common/v2.0/.well-known/openid-configuration"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(config, verify=certifi.where(), timeout=10)  # the usual CAs only
    assert requests.get(config, timeout=10).status_code == 200


def test_plain_http_option():
    with MicrosoftEmulator(tls=False) as plain:
        assert plain.url.startswith("http://") and plain.ca_path is None
        config = requests.get(
            plain.url + "/common/v2.0/.well-known/openid-configuration", timeout=10
        )
        assert config.json()["token_endpoint"] == plain.url + "/common/oauth2/v2.0/token"


# -- discovery ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tenant",
    ["common", "organizations", "consumers", "contoso.onmicrosoft.com", "example.com", "TENANT_ID"],
)
def test_openid_configuration(ms, tenant):
    tenant = ms.tenant_id if tenant == "TENANT_ID" else tenant
    config = requests.get(
        f"{ms.url}/{tenant}/v2.0/.well-known/openid-configuration", timeout=10
    ).json()
    assert config["authorization_endpoint"] == f"{ms.url}/{tenant}/oauth2/v2.0/authorize"
    assert config["token_endpoint"] == f"{ms.url}/{tenant}/oauth2/v2.0/token"
    expected_issuer = (
        "{tenantid}" if tenant in ("common", "organizations", "consumers") else ms.tenant_id
    )
    assert config["issuer"] == f"{ms.url}/{expected_issuer}/v2.0"
    assert "code" in config["response_types_supported"]


@pytest.mark.parametrize("tenant", [TENANT_ID, "fabrikam.onmicrosoft.com", "unknown.example.org"])
def test_unknown_tenant(ms, tenant):
    # example.com (a user's domain) and the configured contoso domain are the tenant's; any
    # other GUID or domain name is refused as Azure does, and msal gives up on the authority.
    response = requests.get(f"{ms.url}/{tenant}/v2.0/.well-known/openid-configuration", timeout=10)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_tenant" and body["error_codes"] == [90002]
    assert body["error_description"].startswith(f"AADSTS90002: Tenant '{tenant}' not found.")
    token = requests.post(f"{ms.url}/{tenant}/oauth2/v2.0/token", data={}, timeout=10)
    assert token.status_code == 400 and token.json()["error"] == "invalid_tenant"
    with pytest.raises(ValueError, match="tenant"):
        make_app(ms, authority=f"{ms.url}/{tenant}")


# -- authorization code flow -------------------------------------------------------------------


def test_msal_auth_code_flow(ms):
    app = make_app(ms)
    flow, params, result = sign_in(ms, app)
    assert "error" not in result, result
    assert params["state"] == flow["state"] and "client_info" in params
    assert result["token_type"] == "Bearer"
    assert {"Calendars.ReadWrite", "User.Read"} <= set(result["scope"].split())
    assert result["expires_in"] == 3599 and result["ext_expires_in"] == 3599
    claims = result["id_token_claims"]
    assert claims["nonce"] == hashlib.sha256(flow["nonce"].encode()).hexdigest()
    assert claims["aud"] == CLIENT_ID and claims["tid"] == ms.tenant_id
    assert claims["preferred_username"] == USER and claims["name"] == "Alice Smith"
    assert claims["oid"] == ms.mailbox(USER).oid
    assert claims["iss"] == f"{ms.url}/{ms.tenant_id}/v2.0"
    info = json.loads(base64.urlsafe_b64decode(params["client_info"] + "=="))
    assert info == {"uid": claims["oid"], "utid": ms.tenant_id}
    account = app.get_accounts()[0]
    assert account["username"] == USER
    assert account["home_account_id"] == f"{claims['oid']}.{ms.tenant_id}"
    graph = requests.get(
        ms.graph_url + "/me",
        headers={"Authorization": "Bearer " + result["access_token"]},
        timeout=10,
    )
    assert graph.json()["userPrincipalName"] == USER
    # PKCE: msal sent an S256 challenge, and the code is single use.
    authorize = ms.requests.filter(path_regex="/authorize$")[0]
    assert authorize.arg("code_challenge_method") == "S256"
    again = app.acquire_token_by_authorization_code(params["code"], SCOPES, redirect_uri=REDIRECT)
    assert again["error"] == "invalid_grant" and again["error_codes"] == [54005]


def test_id_token_signature_verifies_with_jwks(ms):
    _flow, _params, result = sign_in(ms, make_app(ms))
    keys = requests.get(f"{ms.url}/common/discovery/v2.0/keys", timeout=10).json()["keys"]
    header_b64, payload_b64, signature_b64 = result["id_token"].split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    key = next(k for k in keys if k["kid"] == header["kid"])
    number = lambda v: int.from_bytes(base64.urlsafe_b64decode(v + "=" * (-len(v) % 4)), "big")  # noqa: E731
    public = rsa.RSAPublicNumbers(number(key["e"]), number(key["n"])).public_key()
    signature = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
    public.verify(
        signature, f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs["action"]
        elif tag == "input":
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "option" and "selected" in attrs:
            self.fields["login"] = attrs["value"]


@pytest.mark.parametrize("decision", ["allow", "deny"])
def test_consent_page(ms, decision):
    ms.auto_approve = False
    app = make_app(ms)
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=REDIRECT, login_hint=USER)
    page = requests.get(flow["auth_uri"], timeout=10)
    assert page.status_code == 200 and 'id="allow"' in page.text and 'id="cancel"' in page.text
    form = _FormParser()
    form.feed(page.text)
    answer = requests.post(
        ms.url + form.action,
        data={**form.fields, "decision": decision},
        allow_redirects=False,
        timeout=10,
    )
    params = redirect_params(answer)
    result = app.acquire_token_by_auth_code_flow(flow, params)
    if decision == "allow":
        assert "access_token" in result
    else:
        assert params["error"] == "access_denied" and "AADSTS65004" in params["error_description"]
        assert result["error"] == "access_denied"


def test_authorize_errors(ms):
    bad_client = requests.get(
        f"{ms.url}/common/oauth2/v2.0/authorize",
        params={
            "client_id": "nope",
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "openid",
        },
        timeout=10,
    )
    assert bad_client.status_code == 400 and "AADSTS700016" in bad_client.text
    ms.add_client("strict", "x", redirect_uris=["https://app.example/cb"])
    mismatch = requests.get(
        f"{ms.url}/common/oauth2/v2.0/authorize",
        params={
            "client_id": "strict",
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "openid",
        },
        timeout=10,
    )
    assert mismatch.status_code == 400 and "AADSTS50011" in mismatch.text
    token_flow = requests.get(
        f"{ms.url}/common/oauth2/v2.0/authorize",
        params={
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT,
            "response_type": "token",
            "scope": "openid",
            "state": "s",
        },
        allow_redirects=False,
        timeout=10,
    )
    params = redirect_params(token_flow)
    assert params["error"] == "unsupported_response_type" and params["state"] == "s"
    bad_scope = requests.get(
        f"{ms.url}/common/oauth2/v2.0/authorize",
        params={
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "https://other.example/x",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert redirect_params(bad_scope)["error"] == "invalid_scope"


def test_token_endpoint_errors(ms):
    app = make_app(ms)
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=REDIRECT)
    params = redirect_params(requests.get(flow["auth_uri"], allow_redirects=False, timeout=10))
    token_url = f"{ms.url}/common/oauth2/v2.0/token"
    form = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": REDIRECT,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "scope": " ".join(SCOPES),
    }
    wrong_secret = requests.post(
        token_url,
        data={**form, "client_secret": "bad", "code_verifier": flow["code_verifier"]},
        timeout=10,
    )
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error_codes"] == [7000215]
    wrong_verifier = requests.post(token_url, data={**form, "code_verifier": "x" * 43}, timeout=10)
    assert wrong_verifier.status_code == 400
    assert wrong_verifier.json()["error"] == "invalid_grant" and wrong_verifier.json()[
        "error_codes"
    ] == [501481]
    ms.advance(11 * 60)
    expired = requests.post(
        token_url, data={**form, "code_verifier": flow["code_verifier"]}, timeout=10
    ).json()
    assert expired["error_codes"] == [70008]
    assert (
        requests.post(token_url, data={**form, "grant_type": "password"}, timeout=10).json()[
            "error"
        ]
        == "unsupported_grant_type"
    )
    body = requests.post(
        token_url, data={**form, "grant_type": "refresh_token", "refresh_token": "junk"}, timeout=10
    ).json()
    assert body["error"] == "invalid_grant"
    assert set(body) >= {
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
    }
    assert re.match(r"AADSTS\d+: ", body["error_description"])


# -- refresh, cache, revocation ----------------------------------------------------------------


def _refresh_tokens(cache: msal.SerializableTokenCache) -> set[str]:
    data = json.loads(cache.serialize())
    return {item["secret"] for item in data.get("RefreshToken", {}).values()}


def test_serializable_cache_round_trip_and_rotation(ms):
    cache = msal.SerializableTokenCache()
    app = make_app(ms, cache=cache)
    sign_in(ms, app)
    first = _refresh_tokens(cache)
    stored = cache.serialize()
    # another worker process: a new application object with the stored cache
    restored = msal.SerializableTokenCache()
    restored.deserialize(stored)
    other = make_app(ms, cache=restored)
    account = other.get_accounts(username=USER)[0]
    silent = other.acquire_token_silent(SCOPES, account=account)
    assert silent and silent["token_source"] == "cache"
    ms.expire_access_tokens()
    refreshed = other.acquire_token_silent(SCOPES, account=account, force_refresh=True)
    assert refreshed and refreshed["token_source"] == "identity_provider"
    assert restored.has_state_changed
    assert _refresh_tokens(restored) != first  # AAD rotated the refresh token
    assert ms.requests.last.form()["grant_type"] == ["refresh_token"]
    # the old refresh token stays valid, as AAD's do (until revoke_rotated_refresh_tokens)
    assert "access_token" in other.acquire_token_by_refresh_token(next(iter(first)), SCOPES)


def test_revoked_refresh_token_and_interaction_required(ms):
    cache = msal.SerializableTokenCache()
    app = make_app(ms, cache=cache)
    sign_in(ms, app)
    account = app.get_accounts()[0]
    ms.require_interaction(USER)
    result = app.acquire_token_silent_with_error(SCOPES, account=account, force_refresh=True)
    assert result["error"] == "interaction_required" and result["error_codes"] == [50076]
    sign_in(ms, app)  # an interactive sign-in clears it
    assert "access_token" in app.acquire_token_silent_with_error(
        SCOPES, account=account, force_refresh=True
    )
    for token in _refresh_tokens(cache):
        ms.revoke(token)
    result = app.acquire_token_silent_with_error(SCOPES, account=account, force_refresh=True)
    assert result["error"] == "invalid_grant" and result["error_codes"] == [50173]


def test_revoke_sessions_and_refresh_expiry(ms):
    app = make_app(ms)
    _flow, _params, result = sign_in(ms, app)
    ms.revoke_sessions(USER)
    revoked = app.acquire_token_by_refresh_token(result["refresh_token"], SCOPES)
    assert revoked["error_codes"] == [50173]
    _flow, _params, result = sign_in(ms, app)
    ms.advance(91 * 86400)
    assert app.acquire_token_by_refresh_token(result["refresh_token"], SCOPES)["error_codes"] == [
        700082
    ]


def test_single_tenant_authority(ms):
    with (
        MicrosoftEmulator(
            client_id=CLIENT_ID, client_secret=SECRET, tenant=TENANT_ID, auto_approve=True
        ) as single,
        single.trusting(),
    ):
        assert single.tenant_id == TENANT_ID and single.authority.endswith("/" + TENANT_ID)
        single.add_account(USER)
        cache = msal.SerializableTokenCache()
        app = make_app(single, cache=cache)
        _flow, _params, result = sign_in(single, app)
        assert result["id_token_claims"]["tid"] == TENANT_ID
        account = app.get_accounts()[0]
        refreshed = app.acquire_token_silent(SCOPES, account=account, force_refresh=True)
        assert refreshed and "access_token" in refreshed
        assert single.requests.last.path == f"/{TENANT_ID}/oauth2/v2.0/token"
        # a single-tenant app cannot use /common (AADSTS50194)
        common = make_app(single, authority=f"{single.url}/common")
        flow = common.initiate_auth_code_flow(SCOPES, redirect_uri=REDIRECT)
        page = requests.get(flow["auth_uri"], timeout=10)
        assert page.status_code == 400 and "AADSTS50194" in page.text


def test_command_line(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulators",
            "microsoft",
            "--port",
            "0",
            "--seed-demo",
            "--option",
            f"cert_dir={tmp_path}",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        url = re.search(r"https://127\.0\.0\.1:\d+", first).group(0)
        assert (tmp_path / "emulator-ca.pem").is_file()
        with trusting(str(tmp_path / "emulator-ca.pem")):
            info = requests.get(url + "/_emulator/", timeout=10).json()
            events = requests.get(
                url + "/_emulator/microsoft/events/demo@example.com", timeout=10
            ).json()
        assert info["name"] == "microsoft" and len(events) == 5
    finally:
        process.terminate()
        process.wait(timeout=10)
