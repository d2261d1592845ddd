from odoo import fields
from odoo.exceptions import AccessError

from .common import insert_account, make_user


class SyncLogCases:
    provider = None  # the test case's provider (``_sync_provider_code``)
    allow_inherited_tests_method = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = make_user(cls.env, "log_user")
        cls.other = make_user(cls.env, "log_other")
        cls.account = insert_account(cls.env, cls.user, cls.provider)
        cls.other_account = insert_account(cls.env, cls.other, cls.provider)
        cls.event = cls.env["calendar.event"].create(
            {
                "name": "Budget",
                "start": fields.Datetime.to_datetime("2026-03-02 09:00:00"),
                "stop": fields.Datetime.to_datetime("2026-03-02 10:00:00"),
            }
        )

    def test_a_change_is_logged_field_by_field(self):
        log = self.env["calendar.sync.log"]._log_change(
            self.account, "pull", "update", self.event,
            changes={"name": ("Budget", "Budget 2027", "Budget")}, remote_id="abc",
        )  # fmt: skip
        self.assertEqual(log.user_id, self.user)
        self.assertEqual((log.res_model, log.res_id), ("calendar.event", self.event.id))
        self.assertEqual(log.record_name, "Budget")
        line = log.line_ids
        self.assertEqual(
            (line.field_name, line.old_value, line.new_value), ("name", "Budget", "Budget 2027")
        )
        self.assertEqual(line.old_value_raw, "Budget")

    def test_users_see_only_their_own_history(self):
        mine = self.env["calendar.sync.log"]._log_change(self.account, "push", "create", self.event)
        self.env["calendar.sync.log"]._log_change(self.other_account, "push", "create", self.event)
        visible = self.env["calendar.sync.log"].with_user(self.user).search([])
        self.assertEqual(visible, mine)
        with self.assertRaises(AccessError):
            mine.with_user(self.user).unlink()
