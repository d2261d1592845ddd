"""The console's Test Connection checks against the emulated identity platform (msal)."""

from __future__ import annotations

import pytest

from calendar_sync_base.services.errors import ConfigurationError
from calendar_sync_microsoft.services.msal_auth import build_app, check_app, check_tenant


def test_known_tenant_and_app_are_accepted(ms):
    check_tenant(ms.url, "common")
    check_app(build_app("cid", "secret", authority_host=ms.url))


def test_unknown_tenant_says_aadsts90002(ms):
    with pytest.raises(ConfigurationError, match="invalid_tenant: AADSTS90002"):
        check_tenant(ms.url, "no-such-tenant.example")


@pytest.mark.parametrize(
    ("client_id", "secret", "reason"),
    [
        ("cid", "wrong", "invalid_client: AADSTS7000215"),
        ("unknown-app", "secret", "unauthorized_client: AADSTS700016"),
    ],
)
def test_refused_app_says_why(ms, client_id, secret, reason):
    with pytest.raises(ConfigurationError, match=reason):
        check_app(build_app(client_id, secret, authority_host=ms.url))
