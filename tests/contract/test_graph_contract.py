"""The connector contract, run by the Graph connector against the Microsoft emulator."""

import pytest

from .contract import ConnectorContract


class TestGraphConnector(ConnectorContract):
    @pytest.fixture
    def adapter(self, graph_adapter):
        return graph_adapter
