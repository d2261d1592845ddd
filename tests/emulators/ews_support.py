"""Shared set-up of the EWS emulator tests: an emulator with three mailboxes and exchangelib
accounts on it, built the way a deployment configures exchangelib (no autodiscover)."""

from __future__ import annotations

import requests
from exchangelib import BASIC, DELEGATE, Account, Configuration, Credentials

from emulators.ews import EwsEmulator

PASSWORDS = {
    "admin@example.com": "admin-pw",
    "alice@example.com": "alice-pw",
    "bob@example.com": "bob-pw",
}


def seeded_emulator() -> EwsEmulator:
    emulator = EwsEmulator().start()
    emulator.add_mailbox(
        "admin@example.com", PASSWORDS["admin@example.com"], "Admin", can_impersonate=True
    )
    emulator.add_mailbox("alice@example.com", PASSWORDS["alice@example.com"], "Alice")
    emulator.add_mailbox("bob@example.com", PASSWORDS["bob@example.com"], "Bob")
    return emulator


def account(
    emulator: EwsEmulator,
    login: str = "alice@example.com",
    mailbox: str | None = None,
    access_type: str = DELEGATE,
    auth_type: str = BASIC,
    password: str | None = None,
    retry_policy=None,
) -> Account:
    """An exchangelib Account on the emulator (exchangelib shares one Protocol, its session
    pool and negotiated version, per endpoint and credentials)."""
    config = Configuration(
        service_endpoint=emulator.endpoint,
        credentials=Credentials(login, password or PASSWORDS[login]),
        auth_type=auth_type,
        retry_policy=retry_policy,
        max_connections=2,
    )
    return Account(mailbox or login, config=config, autodiscover=False, access_type=access_type)


def operations(emulator: EwsEmulator, name: str) -> int:
    """How many requests of one EWS operation the emulator answered."""
    return sum(1 for request in emulator.requests if request.context.get("operation") == name)


def soap(emulator: EwsEmulator, body: str, header: str = "", version: str = "Exchange2016"):
    """POST a hand-written SOAP request (Basic auth); the ``requests`` response."""
    envelope = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
        'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">'
        f'<s:Header><t:RequestServerVersion Version="{version}"/>{header}</s:Header>'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    )
    return requests.post(
        emulator.endpoint,
        data=envelope.encode(),
        auth=("alice@example.com", PASSWORDS["alice@example.com"]),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=10,
    )
