"""Fixtures for the Google connector tests: one emulator per module, fresh state per test."""

from __future__ import annotations

import pytest

from calendar_sync_base.services.http import ResilientSession
from calendar_sync_google.services.client import GoogleCalendarClient
from emulators.google import GoogleEmulator

EMAIL = "alice@example.com"


@pytest.fixture(scope="module")
def emulator():
    with GoogleEmulator(client_id="cid", client_secret="secret") as server:
        yield server


NOW = "2029-12-01T00:00:00Z"  # the tests' events are in early 2030


@pytest.fixture
def google(emulator):
    emulator.reset()
    emulator.set_now(NOW)
    emulator.add_account(EMAIL, time_zone="Europe/Brussels")
    yield emulator
    emulator.reset()
    emulator.set_now(None)


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


class Provider:
    """A credentials provider over the emulator's tokens that counts forced refreshes."""

    def __init__(self, google, email: str = EMAIL):
        self.google = google
        self.email = email
        self.token, _refresh = google.issue_tokens(email)
        self.calls: list[bool] = []
        self.revoked = False  # True: every token handed out is refused by Google

    def __call__(self, force_refresh: bool = False) -> str:
        self.calls.append(force_refresh)
        if self.revoked:
            return "revoked-token"
        if force_refresh:
            self.token, _refresh = self.google.issue_tokens(self.email)
        return self.token


@pytest.fixture
def provider(google):
    return Provider(google)


def make_client(google, session, provider, **options) -> GoogleCalendarClient:
    return GoogleCalendarClient(
        session,
        provider,
        api_base=google.url + "/calendar/v3",
        batch_url=google.url + "/batch/calendar/v3",
        **options,
    )


@pytest.fixture
def client(google, session, provider):
    return make_client(google, session, provider)
