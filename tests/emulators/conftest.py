"""Fixtures shared by the emulator tests."""

import pytest

from emulators.microsoft import MicrosoftEmulator
from emulators.microsoft.server import SETTINGS

# The emulator's settings as a new one has them: tests change settings, reset() keeps them.
MICROSOFT_DEFAULT_SETTINGS = {name: getattr(MicrosoftEmulator(), name) for name in SETTINGS}


@pytest.fixture(scope="module")
def graph_server():
    """One Microsoft emulator over TLS (requests trusts its CA) for a module's tests."""
    with (
        MicrosoftEmulator(client_id="cid", client_secret="secret") as emulator,
        emulator.trusting(),
    ):
        yield emulator


@pytest.fixture
def fresh_graph_server(graph_server):
    """The module's emulator emptied, with its default settings and no webhook hosts."""
    graph_server.reset()
    for name, value in MICROSOFT_DEFAULT_SETTINGS.items():
        setattr(graph_server, name, value)
    graph_server.webhook_hosts = {}
    return graph_server
