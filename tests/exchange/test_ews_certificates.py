"""An Exchange server with a certificate from a private CA (the EWS emulator over https):
trusted through the CA bundle setting, refused in plain words without it, never unverified."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from calendar_sync_base.services.errors import ConfigurationError
from calendar_sync_exchange.services.ews_account import build_account, offered_auth_schemes
from calendar_sync_exchange.services.ews_client import ExchangeCalendarClient
from emulators.ews import EwsEmulator
from tests.emulators.ews_support import PASSWORDS
from tests.exchange.conftest import settings_for

SERVICE = "admin@example.com"
NOT_TRUSTED = "The Exchange server's certificate is not trusted"


@pytest.fixture
def ews_tls():
    with EwsEmulator(tls=True) as emulator:
        emulator.add_mailbox(SERVICE, PASSWORDS[SERVICE], "Admin", can_impersonate=True)
        emulator.add_mailbox("alice@example.com", PASSWORDS["alice@example.com"], "Alice")
        yield emulator


def version_seen(settings) -> str:
    return ExchangeCalendarClient(build_account(settings)).server_version()


def test_the_emulator_serves_https_with_its_own_ca(ews_tls):
    assert ews_tls.endpoint.startswith("https://127.0.0.1:")
    assert Path(ews_tls.ca_path).read_text(encoding="ascii").startswith("-----BEGIN CERTIFICATE")


def test_with_the_ca_bundle_basic_over_https_connects(ews_tls):
    settings = settings_for(ews_tls, ca_bundle=ews_tls.ca_path)
    assert version_seen(settings) == "Exchange2016 (15.2.1118.7)"
    answered = [request for request in ews_tls.requests if request.status == 200]
    assert answered and answered[-1].headers["Authorization"].startswith("Basic ")
    assert answered[-1].context["mailbox"] == "alice@example.com"


def test_without_the_ca_bundle_the_certificate_is_refused_in_plain_words(ews_tls):
    with pytest.raises(ConfigurationError) as refused:
        version_seen(settings_for(ews_tls))
    message = str(refused.value)
    assert message.startswith(NOT_TRUSTED), message
    assert "self-signed certificate in certificate chain" in message
    assert "CA bundle" in message
    assert "Traceback" not in message and "HTTPSConnectionPool" not in message
    assert not [request for request in ews_tls.requests if request.status == 200]


def test_a_bundle_set_after_a_refusal_applies_to_exchangelibs_kept_sessions(ews_tls):
    """exchangelib keeps one protocol (and its sessions) per server and login for the
    process: the bundle set after a failed Test Connection must not need a restart."""
    settings = settings_for(ews_tls)
    with pytest.raises(ConfigurationError):
        version_seen(settings)
    assert "15.2.1118.7" in version_seen(replace(settings, ca_bundle=ews_tls.ca_path))


def test_an_unreadable_ca_bundle_is_a_configuration_error(ews_tls, tmp_path):
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(ConfigurationError, match="is not a readable file"):
        build_account(settings_for(ews_tls, ca_bundle=missing))


def test_the_anonymous_challenge_check_honours_the_ca_bundle(ews_tls):
    trusted = settings_for(ews_tls, access="delegate", ca_bundle=ews_tls.ca_path)
    assert offered_auth_schemes(trusted) == ["Negotiate", "NTLM", "Basic"]
    with pytest.raises(ConfigurationError, match=NOT_TRUSTED):
        offered_auth_schemes(replace(trusted, ca_bundle=""))


def test_basic_needs_https_except_on_loopback(ews_tls):
    remote = "mail.example.com/EWS/Exchange.asmx"
    with pytest.raises(ConfigurationError, match="needs an https EWS URL"):
        build_account(settings_for(ews_tls, endpoint=f"http://{remote}"))
    assert build_account(settings_for(ews_tls, endpoint=f"https://{remote}"))  # no request
