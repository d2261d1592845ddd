"""The EWS connector against the EWS emulator, driven by exchangelib itself.

``make_client(mailbox, ...)`` builds the connector the way the Odoo layer will (settings ->
account -> client), so a provider contract suite can take these fixtures as they are.
"""

from __future__ import annotations

import pytest
from lxml import etree

from calendar_sync_exchange.services.ews_account import ExchangeSettings, build_account
from calendar_sync_exchange.services.ews_client import ExchangeCalendarClient
from tests.emulators.ews_support import PASSWORDS, seeded_emulator


@pytest.fixture
def ews():
    """An EWS emulator with the mailboxes admin (may impersonate), alice and bob."""
    with seeded_emulator() as emulator:
        yield emulator


def settings_for(emulator, mailbox="alice@example.com", **overrides) -> ExchangeSettings:
    """Impersonation through the service account, unless ``access="delegate"``."""
    values = {
        "endpoint": emulator.endpoint,
        "mailbox": mailbox,
        "auth": "basic",
        "access": "impersonation",
        "username": "admin@example.com",
        "password": PASSWORDS["admin@example.com"],
        **overrides,
    }
    return ExchangeSettings(**values)


@pytest.fixture
def make_client(ews):
    def make(mailbox="alice@example.com", *, client_options=None, **overrides):
        account = build_account(settings_for(ews, mailbox, **overrides))
        return ExchangeCalendarClient(
            account, timezone_hint="Europe/Paris", **(client_options or {})
        )

    return make


@pytest.fixture
def client(make_client):
    return make_client()


def schema_problems(emulator, xsd) -> list[str]:
    """Every request and answer of the emulator's session that fails the EWS schema."""
    problems = []
    for request in [r for r in emulator.requests if r.status == 200]:
        for label, body in (
            ("request", request.body),
            ("response", request.context["response_body"]),
        ):
            if not xsd.validate(etree.fromstring(body)):
                problems.append(f"{request.context['operation']} {label}: {xsd.error_log}")
    return problems


# Microsoft's EWS schema (fetched at test time, see tests/emulators/test_ews_schema.py).
from tests.emulators.test_ews_schema import schema  # noqa: E402, F401
