from odoo.tests import HttpCase, JsonRpcException, tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import insert_account, make_user
from odoo.addons.calendar_sync_base.tests.security_rpc_cases import SecurityRpcCases

from .common import PROVIDER

SECRETS = {
    "calendar_sync_exchange.password": "service-secret",
    "calendar_sync_exchange.client_secret": "oauth-secret",
}


@tagged("post_install", "-at_install")
class TestExchangeSecurityRpc(SecurityRpcCases, HttpCase):
    """The base's attacks over JSON-RPC and XML-RPC, on Exchange connections."""

    provider = PROVIDER


@tagged("post_install", "-at_install")
class TestExchangeSecrets(HttpCase):
    """Exchange's own secrets (the service account's, each user's password) over JSON-RPC."""

    def setUp(self):
        super().setUp()
        for key, value in SECRETS.items():
            self.env["ir.config_parameter"].set_param(key, value)
        self.alice = make_user(self.env, "alice_secrets")
        self.account = insert_account(self.env, self.alice, PROVIDER)
        self.account.write({"exchange_login": "alice", "exchange_password": "alice-secret"})
        self.authenticate("alice_secrets", "alice_secrets")

    def call(self, model, method, *args, **kwargs):
        """The raw answer, or the error's text; must not carry any secret."""
        params = {"model": model, "method": method, "args": list(args), "kwargs": kwargs}
        with mute_logger("odoo.http"):
            try:
                answer = str(self.make_jsonrpc_request("/web/dataset/call_kw", params))
            except JsonRpcException as error:
                answer = f"refused: {error}"
        for secret in (*SECRETS.values(), "alice-secret"):
            self.assertNotIn(secret, answer)
        return answer

    def test_a_user_reads_no_exchange_secret(self):
        account = [self.account.id]
        self.assertIn("refused", self.call("calendar.sync.account", "read", account,
                                           ["exchange_password"]))  # fmt: skip
        self.call("calendar.sync.account", "read", account)
        self.call("calendar.sync.account", "search_read", [], [])
        self.call("calendar.sync.account", "web_read", account, {"exchange_login": {}})
        for key in SECRETS:
            self.assertIn("refused", self.call("ir.config_parameter", "get_param", key))
        fields = ["calendar_sync_exchange_password", "calendar_sync_exchange_client_secret"]
        self.call("res.config.settings", "default_get", fields)
        self.call("res.config.settings", "get_values")
        self.call("res.config.settings", "web_read", [], {name: {} for name in fields})
