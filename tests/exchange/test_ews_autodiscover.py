"""Autodiscover of the EWS URL from the mailbox's address, driven by exchangelib against the
EWS emulator over https on port 443 of ``localhost`` (the mailbox domain): no DNS server, no
internet. The emulator's CA is trusted through the CA bundle setting."""

from __future__ import annotations

import contextlib
import socket

import dns.resolver
import pytest
from exchangelib.autodiscover import autodiscover_cache

from calendar_sync_base.services.errors import ConfigurationError
from calendar_sync_exchange.services.ews_account import (
    ExchangeSettings,
    _credentials,
    build_account,
    discover_endpoint,
)
from calendar_sync_exchange.services.ews_client import ExchangeCalendarClient
from emulators.ews import EwsEmulator

SERVICE = "admin@localhost"
PASSWORD = "service-secret"
AUTODISCOVER = "/autodiscover/autodiscover.svc"


def port_443_taken() -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", 443))
        except OSError:
            return True
    return False


@pytest.fixture
def ews_on_443():
    if port_443_taken():
        pytest.skip("port 443 is taken (or needs root): autodiscover only tries https on 443")
    with EwsEmulator(tls=True, port=443) as emulator:
        emulator.add_mailbox(SERVICE, PASSWORD, "Service", can_impersonate=True)
        emulator.add_mailbox("alice@localhost", "alice-secret", "Alice")
        yield emulator


@pytest.fixture
def dns_lookups(monkeypatch):
    """Every query exchangelib's dnspython resolver sends, answered "no such name"."""
    sent = []

    def resolve(_resolver, name, kind, **_options):
        sent.append((name, kind))
        raise dns.resolver.NXDOMAIN

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", resolve)
    return sent


def settings(emulator, mailbox="alice@localhost") -> ExchangeSettings:
    values = {"mailbox": mailbox, "auth": "basic", "username": SERVICE, "password": PASSWORD}
    values["ca_bundle"] = emulator.ca_path
    endpoint_unknown = ExchangeSettings(endpoint="", **values)
    with contextlib.suppress(KeyError):  # exchangelib's own cache, kept in a file between runs
        del autodiscover_cache["localhost", _credentials(endpoint_unknown)]
    return endpoint_unknown


def test_autodiscover_finds_the_ews_url_over_https_without_dns(ews_on_443, dns_lookups):
    found = discover_endpoint(settings(ews_on_443))
    assert found == ews_on_443.endpoint
    asked = [r for r in ews_on_443.requests if r.status == 200]
    assert [r.path for r in asked] == [AUTODISCOVER]
    assert asked[0].context["operation"] == "GetUserSettings"
    assert b"alice@localhost" in asked[0].body
    assert dns_lookups == []
    account = build_account(
        ExchangeSettings(**{**settings(ews_on_443).__dict__, "endpoint": found})
    )
    assert ExchangeCalendarClient(account).server_version().startswith("Exchange")


def test_an_unknown_mailbox_is_a_plain_message_asking_for_the_ews_url(ews_on_443, dns_lookups):
    with pytest.raises(ConfigurationError) as refused:
        discover_endpoint(settings(ews_on_443, "nobody@localhost"))
    message = str(refused.value)
    assert message.startswith("Autodiscover did not find the Exchange server of nobody@localhost")
    assert message.endswith("Enter the EWS URL in the Exchange settings.")
    assert dns_lookups == []


def test_without_the_ca_bundle_autodiscover_does_not_trust_the_server(ews_on_443, dns_lookups):
    untrusted = ExchangeSettings(**{**settings(ews_on_443).__dict__, "ca_bundle": ""})
    with pytest.raises(ConfigurationError, match="Enter the EWS URL"):
        discover_endpoint(untrusted)
    # Steps 1 and 2 (https) refused the certificate; step 4 is the only DNS query.
    assert dns_lookups == [("_autodiscover._tcp.localhost.", "SRV")]
    assert not [r for r in ews_on_443.requests if r.path == AUTODISCOVER and r.status == 200]
