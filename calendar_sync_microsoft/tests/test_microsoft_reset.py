import datetime as dt

from odoo.tests import tagged

from .common import MicrosoftSyncCase, graph_time


@tagged("post_install", "-at_install")
class TestMicrosoftReset(MicrosoftSyncCase):
    """The shared Reset Account wizard on an Outlook connection."""

    def setUp(self):
        super().setUp()
        self.single = self.odoo_event("Mine single")
        self.series = (
            self.env["calendar.event"]
            .with_user(self.user)
            .create(
                {
                    "name": "Mine series",
                    "start": dt.datetime(2027, 5, 3, 8),
                    "stop": dt.datetime(2027, 5, 3, 9),
                    "recurrency": True,
                    "rrule_type": "daily",
                    "count": 3,
                    "end_type": "count",
                    "event_tz": "Europe/Brussels",
                }
            )
            .recurrence_id
        )
        self.invitation = self.microsoft.insert_event(
            self.email,
            {
                "subject": "Their meeting",
                "start": graph_time(self.now + dt.timedelta(hours=50)),
                "end": graph_time(self.now + dt.timedelta(hours=51)),
            },
            organizer="boss@example.com",
        )
        self.sync()
        self.assertEqual(len(self.microsoft.events(self.email)), 3)

    def reset(self, delete_policy, sync_policy):
        self.env["calendar.sync.reset.wizard"].with_user(self.user).create(
            {
                "account_id": self.account.id,
                "delete_policy": delete_policy,
                "sync_policy": sync_policy,
            }
        ).action_reset()
        self.env.invalidate_all()
        self.account = self.connect(self.user)

    def subjects(self):
        return sorted(item["subject"] for item in self.microsoft.events(self.email))

    def test_delete_from_outlook_removes_series_whole_and_keeps_invitations(self):
        self.reset("delete_remote", "new")
        self.assertEqual(self.subjects(), ["Their meeting"])
        self.assertTrue(self.single.active and self.series.calendar_event_ids)
        self.sync()
        self.assertEqual(self.subjects(), ["Their meeting"], "only new events are pushed")

    def test_delete_from_odoo_then_all_relinks_without_duplicates(self):
        self.reset("delete_odoo", "all")
        self.assertFalse(self.single.exists())
        self.sync()
        self.assertEqual(self.subjects(), ["Mine series", "Mine single", "Their meeting"])
        pulled = self.env["calendar.event"].search([("name", "=", "Mine single")])
        self.assertEqual(len(pulled), 1, "pulled back once")

    def test_leave_untouched_then_all_matches_existing_events(self):
        self.reset("dont_delete", "all")
        counts = self.sync()
        self.assertEqual((counts.linked, counts.pulled_created, counts.pushed_created), (3, 0, 0))
        self.assertEqual(self.subjects(), ["Mine series", "Mine single", "Their meeting"])
