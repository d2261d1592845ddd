"""Fixtures for the Google connector tests: one emulator per module, fresh state per test."""

from __future__ import annotations

import pytest

from calendar_sync_google.services.client import GoogleCalendarClient

from ..conftest import TokenProvider

EMAIL = "alice@example.com"


@pytest.fixture(scope="module")
def emulator(google_emulator):
    return google_emulator


NOW = "2029-12-01T00:00:00Z"  # the tests' events are in early 2030


@pytest.fixture
def google(emulator):
    emulator.reset()
    emulator.set_now(NOW)
    emulator.add_account(EMAIL, time_zone="Europe/Brussels")
    yield emulator
    emulator.reset()
    emulator.set_now(None)


@pytest.fixture
def provider(google):
    return TokenProvider(google, EMAIL)


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
