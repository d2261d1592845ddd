import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.calendar_sync_base.tests.common import SyncCaseMixin
from odoo.addons.calendar_sync_test.models.calendar_sync_provider_fake import SERVER_PARAM

from calendar_sync_base.services.model import (
    UTC,
    Attendee,
    Privacy,
    Recurrence,
    Reminder,
    Response,
    ShowAs,
    SyncEvent,
)
from calendar_sync_test.services.fake_calendar import SERVER, instance_id

PROVIDER = "fake"
FAKE_SERVER = "fake.example.com"
# What the service changes on every write, whoever writes.
SERVER_FIELDS = {"etag", "last_modified"}


def point_odoo_at_the_fake_server(env):
    params = env["ir.config_parameter"].sudo()
    params.set_param("calendar_sync_fake.enabled", "True")
    params.set_param(SERVER_PARAM, FAKE_SERVER)


def guest_kind(attendee):
    if attendee.resource:
        return "resource"
    return "optional" if attendee.optional else "required"


class FakeSyncCase(SyncCaseMixin, TransactionCase):
    """A user connected to the in-memory fake calendar, synced on demand; the contract
    suites' adapter (documented in ``SyncCaseMixin``)."""

    provider = PROVIDER
    provider_label = "Fake Calendar"
    revoked_grant_detail = "invalid_grant"
    email = "alice@example.com"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        point_odoo_at_the_fake_server(cls.env)
        cls.user = new_test_user(cls.env, login="alice_fake", email=cls.email, tz="Europe/Brussels")
        cls.now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, second=0, minute=0)

    def setUp(self):
        super().setUp()
        SERVER.reset()
        self.addCleanup(SERVER.reset)
        self.remote = SERVER.calendar(self.email)
        self.account = self.connect(self.user)

    def connect(self, user):
        """A connection of ``user`` holding a grant of the service to their mailbox."""
        return self.env["calendar.sync.account"].create(
            {
                "user_id": user.id,
                "provider": PROVIDER,
                "state": "connected",
                "remote_email": user.email,
                "access_token": SERVER.grant(user.email),
            }
        )

    # ------------------------------------------------------------------ the remote calendar

    def new_remote(self, title, hours_from_now=24):
        start = self.now + dt.timedelta(hours=hours_from_now)
        event = SyncEvent(
            title=title,
            start=start,
            stop=start + dt.timedelta(hours=1),
            organizer_email=self.email,
        )
        return self.remote.insert(event).remote_id

    def new_invitation(self, title, organizer, hours_from_now=24):
        start = self.now + dt.timedelta(hours=hours_from_now)
        event = SyncEvent(
            title=title,
            start=start,
            stop=start + dt.timedelta(hours=1),
            organizer_email=organizer,
            attendees=(
                Attendee(organizer, response=Response.ACCEPTED, organizer=True),
                Attendee(self.email),
            ),
        )
        return self.remote.insert(event).remote_id

    def remote_title(self, remote_id):
        return self.remote.get(remote_id).title

    def set_remote_title(self, remote_id, title):
        self.remote.patch(remote_id, title=title)

    def remote_location(self, remote_id):
        return self.remote.get(remote_id).location

    def set_remote_location(self, remote_id, location):
        self.remote.patch(remote_id, location=location)

    def my_remote_answer(self, remote_id):
        [mine] = [a for a in self.remote.get(remote_id).attendees if a.email == self.email]
        return mine.response.value

    def delete_remote(self, remote_id):
        self.remote.delete(remote_id)

    def remote_exists(self, remote_id):
        event = self.remote.get(remote_id)
        return bool(event) and not event.cancelled

    def remote_titles(self):
        return sorted(event.title for event in self.remote.live())

    def new_full_remote(self):
        event = SyncEvent(
            title="Quarterly review",
            start=self.now + dt.timedelta(hours=24),
            stop=self.now + dt.timedelta(hours=25),
            description="<p>Agenda: <b>numbers</b></p>",
            location="Room 4",
            privacy=Privacy.PRIVATE,
            show_as=ShowAs.FREE,
            organizer_email=self.email,
            attendees=(
                Attendee(self.email, response=Response.ACCEPTED, organizer=True),
                Attendee("bob@example.org", "Bob", response=Response.TENTATIVE),
            ),
            reminders=(Reminder(15),),
            video_url="https://meet.example/abc",
        )
        return self.remote.insert(event).remote_id

    def new_rich_remote(self):
        start = dt.datetime(2027, 2, 10, 9, tzinfo=dt.timezone.utc)  # 18:00 in Tokyo
        event = SyncEvent(
            title="Supplier call",
            start=start,
            stop=start + dt.timedelta(hours=1),
            timezone="Asia/Tokyo",
            location="Room 4",
            organizer_email=self.email,
            attendees=(
                Attendee(self.email, response=Response.ACCEPTED, organizer=True),
                Attendee("bob@example.org", response=Response.TENTATIVE, optional=True),
                Attendee("room@example.org", response=Response.ACCEPTED, resource=True),
            ),
        )
        return self.remote.insert(event).remote_id

    def remote_resource(self, remote_id):
        resource = dataclasses.asdict(self.remote.get(remote_id))
        return {
            key: value for key, value in resource.items() if key not in SERVER_FIELDS | {"title"}
        }

    def remote_guests(self, remote_id):
        return {
            attendee.email: (guest_kind(attendee), attendee.response.value)
            for attendee in self.remote.get(remote_id).attendees
            if attendee.email != self.email
        }

    def new_remote_series(self, title, first_day, count):
        zone = "Europe/Brussels"
        start = dt.datetime.combine(first_day, dt.time(9), ZoneInfo(zone)).astimezone(UTC)
        event = SyncEvent(
            title=title,
            start=start,
            stop=start + dt.timedelta(minutes=30),
            timezone=zone,
            organizer_email=self.email,
            recurrence=Recurrence(f"FREQ=DAILY;COUNT={count}"),
        )
        return self.remote.insert(event).remote_id

    def remote_occurrences(self, master_id):
        return sorted(
            (event.start.astimezone(UTC).replace(tzinfo=None), event.title)
            for event in self.remote.occurrences(master_id)
        )

    def move_remote_occurrence(self, master_id, original_start, new_start, title):
        # Times come as naive UTC, as the other adapters take them.
        original_start = original_start.replace(tzinfo=UTC)
        occurrence = self.remote.get(instance_id(master_id, original_start))
        start = new_start.replace(tzinfo=UTC)
        self.remote.patch(
            occurrence.remote_id,
            title=title,
            start=start,
            stop=start + (occurrence.stop - occurrence.start),
        )

    # ------------------------------------------------------------------ what the service does

    def revoke_grant(self):
        SERVER.revoke(self.email)

    def holds_grant(self):
        return bool(self.account.sudo().access_token)

    def reconnect(self):
        self.account.write({"access_token": SERVER.grant(self.email), "state": "connected"})

    def expire_cursor(self):
        self.remote.expire_cursors()

    def throttle_next_push(self):
        self.remote.throttled_pushes = 1

    def refuse_updates(self, remote_id):
        self.remote.refused_updates.add(remote_id)
        return remote_id

    def stop_refusing(self, handle):
        self.remote.refused_updates.discard(handle)

    def drop_next_batch(self):
        self.remote.unanswered_pushes = True

    def break_configuration(self):
        self.env["ir.config_parameter"].set_param(SERVER_PARAM, "")

    def repair_configuration(self):
        self.env["ir.config_parameter"].set_param(SERVER_PARAM, FAKE_SERVER)

    # ------------------------------------------------------------------ what Odoo sent

    def forget_requests(self):
        self.remote.requests.clear()

    def listings(self):
        return [request for request in self.remote.requests if request.kind == "list"]

    def incremental(self, listing):
        return bool(listing.cursor)

    def resumed(self, listing):
        return bool(listing.page_token)

    def updates_sent(self):
        return sum(request.kind == "update" for request in self.remote.requests)
