"""The connector contract, run by the Google connector against the Google emulator."""

import pytest

from .contract import ConnectorContract


class TestGoogleConnector(ConnectorContract):
    @pytest.fixture
    def adapter(self, google_adapter):
        return google_adapter
