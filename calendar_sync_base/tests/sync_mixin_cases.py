from odoo import fields

from odoo.addons.calendar_sync_base.models.calendar_sync_mixin import PULL_CONTEXT_KEY

from .common import insert_account, make_user


class SyncMixinCases:
    provider = None  # the test case's provider (``_sync_provider_code``)
    allow_inherited_tests_method = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = make_user(cls.env, "mixin_user", tz="Europe/Brussels")
        cls.account = insert_account(cls.env, cls.user, cls.provider)
        cls.event = cls.env["calendar.event"].create(
            {
                "name": "Weekly review",
                "start": fields.Datetime.to_datetime("2026-03-02 09:00:00"),
                "stop": fields.Datetime.to_datetime("2026-03-02 10:00:00"),
                "user_id": cls.user.id,
            }
        )
        cls.recurrence_event = cls.env["calendar.event"].create(
            {
                "name": "Standup",
                "start": fields.Datetime.to_datetime("2026-03-02 08:00:00"),
                "stop": fields.Datetime.to_datetime("2026-03-02 08:15:00"),
                "user_id": cls.user.id,
                "recurrency": True,
                "rrule_type": "daily",
                "count": 3,
                "end_type": "count",
            }
        )
        cls.link = cls.env["calendar.sync.link"].create(
            {"account_id": cls.account.id, "event_id": cls.event.id, "remote_id": "r1"}
        )
        cls.recurrence_link = cls.env["calendar.sync.link"].create(
            {
                "account_id": cls.account.id,
                "recurrence_id": cls.recurrence_event.recurrence_id.id,
                "remote_id": "r2",
            }
        )

    def test_user_edit_of_a_synced_field_queues_a_push(self):
        self.event.with_user(self.user).write({"name": "Weekly review (moved)"})
        self.assertTrue(self.link.need_push)

    def test_pull_writes_are_not_pushed_back(self):
        self.event.with_context(**{PULL_CONTEXT_KEY: True}).write({"location": "Room 2"})
        self.assertFalse(self.link.need_push)

    def test_untracked_field_is_not_pushed(self):
        self.event.write({"res_model_id": self.env.ref("base.model_res_partner").id})
        self.assertFalse(self.link.need_push)

    def test_recurrence_rule_change_queues_its_link(self):
        self.recurrence_event.recurrence_id.write({"count": 5})
        self.assertTrue(self.recurrence_link.need_push)
        self.assertFalse(self.link.need_push)

    def test_deleting_an_event_keeps_its_link_for_the_remote_delete(self):
        self.event.unlink()
        self.assertTrue(self.link.exists())
        self.assertFalse(self.link.event_id)
        self.assertTrue(self.link.need_push)
