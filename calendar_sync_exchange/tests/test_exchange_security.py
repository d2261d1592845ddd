from odoo import Command
from odoo.tests import HttpCase, JsonRpcException, tagged
from odoo.tools import mute_logger

from odoo.addons.calendar_sync_base.tests.common import insert_account, make_user
from odoo.addons.calendar_sync_base.tests.security_rpc_cases import (
    PROTOCOLS,
    SecurityRpcCases,
)

from .common import PROVIDER

SECRETS = {
    "calendar_sync_exchange.password": "service-secret",
    "calendar_sync_exchange.client_secret": "oauth-secret",
}


@tagged("post_install", "-at_install")
class TestExchangeSecurityRpc(SecurityRpcCases, HttpCase):
    """The base's attacks over JSON-RPC and XML-RPC, on Exchange connections."""

    provider = PROVIDER

    def test_exchange_login_form_is_its_authors_only(self):
        """The login and password a user typed are nobody else's to read, change or use."""
        form_model = "calendar.sync.exchange.login"
        typed = {"email": "bob@example.com", "login": "bob", "password": "bob-typed-password"}
        bob_form = self.env[form_model].with_user(self.bob).create(typed)
        for protocol in PROTOCOLS:
            with self.subTest(protocol=protocol, login="alice_rpc"):
                self.assertEqual(self.call(protocol, "alice_rpc", form_model, "search", []), [])
                self.assertRefused(protocol, "alice_rpc", form_model, "read", bob_form.ids)
                self.assertRefused(
                    protocol, "alice_rpc", form_model, "write", bob_form.ids,
                    {"email": "alice@example.com"},
                )  # fmt: skip
                self.assertRefused(
                    protocol, "alice_rpc", form_model, "action_connect", bob_form.ids
                )
            for login in ("portal_rpc", None):
                with self.subTest(protocol=protocol, login=login):
                    self.assertRefused(protocol, login, form_model, "create", typed)
                    self.assertRefused(protocol, login, form_model, "search_read", [])
        self.assertRecordValues(bob_form, [{**typed, "error": False}])

    def test_exchange_credentials_of_a_connection_are_system_only(self):
        """Nobody but the connect form (checked against Exchange) or an administrator sets a
        connection's Exchange login; nobody but an administrator reads it."""
        forged = {"exchange_login": "mallory", "exchange_password": "forged"}
        for protocol in PROTOCOLS:
            for account in (self.alice_account, self.bob_account):
                with self.subTest(protocol=protocol, account=account.user_id.login):
                    for field_name, value in forged.items():
                        self.assertRefused(
                            protocol, "alice_rpc", account._name, "write", account.ids,
                            {field_name: value},
                        )  # fmt: skip
                        self.assertRefused(
                            protocol, "alice_rpc", account._name, "read", account.ids,
                            [field_name],
                        )  # fmt: skip
                        command = [int(Command.UPDATE), account.id, {field_name: value}]
                        self.assertRefused(
                            protocol, "alice_rpc", "res.users", "write", [self.alice.id],
                            {"calendar_sync_account_ids": [command]},
                        )  # fmt: skip
        accounts = (self.alice_account | self.bob_account).sudo()
        self.assertEqual(accounts.mapped("exchange_login"), [False, False])

    def test_connecting_users_by_email_is_for_administrators_only(self):
        wizard_model = "calendar.sync.exchange.connect.users"
        users = {"user_ids": [[int(Command.SET), 0, [self.alice.id, self.bob.id]]]}
        admin_wizard = self.env[wizard_model].create(users)
        accounts = self.env["calendar.sync.account"].with_context(active_test=False)
        count = accounts.search_count([])
        for protocol in PROTOCOLS:
            for login in ("alice_rpc", "portal_rpc", None):
                with self.subTest(protocol=protocol, login=login):
                    self.assertRefused(protocol, login, wizard_model, "create", users)
                    self.assertRefused(
                        protocol, login, wizard_model, "action_connect", admin_wizard.ids
                    )
        self.assertEqual(accounts.search_count([]), count)


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
