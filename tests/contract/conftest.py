"""The adapters behind the contract: the emulators (``tests/conftest.py``) are one per module,
the state fresh per test."""

from __future__ import annotations

import pytest

from tests.emulators.ews_support import seeded_emulator

from .ews_adapter import EwsAdapter
from .google_adapter import GoogleAdapter
from .graph_adapter import GraphAdapter


def prepared(adapter):
    adapter.setup()
    yield adapter
    adapter.teardown()


@pytest.fixture
def google_adapter(google_emulator, session):
    yield from prepared(GoogleAdapter(google_emulator, session))


@pytest.fixture
def graph_adapter(microsoft_emulator, session):
    yield from prepared(GraphAdapter(microsoft_emulator, session))


@pytest.fixture(scope="module")
def ews_emulator():
    with seeded_emulator() as emulator:
        yield emulator


@pytest.fixture
def ews_adapter(ews_emulator, session):
    yield from prepared(EwsAdapter(ews_emulator, session))
