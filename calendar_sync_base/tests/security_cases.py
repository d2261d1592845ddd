from odoo.exceptions import AccessError, UserError
from odoo.tests import Form

from .common import insert_account, make_user

SECRET_FIELDS = ("refresh_token", "access_token", "token_cache", "sync_cursor")


class SecurityCases:
    provider = None  # the test case's provider (``_sync_provider_code``)
    allow_inherited_tests_method = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = make_user(cls.env, "alice_sec")
        cls.bob = make_user(cls.env, "bob_sec")
        cls.alice_account = insert_account(cls.env, cls.alice, cls.provider)
        cls.bob_account = insert_account(cls.env, cls.bob, cls.provider)
        cls.alice_account.sudo().write(
            {"refresh_token": "1//alice-refresh", "access_token": "ya29.alice", "sync_cursor": "c"}
        )

    def test_user_reads_own_state_but_never_tokens(self):
        account = self.alice_account.with_user(self.alice)
        self.assertEqual(account.read(["state"])[0]["state"], "connected")
        for field_name in SECRET_FIELDS:
            with self.assertRaises(AccessError, msg=field_name):
                account.read([field_name])

    def test_tokens_never_leave_through_generic_reads(self):
        data = self.alice_account.with_user(self.alice).web_read({"state": {}, "last_error": {}})
        self.assertNotIn("refresh_token", data[0])
        fields_info = self.env["calendar.sync.account"].with_user(self.alice).fields_get()
        for field_name in SECRET_FIELDS:
            self.assertNotIn(field_name, fields_info)

    def test_user_cannot_see_or_touch_another_users_connection(self):
        visible = self.env["calendar.sync.account"].with_user(self.alice).search([])
        self.assertEqual(visible, self.alice_account)
        with self.assertRaises(AccessError):
            self.bob_account.with_user(self.alice).read(["state"])
        with self.assertRaises(UserError):
            self.alice_account.with_user(self.alice).write({"state": "disconnected"})
        with self.assertRaises(UserError):
            self.alice_account.with_user(self.alice).write({"refresh_token": "injected"})
        with self.assertRaises(AccessError):
            self.bob_account.with_user(self.alice).write({"send_updates": "none"})

    def test_user_cannot_read_links_or_pause_someone_else(self):
        with self.assertRaises(AccessError):
            self.env["calendar.sync.link"].with_user(self.alice).search([])
        with self.assertRaises(AccessError):
            self.bob_account.with_user(self.alice).action_pause()

    def test_user_pauses_and_resumes_own_connection(self):
        account = self.alice_account.with_user(self.alice)
        account.action_pause()
        self.assertEqual(self.alice_account.state, "paused")
        account.action_resume()
        self.assertEqual(self.alice_account.state, "connected")

    def test_admin_reads_tokens(self):
        self.assertEqual(self.alice_account.refresh_token, "1//alice-refresh")

    def test_disconnect_forgets_the_grant(self):
        self.alice_account.with_user(self.alice).action_disconnect()
        self.assertEqual(self.alice_account.state, "disconnected")
        self.assertFalse(self.alice_account.refresh_token)
        self.assertFalse(self.alice_account.access_token)

    def test_user_forms_show_connections_read_only(self):
        for view in ("base.view_users_form", "base.view_users_form_simple_modif"):
            form = Form(self.alice, view=view)
            with self.assertRaises(AssertionError, msg=view):
                form.calendar_sync_account_ids.edit(0)

    def test_settings_button_opens_own_connection_whose_save_is_checked(self):
        action = self.alice_account.with_user(self.alice).action_open_settings()
        self.assertEqual((action["res_id"], action["target"]), (self.alice_account.id, "new"))
        with self.assertRaises(AccessError):
            self.bob_account.with_user(self.alice).action_open_settings()
        with Form(self.alice_account.with_user(self.alice)) as form:
            form.send_updates = "none"
            with self.assertRaises(AssertionError, msg="rules need their group"):
                form.rule_direction = "off"
        self.assertEqual(self.alice_account.send_updates, "none")
        self.alice.groups_id += self.env.ref(
            "calendar_sync_base.calendar_sync_base_group_own_rules"
        )
        with Form(self.alice_account.with_user(self.alice)) as form:
            form.rule_direction = "to_odoo"
        self.assertEqual(self.alice_account.rule_direction, "to_odoo")

    def test_allowed_group_setting_decides_who_may_connect(self):
        accounts = self.env["calendar.sync.account"].with_user(self.alice)
        self.assertTrue(accounts._sync_user_allowed())
        pilots = self.env["res.groups"].create({"name": "Calendar sync pilots"})
        self.env["res.config.settings"].create(
            {"calendar_sync_allowed_group_id": pilots.id}
        ).execute()
        self.assertFalse(accounts._sync_user_allowed())
        pilots.users += self.alice
        self.assertTrue(accounts._sync_user_allowed())
        self.assertFalse(accounts.with_user(self.bob)._sync_user_allowed())
