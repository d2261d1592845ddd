"""Fixtures for the Microsoft connector tests: one emulator per module, fresh state per test.

The emulator serves HTTPS with a CA made for the test run; ``trusting`` points
``REQUESTS_CA_BUNDLE`` (set machine-wide here, and stronger than ``verify=``) at a bundle that
includes it, for requests and msal alike.
"""

from __future__ import annotations

import datetime as dt

import pytest

from calendar_sync_microsoft.services.graph_client import GraphCalendarClient

from ..conftest import TokenProvider

EMAIL = "alice@example.com"
UTC = dt.timezone.utc  # noqa: UP017 - the code under test must run on Python 3.10
NOW = "2029-12-01T00:00:00Z"  # the tests' events are in early 2030
WINDOW = (dt.datetime(2029, 11, 1, tzinfo=UTC), dt.datetime(2031, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def emulator(microsoft_emulator):
    return microsoft_emulator


@pytest.fixture
def ms(emulator):
    emulator.reset()
    emulator.delta_series_masters = True  # a setting: reset() keeps it
    emulator.set_now(NOW)
    emulator.add_account(EMAIL, "Alice", time_zone="Romance Standard Time")
    yield emulator
    emulator.reset()
    emulator.set_now(None)


@pytest.fixture(params=[True, False], ids=["masters-listed", "masters-not-listed"])
def delta_shape(request, ms):
    """Both shapes of a delta over a series: observed Graph lists the series master next to
    its bare occurrences; the documented shape names it only through ``seriesMasterId``."""
    ms.delta_series_masters = request.param
    return request.param


@pytest.fixture
def provider(ms):
    return TokenProvider(ms, EMAIL)


def make_client(ms, session, provider, **options) -> GraphCalendarClient:
    options.setdefault("window_start", WINDOW[0])
    options.setdefault("window_end", WINDOW[1])
    options.setdefault("timezone_hint", "Europe/Brussels")
    return GraphCalendarClient(session, provider, graph_base=ms.graph_url, **options)


@pytest.fixture
def client(ms, session, provider):
    return make_client(ms, session, provider)
