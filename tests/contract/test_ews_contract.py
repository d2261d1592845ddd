"""The connector contract, run by the EWS connector (exchangelib) against the EWS emulator."""

import pytest

from .contract import ConnectorContract

NO_TOKENS = "EWS signs in with NTLM / Basic credentials: there is no bearer token to refresh"


class TestEwsConnector(ConnectorContract):
    @pytest.fixture
    def adapter(self, ews_adapter):
        return ews_adapter

    def test_a_401_refreshes_the_token_once_then_the_grant_is_gone(self, adapter):
        pytest.skip(NO_TOKENS)

    def test_a_refresh_that_fails_during_a_push_keeps_the_ops_queued(self, adapter):
        pytest.skip(NO_TOKENS)

    def test_poison_ops_are_reported_alone_and_never_block_the_rest(self, adapter):
        pytest.skip(
            "Exchange lets an attendee edit his own copy of someone else's meeting (no 403); "
            "an event EWS cannot hold failing alone is tests/exchange's "
            "test_a_rule_ews_cannot_hold_is_refused_with_its_reason"
        )
