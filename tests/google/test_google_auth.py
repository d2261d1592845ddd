"""OAuth helpers against the emulator's Google OAuth endpoints."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from calendar_sync_base.services.errors import AuthExpired, ConfigurationError
from calendar_sync_google.services import auth
from calendar_sync_google.services.auth import (
    CALENDAR_SCOPE,
    GoogleTokenProvider,
    build_authorization_url,
    exchange_code,
    new_pkce_pair,
    refresh_access_token,
)

from .conftest import EMAIL, make_client

UTC = dt.timezone.utc  # noqa: UP017 - the code under test must run on Python 3.10
REDIRECT = "https://odoo.example.com/calendar_sync_google/authentication"


def test_pkce_pair_is_s256():
    verifier, challenge = new_pkce_pair()
    assert 43 <= len(verifier) <= 128
    digest = hashlib.sha256(verifier.encode()).digest()
    assert challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert new_pkce_pair()[0] != verifier


def test_authorization_url_parameters():
    url = build_authorization_url("cid", REDIRECT, "st&ate", "chal", "https://idp/auth?hd=x")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.netloc == "idp" and parts.path == "/auth"
    assert query == {
        "hd": "x",
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": REDIRECT,
        "scope": CALENDAR_SCOPE,
        "state": "st&ate",
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "code_challenge": "chal",
        "code_challenge_method": "S256",
    }
    assert build_authorization_url("c", REDIRECT, "s", "x").startswith(auth.AUTH_ENDPOINT + "?")


def _consent(google, verifier_challenge=None, state="st-1") -> tuple[str, str]:
    """Walk the consent screen (auto-approved) and return (code, verifier)."""
    verifier, challenge = verifier_challenge or new_pkce_pair()
    url = build_authorization_url(
        "cid", REDIRECT, state, challenge, auth_endpoint=google.url + "/o/oauth2/v2/auth"
    )
    google.auto_approve = True
    answer = requests.get(url + f"&login_hint={EMAIL}", allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["state"] == state
    return query["code"], verifier


def test_code_exchange_with_pkce_gives_a_refresh_token(google, session):
    code, verifier = _consent(google)
    tokens = exchange_code(
        session, google.url + "/token", "cid", "secret", code, REDIRECT, verifier
    )
    assert tokens["access_token"] and tokens["refresh_token"]
    remaining = tokens["expiry"] - dt.datetime.now(UTC)
    assert dt.timedelta(minutes=55) < remaining <= dt.timedelta(hours=1)
    token_request = google.requests.filter(method="POST", path_regex="^/token$")[-1]
    assert token_request.query == {}  # secrets in the form body only
    assert token_request.form()["code_verifier"] == [verifier]
    # The access token works for the API, in the Authorization header.
    client = make_client(google, session, lambda force_refresh=False: tokens["access_token"])
    assert client.list_changes("").events == []


def test_code_exchange_errors(google, session):
    code, _verifier = _consent(google)
    with pytest.raises(AuthExpired, match="invalid_grant"):
        exchange_code(session, google.url + "/token", "cid", "secret", code, REDIRECT, "wrong" * 9)
    code, verifier = _consent(google)
    with pytest.raises(ConfigurationError, match="invalid_client"):
        exchange_code(session, google.url + "/token", "cid", "bad", code, REDIRECT, verifier)


def test_refresh_uses_google_auth_and_returns_rotated_tokens(google, session):
    _access, refresh = google.issue_tokens(EMAIL)
    access, expiry, same = refresh_access_token(
        session, google.url + "/token", "cid", "secret", refresh
    )
    assert access and same == refresh and expiry.tzinfo is not None
    google.rotate_refresh_tokens = True
    access2, _expiry, rotated = refresh_access_token(
        session, google.url + "/token", "cid", "secret", refresh
    )
    assert rotated != refresh and access2 != access
    request = google.requests.filter(method="POST", path_regex="^/token$")[-1]
    assert request.form()["grant_type"] == ["refresh_token"] and request.query == {}


def test_revoked_grant_is_auth_expired(google, session):
    _access, refresh = google.issue_tokens(EMAIL)
    google.revoke(refresh)
    with pytest.raises(AuthExpired, match="invalid_grant"):
        refresh_access_token(session, google.url + "/token", "cid", "secret", refresh)


def test_wrong_client_secret_on_refresh_is_a_configuration_error(google, session):
    _access, refresh = google.issue_tokens(EMAIL)
    with pytest.raises(ConfigurationError):
        refresh_access_token(session, google.url + "/token", "cid", "nope", refresh)


def test_token_provider_caches_refreshes_and_reports_rotation(google, session):
    _access, refresh = google.issue_tokens(EMAIL)
    google.rotate_refresh_tokens = True
    stored = []
    now = [dt.datetime(2030, 1, 1, tzinfo=UTC)]
    provider = GoogleTokenProvider(
        session,
        google.url + "/token",
        "cid",
        "secret",
        refresh,
        access_token="cached",
        expiry=now[0] + dt.timedelta(minutes=30),
        on_refresh=lambda *tokens: stored.append(tokens),
        clock=lambda: now[0],
    )
    assert provider() == "cached" and stored == []
    now[0] += dt.timedelta(minutes=29, seconds=30)  # inside the safety margin
    fresh = provider()
    assert fresh != "cached" and len(stored) == 1
    assert stored[0][0] == fresh and stored[0][2] == provider.refresh_token != refresh
    assert provider(force_refresh=True) != fresh and len(stored) == 2


def test_client_with_token_provider_survives_expiry_and_reports_revocation(google, session):
    _access, refresh = google.issue_tokens(EMAIL)
    provider = GoogleTokenProvider(session, google.url + "/token", "cid", "secret", refresh)
    client = make_client(google, session, provider)
    google.insert_event(
        EMAIL,
        {"summary": "x", "start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}},
    )
    assert len(client.list_changes("").events) == 1
    google.expire_access_tokens()
    assert len(client.list_changes("").events) == 1  # 401 -> refreshed -> retried
    google.revoke(provider.refresh_token)
    google.expire_access_tokens()
    with pytest.raises(AuthExpired):
        client.list_changes("")
    for request in google.requests:
        assert "access_token" not in request.query


def test_provider_without_refresh_token_asks_to_reconnect(session):
    provider = GoogleTokenProvider(session, "http://127.0.0.1:9/token", "c", "s", "")
    with pytest.raises(AuthExpired):
        provider()


def test_check_client_accepts_the_configured_client(google):
    auth.check_client(requests.Session(), f"{google.url}/token", "cid", "secret")
    # Accepted because Google reached the made-up refresh token: 400 invalid_grant.
    assert google.requests.filter(method="POST", path_regex="^/token$")[-1].status == 400


@pytest.mark.parametrize(
    ("client_id", "secret", "reason"),
    [
        ("cid", "wrong", "invalid_client: Unauthorized"),
        ("unknown", "secret", "invalid_client: The OAuth client was not found."),
    ],
)
def test_check_client_says_why_google_refused(google, client_id, secret, reason):
    with pytest.raises(ConfigurationError, match=reason):
        auth.check_client(requests.Session(), f"{google.url}/token", client_id, secret)


def test_check_client_takes_unauthorized_client_as_a_refusal(google):
    # RFC 6749 section 5.2: the authenticated client may not use this grant type.
    google.faults.add(
        status=400,
        body={"error": "unauthorized_client", "error_description": "Unauthorized"},
        method="POST",
        path_regex="^/token$",
    )
    with pytest.raises(ConfigurationError, match="unauthorized_client: Unauthorized"):
        auth.check_client(requests.Session(), f"{google.url}/token", "cid", "secret")
