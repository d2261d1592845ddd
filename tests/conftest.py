"""Fixtures every connector's pure tests share."""

import pytest

from calendar_sync_base.services.http import ResilientSession
from emulators.google import GoogleEmulator
from emulators.microsoft import MicrosoftEmulator, trusting


class Sleeps(list):
    """An injectable ``sleep`` that records delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def session(sleeps):
    with ResilientSession(max_retries=3, sleep=sleeps, random=lambda: 0.5) as resilient:
        yield resilient


class TokenProvider:
    """A token provider over an emulator's tokens that counts forced refreshes."""

    def __init__(self, emulator, email: str):
        self.emulator = emulator
        self.email = email
        self.token, _refresh = emulator.issue_tokens(email)
        self.calls: list[bool] = []
        self.revoked = False  # True: every token handed out is refused

    def __call__(self, force_refresh: bool = False) -> str:
        self.calls.append(force_refresh)
        if self.revoked:
            return "revoked-token"
        if force_refresh:
            self.token, _refresh = self.emulator.issue_tokens(self.email)
        return self.token


@pytest.fixture(scope="module")
def google_emulator():
    with GoogleEmulator(client_id="cid", client_secret="secret") as server:
        yield server


@pytest.fixture(scope="module")
def microsoft_emulator():
    """HTTPS with a CA made for the test run; ``trusting`` points ``REQUESTS_CA_BUNDLE`` (set
    machine-wide here, and stronger than ``verify=``) at a bundle that includes it."""
    with (
        MicrosoftEmulator(client_id="cid", client_secret="secret") as server,
        trusting(server.ca_path),
    ):
        yield server
