"""The adapters behind the contract: the emulators (``tests/conftest.py``) are one per module,
the state fresh per test."""

from __future__ import annotations

import pytest

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
