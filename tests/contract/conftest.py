"""The emulators behind the contract: one per module, fresh state per test (``adapter``)."""

from __future__ import annotations

import pytest

from emulators.google import GoogleEmulator
from emulators.microsoft import MicrosoftEmulator, trusting

from .google_adapter import GoogleAdapter
from .graph_adapter import GraphAdapter


@pytest.fixture(scope="module")
def google_emulator():
    with GoogleEmulator(client_id="cid", client_secret="secret") as server:
        yield server


@pytest.fixture(scope="module")
def microsoft_emulator():
    with (
        MicrosoftEmulator(client_id="cid", client_secret="secret") as server,
        trusting(server.ca_path),
    ):
        yield server


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
