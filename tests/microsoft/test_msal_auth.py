"""Sign-in and token refresh through msal itself, against the emulated identity platform."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from urllib.parse import parse_qs, urlsplit

import msal
import pytest
import requests

from calendar_sync_base.services.errors import AuthExpired, ConfigurationError, SyncError
from calendar_sync_base.services.http import ResilientSession
from calendar_sync_microsoft.services.graph_client import GraphCalendarClient
from calendar_sync_microsoft.services.msal_auth import (
    GRAPH_SCOPES,
    MsalTokenProvider,
    build_app,
    finish_flow,
    load_cache,
    start_flow,
)
from emulators.microsoft import MicrosoftEmulator, trusting

from .conftest import EMAIL

REDIRECT = "https://odoo.example.com/calendar_sync_microsoft/authentication"


@pytest.fixture
def idp(emulator):
    """The emulator on the real clock (msal checks id_token times against it)."""
    emulator.reset()
    emulator.add_account(EMAIL, "Alice", time_zone="Romance Standard Time")
    emulator.auto_approve = True
    yield emulator
    emulator.auto_approve = False
    emulator.rotate_refresh_tokens = True
    emulator.revoke_rotated_refresh_tokens = False
    emulator.reset()


def app_for(server, tenant: str = "common", cache: str | None = None, secret: str = "secret"):
    return build_app(
        "cid", secret, server.url, tenant, token_cache=load_cache(cache), http_cache={}
    )


def sign_in(server, app, login: str = EMAIL):
    """The browser part: consent (auto-approved) and the redirect back to Odoo."""
    flow = start_flow(app, REDIRECT, login_hint=login)
    answer = requests.get(flow["auth_uri"], allow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text[:300]
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT)
    query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    return flow, query


def refresh_tokens(serialized: str) -> list[str]:
    return [entry["secret"] for entry in json.loads(serialized)["RefreshToken"].values()]


def test_the_flow_asks_for_graph_scopes_and_msal_adds_offline_access(idp):
    app = app_for(idp)
    flow = start_flow(app, REDIRECT)
    query = parse_qs(urlsplit(flow["auth_uri"]).query)
    assert set(query["scope"][0].split()) == {
        "Calendars.ReadWrite",
        "User.Read",
        "offline_access",
        "openid",
        "profile",
    }
    assert query["code_challenge_method"] == ["S256"] and query["state"] == [flow["state"]]
    assert flow["auth_uri"].startswith(f"{idp.url}/common/oauth2/v2.0/authorize?")
    with pytest.raises(ValueError, match="reserved"):  # msal insists on adding them itself
        start_flow(app, REDIRECT, scopes=[*GRAPH_SCOPES, "offline_access"])


def test_sign_in_end_to_end_then_silent_refresh_keeps_the_rotated_refresh_token(idp):
    idp.revoke_rotated_refresh_tokens = True  # only the newest refresh token works
    app = app_for(idp)
    flow, query = sign_in(idp, app)
    account = finish_flow(app, flow, query)
    assert account.username == EMAIL and account.name == "Alice"
    assert account.home_account_id == f"{account.object_id}.{account.tenant_id}"
    assert refresh_tokens(account.token_cache)

    stored = {"cache": account.token_cache}

    def keep(serialized):
        stored["cache"] = serialized

    # A later sync: a new app over the stored cache, as the Odoo layer builds one per run.
    provider = MsalTokenProvider(app_for(idp, cache=stored["cache"]), account.home_account_id,
                                 on_cache_change=keep)  # fmt: skip
    first = provider()
    assert first and stored["cache"] == account.token_cache  # cached token: nothing changed
    before = refresh_tokens(stored["cache"])
    fresh = provider(force_refresh=True)
    assert fresh != first
    after = refresh_tokens(stored["cache"])
    assert after != before  # rotated, and handed over for storage
    # The next run starts from what was stored: the rotated token is the one that works.
    again = MsalTokenProvider(app_for(idp, cache=stored["cache"]), account.home_account_id,
                              on_cache_change=keep)  # fmt: skip
    assert again(force_refresh=True)


def test_single_tenant_authorities_work(idp):
    app = app_for(idp, tenant=idp.tenant_id)
    flow, query = sign_in(idp, app)
    account = finish_flow(app, flow, query)
    assert account.tenant_id == idp.tenant_id
    provider = MsalTokenProvider(app_for(idp, idp.tenant_id, account.token_cache),
                                 account.home_account_id)  # fmt: skip
    assert provider(force_refresh=True)


def test_a_single_tenant_app_registration_end_to_end():
    tenant = str(uuid.UUID("3f2d7c52-8a1e-4a4c-9a51-6f0c1e0e7b11"))
    with (
        MicrosoftEmulator(client_id="cid", client_secret="secret", tenant=tenant) as server,
        trusting(server.ca_path),
    ):
        server.add_account(EMAIL, "Alice")
        server.auto_approve = True
        app = app_for(server, tenant=tenant)
        flow, query = sign_in(server, app)
        account = finish_flow(app, flow, query)
        provider = MsalTokenProvider(app, account.home_account_id)
        assert provider(force_refresh=True)
        # Through /common, AAD refuses a single-tenant application at the sign-in page.
        flow = start_flow(app_for(server, "common"), REDIRECT, login_hint=EMAIL)
        page = requests.get(flow["auth_uri"], allow_redirects=False, timeout=10)
        assert page.status_code == 400 and "AADSTS50194" in page.text


def test_revoked_grant_and_required_interaction_mean_reconnect(idp):
    app = app_for(idp)
    account = finish_flow(app, *sign_in(idp, app))
    provider = MsalTokenProvider(app, account.home_account_id)
    idp.require_interaction(EMAIL)
    with pytest.raises(AuthExpired, match="interaction_required"):
        provider(force_refresh=True)
    app = app_for(idp)
    account = finish_flow(app, *sign_in(idp, app))  # signing in again clears it
    provider = MsalTokenProvider(app, account.home_account_id)
    assert provider(force_refresh=True)
    idp.revoke_sessions(EMAIL)
    with pytest.raises(AuthExpired, match="invalid_grant"):
        provider(force_refresh=True)


def test_no_stored_account_means_reconnect(idp):
    with pytest.raises(AuthExpired):
        MsalTokenProvider(app_for(idp), "nobody.nowhere")()


def test_configuration_errors_carry_aad_description(idp):
    app = app_for(idp, secret="wrong")
    flow, query = sign_in(idp, app)
    with pytest.raises(ConfigurationError, match="invalid_client: AADSTS7000215"):
        finish_flow(app, flow, query)
    with pytest.raises(ConfigurationError, match="authority"):
        app_for(idp, tenant=str(uuid.uuid4()))  # unknown tenant
    with pytest.raises(ConfigurationError):
        build_app("", "", idp.url)


def test_replayed_or_cancelled_sign_in_means_start_again(idp):
    app = app_for(idp)
    flow, query = sign_in(idp, app)
    with pytest.raises(AuthExpired, match="state"):
        finish_flow(app, flow, {**query, "state": "forged"})
    cancelled = {"error": "access_denied", "error_description": "AADSTS65004: declined",
                 "state": flow["state"]}  # fmt: skip
    with pytest.raises(AuthExpired, match="access_denied"):
        finish_flow(app, start_flow(app, REDIRECT) | {"state": flow["state"]}, cancelled)


def test_unreachable_identity_platform_is_transient():
    with pytest.raises(SyncError) as info:
        build_app("cid", "secret", "https://127.0.0.1:9", "common", http_cache={})
    assert not isinstance(info.value, ConfigurationError | AuthExpired)


def test_graph_client_refreshes_through_msal_on_401(idp):
    app = app_for(idp)
    account = finish_flow(app, *sign_in(idp, app))
    stored = []
    provider = MsalTokenProvider(app, account.home_account_id, on_cache_change=stored.append)
    now = dt.datetime.now(dt.timezone.utc)  # noqa: UP017
    idp.insert_event(
        EMAIL,
        {
            "subject": "soon",
            "start": {"dateTime": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT09:00:00"),
                      "timeZone": "UTC"},
            "end": {"dateTime": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT10:00:00"),
                    "timeZone": "UTC"},
        },
    )  # fmt: skip
    idp.expire_access_tokens()
    with ResilientSession(max_retries=1, sleep=lambda _s: None) as session:
        client = GraphCalendarClient(session, provider, graph_base=idp.graph_url)
        assert [e.title for e in client.list_changes("").events] == ["soon"]
    assert stored and refresh_tokens(stored[-1]) != refresh_tokens(account.token_cache)


def test_msal_version_is_the_one_documented():
    assert msal.__version__.startswith("1.39")
