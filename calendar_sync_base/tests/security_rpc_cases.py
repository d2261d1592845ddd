"""The attacks of issue 8 over real JSON-RPC and XML-RPC, as an internal user, a portal user
and an anonymous visitor. Every refused attack must leave every connection exactly as it was,
and no answer may ever carry a token or cursor."""

import json
import xmlrpc.client

from odoo import Command
from odoo.tests import new_test_user
from odoo.tools import mute_logger

from .common import insert_account, make_user
from .contract_console import CONSOLE_ACTIONS

PROTOCOLS = ("json", "xml")
# The console's buttons that queue a run of a scheduled action (contacts, sent e-mail).
CONSOLE_CRON_BUTTONS = ("action_sync_contacts_now", "action_sync_mail_now")
# The sync's own bookkeeping: administrators and the sync only.
SYNC_MACHINERY = ("calendar.sync.request", "calendar.sync.contact.link", "calendar.sync.sent.mail")
# What only administrators and the sync itself may ever see, per connection.
ALICE_SECRETS = {
    "refresh_token": "1//alice-refresh",
    "access_token": "ya29.alice-access",
    "token_cache": '{"alice": "cache"}',
    "sync_cursor": "alice-cursor",
}
BOB_SECRETS = {
    "refresh_token": "1//bob-refresh",
    "access_token": "ya29.bob-access",
    "token_cache": '{"bob": "cache"}',
    "sync_cursor": "bob-cursor",
}
# Fields the user may not set on their own connection (only the sync, an administrator or,
# for the rules, the "Manage Own Sync Rules" group may).
FORBIDDEN_OWN_VALUES = {
    "first_sync_done": True,
    "queue_existing": False,
    "sync_cursor": "forged-cursor",
    "refresh_token": "forged-token",
    "state": "paused",
    "active": False,
    "last_error": "forged",
    "rule_direction": "off",
    "rule_conflict_policy": "remote",
    "rule_start_date": "2020-01-01",
}
WATCHED_FIELDS = [
    "user_id",
    "provider",
    "state",
    "active",
    "send_updates",
    "first_sync_done",
    "queue_existing",
    "last_error",
    "rule_direction",
    "rule_conflict_policy",
    "rule_start_date",
    *ALICE_SECRETS,
]


class Refused(Exception):
    """The server answered the RPC with an error."""


class SecurityRpcCases:
    provider = None  # the test case's provider (``_sync_provider_code``)
    allow_inherited_tests_method = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # new_test_user's password is the login (padded below 8 characters: keep them longer).
        cls.alice = make_user(cls.env, "alice_rpc")
        cls.bob = make_user(cls.env, "bobby_rpc")
        cls.portal = new_test_user(cls.env, login="portal_rpc", groups="base.group_portal")
        cls.alice_account = insert_account(cls.env, cls.alice, cls.provider)
        cls.bob_account = insert_account(cls.env, cls.bob, cls.provider)
        cls.alice_account.sudo().write(ALICE_SECRETS)
        cls.bob_account.sudo().write(BOB_SECRETS)
        logs = cls.env["calendar.sync.log"]
        changes = {"name": ("Old title", "New title", "Old title")}
        cls.alice_log = logs._log_change(cls.alice_account, "push", "update", changes=changes)
        cls.bob_log = logs._log_change(cls.bob_account, "push", "update", changes=changes)
        bob_event = (
            cls.env["calendar.event"]
            .with_user(cls.bob)
            .create(
                {"name": "Bob's review", "start": "2030-01-07 09:00", "stop": "2030-01-07 10:00"}
            )
        )
        cls.bob_link = cls.env["calendar.sync.link"].create(
            {"account_id": cls.bob_account.id, "event_id": bob_event.id, "remote_id": "bob-1"}
        )
        cls.bob_wizard = (
            cls.env["calendar.sync.reset.wizard"]
            .with_user(cls.bob)
            .create({"account_id": cls.bob_account.id})
        )
        cls.public_uid = cls.env.ref("base.public_user").id
        # Another provider value the ORM accepts, so that only our checks can refuse a
        # connection moved to it or created with it.
        providers = cls.env["calendar.sync.account"]._fields["provider"].get_values(cls.env)
        cls.other_provider = next(code for code in providers if code != cls.provider)

    # ------------------------------------------------------------------ RPC as somebody

    def call(self, protocol, login, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` over ``protocol`` as ``login`` (None: anonymous).

        Returns the result; raises ``Refused`` with the server's message on any error. No
        answer, result or error, may contain a secret.
        """
        with mute_logger("odoo.http"):
            if protocol == "json":
                answer, raw = self._call_json(login, model, method, list(args), kwargs)
            else:
                answer, raw = self._call_xml(login, model, method, list(args), kwargs)
        for secret in (*ALICE_SECRETS.values(), *BOB_SECRETS.values()):
            self.assertNotIn(secret, raw, f"{login} read a secret through {model}.{method}")
        if isinstance(answer, Refused):
            raise answer
        return answer

    def _call_json(self, login, model, method, args, kwargs):
        self.authenticate(login, login)
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs},
        }
        response = self.url_open(
            "/web/dataset/call_kw",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        body = response.json()
        if "error" in body:
            return Refused(body["error"]["data"]["message"]), response.text
        return body["result"], response.text

    def _call_xml(self, login, model, method, args, kwargs):
        if login:
            credentials = (self.env["res.users"].search([("login", "=", login)]).id, login)
        else:
            credentials = (self.public_uid, "")
        try:
            result = self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, *credentials, model, method, args, kwargs
            )
        except xmlrpc.client.Fault as fault:
            return Refused(fault.faultString), fault.faultString
        return result, repr(result)

    def assertRefused(self, protocol, login, model, method, *args, **kwargs):
        before = self.connections()
        with self.assertRaises(Refused, msg=f"{login}: {model}.{method}{args} over {protocol}"):
            self.call(protocol, login, model, method, *args, **kwargs)
        self.assertEqual(self.connections(), before, "a refused call changed a connection")

    def connections(self):
        self.env.invalidate_all()
        accounts = self.env["calendar.sync.account"].with_context(active_test=False)
        return accounts.search_read([], WATCHED_FIELDS, order="id")

    # ------------------------------------------------------------------ 1. connections

    def test_x2many_commands_on_res_users_are_refused(self):
        bob_id, alice_id = self.bob_account.id, self.alice_account.id
        commands = [
            [int(Command.LINK), bob_id, 0],
            [int(Command.UPDATE), bob_id, {"send_updates": "none"}],
            [int(Command.DELETE), bob_id, 0],
            [int(Command.UNLINK), bob_id, 0],
            [int(Command.SET), 0, [bob_id, alice_id]],
            [int(Command.CREATE), 0, {"provider": self.other_provider, "state": "connected"}],
            [int(Command.UPDATE), alice_id, {"provider": self.other_provider}],
            [int(Command.UPDATE), alice_id, {"first_sync_done": True}],
            [int(Command.UPDATE), alice_id, {"rule_direction": "off"}],
            [int(Command.UPDATE), alice_id, {"send_updates": "none"}],
            [int(Command.DELETE), alice_id, 0],
        ]
        for protocol in PROTOCOLS:
            for login, user in (("alice_rpc", self.alice), ("portal_rpc", self.portal)):
                for command in commands:
                    with self.subTest(protocol=protocol, login=login, command=command):
                        vals = {"calendar_sync_account_ids": [command]}
                        self.assertRefused(protocol, login, "res.users", "write", [user.id], vals)
            with self.subTest(protocol=protocol, login=None):
                vals = {"calendar_sync_account_ids": [[int(Command.LINK), bob_id, 0]]}
                self.assertRefused(protocol, None, "res.users", "write", [self.public_uid], vals)

    def test_another_users_connection_cannot_be_changed_created_or_deleted(self):
        bob_id = self.bob_account.id
        for protocol in PROTOCOLS:
            for login in ("alice_rpc", "portal_rpc", None):
                with self.subTest(protocol=protocol, login=login):
                    self.assertRefused(
                        protocol, login, "calendar.sync.account", "write", [bob_id],
                        {"send_updates": "none"},
                    )  # fmt: skip
                    self.assertRefused(
                        protocol, login, "calendar.sync.account", "write", [bob_id],
                        {"user_id": self.alice.id},
                    )  # fmt: skip
                    self.assertRefused(protocol, login, "calendar.sync.account", "unlink", [bob_id])
                    self.assertRefused(protocol, login, "calendar.sync.account", "copy", [bob_id])
                    self.assertRefused(
                        protocol, login, "calendar.sync.account", "create",
                        [{"user_id": self.bob.id, "provider": self.other_provider}],
                    )  # fmt: skip
                    for action in ("action_sync_now", "action_pause", "action_disconnect"):
                        self.assertRefused(
                            protocol, login, "calendar.sync.account", action, [bob_id]
                        )

    def test_own_connection_accepts_only_what_the_user_may_change(self):
        alice_id = self.alice_account.id
        for protocol in PROTOCOLS:
            for field_name, value in FORBIDDEN_OWN_VALUES.items():
                with self.subTest(protocol=protocol, field=field_name):
                    self.assertRefused(
                        protocol, "alice_rpc", "calendar.sync.account", "write", [alice_id],
                        {field_name: value},
                    )  # fmt: skip
            for field_name, value in (("user_id", self.bob.id), ("provider", self.other_provider)):
                with self.subTest(protocol=protocol, field=field_name):
                    self.assertRefused(
                        protocol, "alice_rpc", "calendar.sync.account", "write", [alice_id],
                        {field_name: value},
                    )  # fmt: skip
            self.assertRefused(protocol, "alice_rpc", "calendar.sync.account", "unlink", [alice_id])
            self.assertRefused(
                protocol, "alice_rpc", "calendar.sync.account", "create",
                [{"user_id": self.alice.id, "provider": self.other_provider}],
            )  # fmt: skip
            # What the user may change goes through, over the same channel.
            choice = {"json": "none", "xml": "external"}[protocol]
            self.call(
                protocol, "alice_rpc", "calendar.sync.account", "write", [alice_id],
                {"send_updates": choice},
            )  # fmt: skip
            self.env.invalidate_all()
            self.assertEqual(self.alice_account.send_updates, choice)

    def test_rules_group_sets_own_rules_and_nothing_else(self):
        self.alice.groups_id += self.env.ref(
            "calendar_sync_base.calendar_sync_base_group_own_rules"
        )
        alice_id = self.alice_account.id
        for protocol in PROTOCOLS:
            with self.subTest(protocol=protocol):
                self.call(
                    protocol, "alice_rpc", "calendar.sync.account", "write", [alice_id],
                    {"rule_direction": "to_odoo", "rule_conflict_policy": "remote"},
                )  # fmt: skip
                self.assertRefused(
                    protocol, "alice_rpc", "calendar.sync.account", "write", [alice_id],
                    {"first_sync_done": True},
                )  # fmt: skip
                self.assertRefused(
                    protocol, "alice_rpc", "calendar.sync.account", "write",
                    [self.bob_account.id], {"rule_direction": "off"},
                )  # fmt: skip
        self.env.invalidate_all()
        self.assertEqual(self.alice_account.rule_direction, "to_odoo")

    # ------------------------------------------------------------------ 2. history, links, secrets

    def test_history_is_readable_by_its_owner_only(self):
        for protocol in PROTOCOLS:
            with self.subTest(protocol=protocol, login="alice_rpc"):
                lines = self.call(
                    protocol, "alice_rpc", "calendar.sync.log.line", "search_read", [],
                    ["log_id", "old_value", "new_value"],
                )  # fmt: skip
                self.assertEqual({line["id"] for line in lines}, set(self.alice_log.line_ids.ids))
                logs = self.call(protocol, "alice_rpc", "calendar.sync.log", "search_read", [])
                self.assertEqual([log["id"] for log in logs], self.alice_log.ids)
                self.assertRefused(
                    protocol, "alice_rpc", "calendar.sync.log.line", "read",
                    self.bob_log.line_ids.ids, ["old_value"],
                )  # fmt: skip
                self.assertRefused(
                    protocol, "alice_rpc", "calendar.sync.log", "read", self.bob_log.ids
                )
            for login in ("portal_rpc", None):
                for model in ("calendar.sync.log", "calendar.sync.log.line"):
                    with self.subTest(protocol=protocol, login=login, model=model):
                        self.assertRefused(protocol, login, model, "search_read", [])

    def test_links_and_secrets_are_never_readable(self):
        for protocol in PROTOCOLS:
            for login in ("alice_rpc", "portal_rpc", None):
                with self.subTest(protocol=protocol, login=login):
                    self.assertRefused(protocol, login, "calendar.sync.link", "search_read", [])
                    for field_name in ALICE_SECRETS:
                        self.assertRefused(
                            protocol, login, "calendar.sync.account", "search_read", [],
                            [field_name],
                        )  # fmt: skip
            # What a user may read of their own connection carries no secret (``call``
            # checks every answer), through the account and through their user record.
            mine = self.call(protocol, "alice_rpc", "calendar.sync.account", "search_read", [])
            self.assertEqual([account["id"] for account in mine], self.alice_account.ids)
            nested = {"fields": {name: {} for name in ("state", *ALICE_SECRETS)}}
            with self.assertRaises(Refused):
                self.call(
                    protocol, "alice_rpc", "res.users", "web_read", [self.alice.id],
                    {"calendar_sync_account_ids": nested},
                )  # fmt: skip
            user = self.call(
                protocol, "alice_rpc", "res.users", "read", [self.alice.id],
                ["calendar_sync_account_ids"],
            )  # fmt: skip
            self.assertEqual(user[0]["calendar_sync_account_ids"], self.alice_account.ids)

    # ------------------------------------------------------------------ 4. reset wizard

    def test_reset_wizard_stays_on_own_connection(self):
        wizard_model = "calendar.sync.reset.wizard"
        counts = {"account_id": {"fields": {"display_name": {}}}, "organized_count": {}}
        own_ids = []
        for protocol in PROTOCOLS:
            for login in ("alice_rpc", "portal_rpc"):
                with self.subTest(protocol=protocol, login=login):
                    self.assertRefused(
                        protocol, login, wizard_model, "create",
                        {"account_id": self.bob_account.id},
                    )  # fmt: skip
                    self.assertRefused(
                        protocol, login, wizard_model, "read", self.bob_wizard.ids,
                        ["organized_count"],
                    )  # fmt: skip
                    self.assertRefused(
                        protocol, login, wizard_model, "onchange", {}, [], counts,
                        context={"default_account_id": self.bob_account.id},
                    )  # fmt: skip
            own_ids.append(
                self.call(
                    protocol, "alice_rpc", wizard_model, "create",
                    {"account_id": self.alice_account.id},
                )
            )  # fmt: skip
            self.assertEqual(self.call(protocol, "alice_rpc", wizard_model, "search", []), own_ids)
            self.assertRefused(protocol, "portal_rpc", wizard_model, "search", [])
            # What the refused reads would have revealed: Bob's own count of his events.
            bobs = self.call(
                protocol,
                "bobby_rpc",
                wizard_model,
                "read",
                self.bob_wizard.ids,
                ["organized_count"],
            )
            self.assertEqual(bobs[0]["organized_count"], 1)

    def test_console_is_for_administrators_only(self):
        """No console method, nor Reset All, for a non-administrator: not even one that
        only reads (the console reports on every user's connection)."""
        console_ids = self.env["calendar.sync.console"].create({"provider": self.provider}).ids
        error = self.env["calendar.sync.log"]._log_change(
            self.bob_account, "pull", "error", message="Refused"
        )
        console, reset = "calendar.sync.console", "calendar.sync.console.reset.wizard"
        triggers = self.env["ir.cron.trigger"].search_count([])
        for protocol in PROTOCOLS:
            for login in ("alice_rpc", "portal_rpc", None):
                with self.subTest(protocol=protocol, login=login):
                    self.assertRefused(protocol, login, console, "action_open")
                    self.assertRefused(protocol, login, console, "search_read", [])
                    for method in (*CONSOLE_ACTIONS, *CONSOLE_CRON_BUTTONS):
                        self.assertRefused(protocol, login, console, method, console_ids)
                    self.assertRefused(
                        protocol, login, reset, "create",
                        {"provider": self.provider, "confirmation": "DELETE"},
                    )  # fmt: skip
        self.assertTrue(error.exists())
        self.assertFalse(self.bob_account.sudo().sync_requested)
        self.assertEqual(self.env["ir.cron.trigger"].search_count([]), triggers)

    # ------------------------------------------------------------------ 5. sync machinery

    def test_sync_machinery_is_out_of_reach(self):
        """Nobody but an administrator reads or touches sync requests, contact links and
        sent e-mail copies: a request row wakes its connection's sync, the other two name a
        user's contacts and e-mails. Not directly, not through the connection, not through
        the user record, not through the models' private methods."""
        bob_id, alice_id = self.bob_account.id, self.alice_account.id
        message = self.env["mail.message"].create({"body": "Sent", "author_id": False})
        rows = {
            "calendar.sync.request": {"account_id": bob_id},
            "calendar.sync.contact.link": {"account_id": bob_id, "remote_id": "bob-contact"},
            "calendar.sync.sent.mail": {"account_id": bob_id, "message_id": message.id},
        }
        ids = {model: self.env[model].create(values).ids for model, values in rows.items()}
        requests = self.env["calendar.sync.request"]
        waiting = requests.search([]).ids
        for protocol in PROTOCOLS:
            for login in ("alice_rpc", "portal_rpc", None):
                for model in SYNC_MACHINERY:
                    with self.subTest(protocol=protocol, login=login, model=model):
                        self.assertRefused(protocol, login, model, "search_read", [])
                        self.assertRefused(protocol, login, model, "read", ids[model])
                        self.assertRefused(protocol, login, model, "create", rows[model])
                        self.assertRefused(
                            protocol, login, model, "write", ids[model], {"account_id": alice_id}
                        )
                        self.assertRefused(protocol, login, model, "unlink", ids[model])
                with self.subTest(protocol=protocol, login=login, method="_sync_add"):
                    self.assertRefused(protocol, login, requests._name, "_sync_add", [bob_id])
            for account_id in (alice_id, bob_id):
                with self.subTest(protocol=protocol, account=account_id):
                    wake = {"sync_request_ids": [[int(Command.CREATE), 0, {}]]}
                    self.assertRefused(
                        protocol, "alice_rpc", "calendar.sync.account", "write", [account_id], wake
                    )
                    self.assertRefused(
                        protocol, "alice_rpc", "res.users", "write", [self.alice.id],
                        {"calendar_sync_account_ids": [[int(Command.UPDATE), account_id, wake]]},
                    )  # fmt: skip
        self.assertEqual(requests.search([]).ids, waiting)

    # ------------------------------------------------------------------ 3. who may connect

    def test_only_allowed_internal_users_may_connect(self):
        accounts = "calendar.sync.account"
        group = self.env["res.groups"].create({"name": "Calendar sync pilots"})
        for protocol in PROTOCOLS:
            with self.subTest(protocol=protocol, login="portal_rpc"):
                answer = self.call(
                    protocol, "portal_rpc", accounts, "action_sync_button", self.provider
                )
                self.assertEqual(answer["status"], "not_allowed")
                self.assertEqual(
                    self.call(protocol, "portal_rpc", accounts, "get_sync_panel_state"), []
                )
            with self.subTest(protocol=protocol, login=None):
                self.assertRefused(protocol, None, accounts, "action_sync_button", self.provider)
            # Every internal user, as long as the administrator chose no group.
            answer = self.call(protocol, "alice_rpc", accounts, "action_sync_button", self.provider)
            self.assertEqual(answer["status"], "need_config")
        self.env["ir.config_parameter"].set_param("calendar_sync.allowed_group_id", group.id)
        for protocol in PROTOCOLS:
            answer = self.call(protocol, "alice_rpc", accounts, "action_sync_button", self.provider)
            self.assertEqual(answer["status"], "not_allowed")
            self.assertIn("not allowed to connect a calendar", answer["message"])
            self.assertEqual(self.call(protocol, "alice_rpc", accounts, "get_sync_panel_state"), [])
        group.users += self.alice
        for protocol in PROTOCOLS:
            answer = self.call(protocol, "alice_rpc", accounts, "action_sync_button", self.provider)
            self.assertEqual(answer["status"], "need_config")
