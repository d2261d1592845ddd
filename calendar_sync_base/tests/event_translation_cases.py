import datetime as dt

from odoo import fields

from calendar_sync_base.services.model import (
    Attendee,
    Privacy,
    Reminder,
    Response,
    ShowAs,
    SyncEvent,
)

from .common import insert_account, make_user

UTC = dt.timezone.utc


class EventTranslationCases:
    provider = None  # the test case's provider (``_sync_provider_code``)
    allow_inherited_tests_method = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = make_user(cls.env, "translator", tz="America/Los_Angeles")
        cls.account = insert_account(cls.env, cls.user, cls.provider)
        cls.colleague = make_user(cls.env, "colleague")
        cls.Event = cls.env["calendar.event"]

    def test_timed_event_to_neutral_is_utc_with_the_organizer_zone(self):
        event = self.Event.create(
            {
                "name": "Call",
                "start": fields.Datetime.to_datetime("2026-07-01 16:00:00"),
                "stop": fields.Datetime.to_datetime("2026-07-01 17:30:00"),
                "user_id": self.user.id,
                "privacy": "private",
                "show_as": "free",
                "location": "Room 1",
            }
        )
        neutral = event._sync_to_neutral()
        self.assertEqual(neutral.start, dt.datetime(2026, 7, 1, 16, tzinfo=UTC))
        self.assertEqual(neutral.stop, dt.datetime(2026, 7, 1, 17, 30, tzinfo=UTC))
        self.assertEqual(neutral.timezone, "America/Los_Angeles")
        self.assertEqual(neutral.privacy, Privacy.PRIVATE)
        self.assertEqual(neutral.show_as, ShowAs.FREE)
        self.assertEqual(neutral.organizer_email, "translator@example.com")
        self.assertEqual(neutral.odoo_id, event.id)

    def test_all_day_stop_is_exclusive_outside_and_inclusive_in_odoo(self):
        remote = SyncEvent(
            title="Offsite", start=dt.date(2026, 5, 4), stop=dt.date(2026, 5, 6), all_day=True
        )
        vals = self.Event._sync_vals_from_neutral(remote, {"title", "start", "stop"}, self.account)
        event = self.Event.create({**vals, "user_id": self.user.id})
        self.assertEqual(
            (event.start_date, event.stop_date), (dt.date(2026, 5, 4), dt.date(2026, 5, 5))
        )
        back = event._sync_to_neutral()
        self.assertEqual((back.start, back.stop, back.all_day), (remote.start, remote.stop, True))

    def test_one_day_all_day_event_keeps_its_single_day(self):
        remote = SyncEvent(
            title="Holiday", start=dt.date(2026, 12, 25), stop=dt.date(2026, 12, 26), all_day=True
        )
        vals = self.Event._sync_times_vals(remote)
        self.assertEqual((vals["start_date"], vals["stop_date"]), (dt.date(2026, 12, 25),) * 2)

    def test_attendees_reuse_users_and_contacts_and_create_the_rest(self):
        existing = self.env["res.partner"].create({"name": "Known", "email": "Known@Example.com"})
        remote = SyncEvent(
            title="Review",
            start=dt.datetime(2026, 3, 1, 9, tzinfo=UTC),
            stop=dt.datetime(2026, 3, 1, 10, tzinfo=UTC),
            attendees=(
                Attendee("colleague@example.com", "Colleague", Response.ACCEPTED),
                Attendee("known@example.com", "", Response.DECLINED),
                Attendee("new.person@example.org", "New Person", Response.TENTATIVE),
            ),
        )
        vals = self.Event._sync_vals_from_neutral(
            remote, {"title", "start", "stop", "attendees"}, self.account
        )
        event = self.Event.create({**vals, "user_id": self.user.id})
        event._sync_apply_attendee_states(remote)
        partners = event.partner_ids
        self.assertIn(self.colleague.partner_id, partners)
        self.assertIn(existing, partners)
        created = partners.filtered(lambda p: p.email == "new.person@example.org")
        self.assertEqual(created.name, "New Person")
        states = {a.partner_id: a.state for a in event.attendee_ids}
        self.assertEqual(states[self.colleague.partner_id], "accepted")
        self.assertEqual(states[existing], "declined")
        self.assertEqual(states[created], "tentative")

    def test_unknown_attendees_are_skipped_when_configured(self):
        self.env["ir.config_parameter"].set_param("calendar_sync.unknown_attendees", "skip")
        remote = SyncEvent(attendees=(Attendee("stranger@example.net"),))
        vals = self.Event._sync_vals_from_neutral(remote, {"attendees"}, self.account)
        self.assertEqual(vals["partner_ids"][0][2], self.user.partner_id.ids, "only the user")
        self.assertFalse(self.env["res.partner"].search([("email", "=", "stranger@example.net")]))

    def test_reminders_map_to_existing_or_new_alarms(self):
        remote = SyncEvent(reminders=(Reminder(15, "popup"), Reminder(2880, "email")))
        vals = self.Event._sync_vals_from_neutral(remote, {"reminders"}, self.account)
        alarms = self.env["calendar.alarm"].browse(vals["alarm_ids"][0][2])
        self.assertEqual(
            sorted((a.alarm_type, a.duration_minutes) for a in alarms),
            [("email", 2880), ("notification", 15)],
        )
        again = self.Event._sync_vals_from_neutral(remote, {"reminders"}, self.account)
        self.assertEqual(again["alarm_ids"], vals["alarm_ids"], "alarms are reused, not duplicated")

    def test_default_privacy_and_external_organizer(self):
        remote = SyncEvent(privacy=Privacy.DEFAULT, organizer_email="boss@elsewhere.com")
        vals = self.Event._sync_vals_from_neutral(
            remote, {"privacy", "organizer_email"}, self.account
        )
        self.assertFalse(vals["privacy"])
        self.assertFalse(vals["user_id"], "an organizer outside Odoo is not replaced by the user")
        own = SyncEvent(organizer_email="TRANSLATOR@example.com")
        vals = self.Event._sync_vals_from_neutral(own, {"organizer_email"}, self.account)
        self.assertEqual(vals["user_id"], self.user.id)
