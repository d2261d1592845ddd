import datetime as dt
import itertools

from odoo.tests import tagged

from odoo.addons.calendar_sync_google.tests import common as google_common

from .common import MicrosoftSyncCase


@tagged("post_install", "-at_install")
class TestTwoCalendars(MicrosoftSyncCase):
    """A user connected to Outlook and to Google at once (needs calendar_sync_google, which
    the test run installs with this addon)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.google = google_common.start_emulator(cls)
        google_common.point_odoo_at(cls.env, cls.google)

    def setUp(self):
        super().setUp()
        self.outlook = self.account
        self.google.reset()
        self.google.add_account(self.email)
        access, refresh = self.google.issue_tokens(self.email)
        self.gmail = self.env["calendar.sync.account"].create(
            {
                "user_id": self.user.id,
                "provider": "google",
                "state": "connected",
                "refresh_token": refresh,
                "access_token": access,
            }
        )

    def sync_both(self):
        self.sync(self.gmail)
        self.sync(self.outlook)

    def google_titles(self):
        return sorted(item["summary"] for item in self.google.events(self.email))

    def calendars(self):
        """(Google titles, Outlook titles), live events only."""
        return self.google_titles(), self.remote_titles()

    def shared_event(self, name="Shared"):
        """An event created in Odoo and pushed to both calendars."""
        event = self.odoo_event(name)
        self.sync_both()
        self.assertEqual(self.calendars(), ([name], [name]))
        return event

    def event_in_both_calendars(self, name="Shared"):
        """The same meeting in both calendars: pulled from Outlook, then linked by Google's
        first sync (title and times match), so both links are pull links."""
        self.new_remote(name)
        self.sync(self.outlook)
        start = self.now + dt.timedelta(hours=24)
        self.google.insert_event(
            self.email,
            {
                "summary": name,
                "start": google_common.google_time(start),
                "end": google_common.google_time(start + dt.timedelta(hours=1)),
            },
        )
        self.sync(self.gmail)
        event = self.env["calendar.event"].search([("name", "=", name)])
        self.assertEqual(event.sudo().sync_link_ids.mapped("origin"), ["pull", "pull"])
        self.assertEqual(self.calendars(), ([name], [name]))
        return event

    def log_of(self, account, event, operation):
        return self.env["calendar.sync.log"].search(
            [
                ("account_id", "=", account.id),
                ("res_id", "=", event.id),
                ("res_model", "=", "calendar.event"),
                ("operation", "=", operation),
            ]
        )

    def test_revert_of_a_deletion_pulled_from_google_stays_in_google(self):
        remote = self.google.insert_event(
            self.email,
            {
                "summary": "From Google",
                "start": google_common.google_time(self.now + dt.timedelta(hours=30)),
                "end": google_common.google_time(self.now + dt.timedelta(hours=31)),
            },
        )
        self.sync_both()
        self.google.delete_event(self.email, remote["id"])
        self.sync_both()
        event = (
            self.env["calendar.event"]
            .with_context(active_test=False)
            .search([("name", "=", "From Google")])
        )
        self.assertFalse(event.active)
        log = self.log_of(self.gmail, event, "delete")
        self.assertEqual(
            log.revert_summary,
            "This will restore From Google in Odoo and create it again in Google.",
        )
        log.action_revert()
        self.sync_both()
        event.with_user(self.user).write({"location": "Room 4"})
        self.sync_both()
        self.assertEqual(self.calendars(), (["From Google"], []), "never sent to Outlook")
        self.assertEqual(len(event.exists()), 1)
        self.assertEqual(self.env["calendar.event"].search_count([("name", "=", "From Google")]), 1)

    def google_id(self, event):
        links = event.sudo().with_context(active_test=False).sync_link_ids
        return links.filtered(lambda link: link.provider == "google").remote_id

    def test_a_change_pulled_from_google_reaches_outlook(self):
        event = self.shared_event()
        self.google.patch_event(self.email, self.google_id(event), {"summary": "Renamed in Google"})
        self.sync(self.gmail)
        self.assertEqual(event.name, "Renamed in Google")
        self.sync(self.outlook)
        self.assertEqual(self.calendars(), (["Renamed in Google"], ["Renamed in Google"]))
        self.sync_both()
        self.assertEqual(self.sync(self.gmail).pushed, 0, "not echoed back to Google")

    def test_a_deletion_pulled_from_google_reaches_outlook(self):
        event = self.shared_event()
        self.google.delete_event(self.email, self.google_id(event))
        self.sync_both()
        self.assertFalse(event.active)
        self.assertEqual(self.calendars(), ([], []))

    def test_a_series_changed_in_google_reaches_outlook(self):
        event = self.odoo_event(
            "Standup", recurrency=True, rrule_type="daily", count=3, end_type="count"
        )
        self.sync_both()
        series = event.recurrence_id
        google_id = (
            series.sudo().sync_link_ids.filtered(lambda link: link.provider == "google").remote_id
        )
        self.google.patch_event(self.email, google_id, {"summary": "Daily standup"})
        self.sync_both()
        self.assertEqual(
            set(self.env["calendar.event"].search([("recurrence_id", "!=", False)]).mapped("name")),
            {"Daily standup"},
        )
        self.assertIn("Daily standup", self.remote_titles())
        self.assertNotIn("Standup", self.remote_titles())

    def test_revert_of_a_pulled_update_says_and_reaches_both_calendars(self):
        event = self.shared_event()
        google_id = (
            event.sudo().sync_link_ids.filtered(lambda link: link.provider == "google").remote_id
        )
        self.google.patch_event(self.email, google_id, {"summary": "Renamed in Google"})
        self.sync_both()
        self.assertEqual(event.name, "Renamed in Google")
        log = self.log_of(self.gmail, event, "update")
        self.assertEqual(
            log.revert_summary,
            "This will put back the previous Meeting Subject of Renamed in Google in Odoo and "
            "send it to Google and Outlook.",
        )
        log.action_revert()
        self.sync_both()
        self.assertEqual(self.calendars(), (["Shared"], ["Shared"]))

    def reset_google(self, delete_policy, sync_policy):
        wizard = (
            self.env["calendar.sync.reset.wizard"]
            .with_user(self.user)
            .create(
                {
                    "account_id": self.gmail.id,
                    "delete_policy": delete_policy,
                    "sync_policy": sync_policy,
                }
            )
        )
        self.assertEqual(wizard.shared_count, 1)
        wizard.action_reset()
        self.env.invalidate_all()
        _access, refresh = self.google.issue_tokens(self.email)
        self.gmail.write({"refresh_token": refresh, "state": "connected"})

    def check_reset(self, fixture, delete_policy, sync_policy):
        """Google is reset; the event is also in Outlook, which nothing may disturb."""
        event = fixture(self)
        self.reset_google(delete_policy, sync_policy)
        self.sync_both()
        self.sync_both()
        google_emptied = delete_policy in ("delete_remote", "delete_both") and sync_policy == "new"
        self.assertEqual(self.calendars(), ([] if google_emptied else ["Shared"], ["Shared"]))
        self.assertTrue(event.exists() and event.active, "Outlook still has it: Odoo keeps it")
        self.assertEqual(self.env["calendar.event"].search_count([("name", "=", "Shared")]), 1)
        providers = sorted(event.sudo().sync_link_ids.filtered("remote_id").mapped("provider"))
        self.assertEqual(providers, ["microsoft"] if google_emptied else ["google", "microsoft"])


def _reset_test(fixture, delete_policy, sync_policy):
    def test(self):
        self.check_reset(fixture, delete_policy, sync_policy)

    test.__name__ = f"test_reset_google_{delete_policy}_then_{sync_policy}_{fixture.__name__}"
    return test


for _fixture, _delete, _sync in itertools.product(
    (TestTwoCalendars.shared_event, TestTwoCalendars.event_in_both_calendars),
    ("dont_delete", "delete_remote", "delete_odoo", "delete_both"),
    ("new", "all"),
):
    _test = _reset_test(_fixture, _delete, _sync)
    setattr(TestTwoCalendars, _test.__name__, _test)
