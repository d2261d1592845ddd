import datetime as dt

from odoo.tests import tagged

from odoo.addons.calendar_sync_base.tests.contract_sync import SyncContract

from .common import MicrosoftSyncCase

BATCH_PATH = r"^/v1\.0/\$batch$"


@tagged("post_install", "-at_install")
class TestMicrosoftPull(MicrosoftSyncCase):
    def test_times_honour_windows_zones_and_all_day_dates(self):
        timed = self.microsoft.insert_event(
            self.email,
            {
                "subject": "In Brussels",
                "start": {"dateTime": "2027-07-01T09:00:00", "timeZone": "Romance Standard Time"},
                "end": {"dateTime": "2027-07-01T10:00:00", "timeZone": "Romance Standard Time"},
            },
        )
        allday = self.microsoft.insert_event(
            self.email,
            {
                "subject": "Holiday",
                "isAllDay": True,
                "start": {"dateTime": "2027-07-14T00:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2027-07-16T00:00:00", "timeZone": "UTC"},
            },
        )
        self.sync()
        self.assertEqual(self.linked(timed["id"]).start, dt.datetime(2027, 7, 1, 7))
        holiday = self.linked(allday["id"])
        self.assertTrue(holiday.allday)
        self.assertEqual(
            (holiday.start_date, holiday.stop_date), (dt.date(2027, 7, 14), dt.date(2027, 7, 15))
        )


@tagged("post_install", "-at_install")
class TestMicrosoftPush(MicrosoftSyncCase):
    def test_push_maps_every_field_through_batch(self):
        self.account.existing_guests_policy = "with_guests"  # first sync: invite the guests
        guest = self.env["res.partner"].create({"name": "Guest", "email": "guest@example.org"})
        event = self.odoo_event(
            "Design review",
            location="Lab",
            privacy="private",
            show_as="free",
            partner_ids=[(4, guest.id), (4, self.user.partner_id.id)],
        )
        counts = self.sync()
        self.assertEqual(counts.pushed_created, 1)
        self.assertTrue(self.microsoft.requests.filter(method="POST", path_regex=BATCH_PATH))
        link = event.sudo().sync_link_ids
        remote = self.microsoft.get_event(self.email, link.remote_id)
        self.assertEqual(remote["subject"], "Design review")
        self.assertEqual(remote["location"]["displayName"], "Lab")
        self.assertEqual((remote["sensitivity"], remote["showAs"]), ("private", "free"))
        self.assertIn(
            "guest@example.org", [a["emailAddress"]["address"] for a in remote["attendees"]]
        )
        start = dt.datetime.fromisoformat(remote["start"]["dateTime"][:19]).replace(
            tzinfo=dt.timezone.utc
        )
        self.assertEqual(start, event.start.replace(tzinfo=dt.timezone.utc))

    def test_45_creates_go_in_three_batches(self):
        self.env["ir.config_parameter"].set_param("calendar_sync.batch_size", 100)
        for index in range(45):
            self.odoo_event(f"Bulk {index}", hours_from_now=24 + index)
        self.microsoft.requests.clear()
        counts = self.sync()
        self.assertEqual(counts.pushed_created, 45)
        self.assertEqual(
            self.microsoft.requests.count(method="POST", path_regex=BATCH_PATH, in_batch=False), 3
        )


@tagged("post_install", "-at_install")
class TestMicrosoftCredentials(MicrosoftSyncCase):
    def test_refresh_rotates_and_keeps_the_cache(self):
        before = self.account.token_cache
        self.microsoft.expire_access_tokens(self.email)
        self.remote_event()
        self.sync()
        self.assertNotEqual(self.account.token_cache, before, "rotated tokens were stored")
        self.microsoft.expire_access_tokens(self.email)
        self.sync()

    def test_single_tenant_authority(self):
        self.env["ir.config_parameter"].set_param(
            "calendar_sync_microsoft.tenant", self.microsoft.tenant_id
        )
        self.microsoft.expire_access_tokens(self.email)
        self.remote_event(subject="Through my tenant")
        self.sync()
        self.assertTrue(self.env["calendar.event"].search([("name", "=", "Through my tenant")]))


@tagged("post_install", "-at_install")
class TestMicrosoftContractSync(SyncContract, MicrosoftSyncCase):
    """The sync contract every provider passes."""
