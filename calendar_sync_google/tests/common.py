import datetime as dt

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.calendar_sync_base.tests.common import SyncCaseMixin

from emulators.google import GoogleEmulator
from emulators.google.errors import error_body

__all__ = ["GoogleEmulator", "error_body"]

CLIENT_ID = "odoo-test-client.apps.googleusercontent.com"
CLIENT_SECRET = "test-secret"
EVENTS_PATH = r"^/calendar/v3/calendars/[^/]+/events$"
# What Google changes on every write, whoever writes.
SERVER_FIELDS = {"etag", "updated", "sequence"}
TOKYO_EVENT = {
    "summary": "Supplier call",
    "start": {"dateTime": "2027-02-10T18:00:00+09:00", "timeZone": "Asia/Tokyo"},
    "end": {"dateTime": "2027-02-10T19:00:00+09:00", "timeZone": "Asia/Tokyo"},
    "location": "Room 4",
    "attendees": [
        {"email": "alice@example.com", "responseStatus": "accepted", "organizer": True},
        {"email": "bob@example.org", "optional": True, "responseStatus": "tentative"},
        {"email": "room@example.org", "resource": True, "responseStatus": "accepted"},
    ],
    "reminders": {"useDefault": True},
    "conferenceData": {
        "conferenceId": "abc-defg-hij",
        "entryPoints": [{"entryPointType": "video", "uri": "https://meet.example/abc-defg-hij"}],
    },
}


def google_params(google):
    """The settings that point Odoo at the ``google`` emulator."""
    return {
        "calendar_sync_google.enabled": "True",
        "calendar_sync_google.client_id": CLIENT_ID,
        "calendar_sync_google.client_secret": CLIENT_SECRET,
        "calendar_sync_google.auth_endpoint": f"{google.url}/o/oauth2/v2/auth",
        "calendar_sync_google.token_endpoint": f"{google.url}/token",
        "calendar_sync_google.api_base": f"{google.url}/calendar/v3",
        "calendar_sync_google.batch_url": f"{google.url}/batch/calendar/v3",
    }


def point_odoo_at(env, google):
    params = env["ir.config_parameter"].sudo()
    for key, value in google_params(google).items():
        params.set_param(key, value)


def start_emulator(case_class):
    google = GoogleEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET).start()
    case_class.addClassCleanup(google.stop)
    return google


def google_time(moment):
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}


def utc_naive(date_time):
    """Google's RFC 3339 time as Odoo stores it."""
    moment = dt.datetime.fromisoformat(date_time.replace("Z", "+00:00"))
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def guest_kind(attendee):
    if attendee.get("resource"):
        return "resource"
    return "optional" if attendee.get("optional") else "required"


class GoogleSyncCase(SyncCaseMixin, TransactionCase):
    """A user with a connected Google account on the emulator, synced on demand; the
    contract suites' adapter (documented in ``SyncCaseMixin``)."""

    email = "alice@example.com"
    provider_label = "Google"
    revoked_grant_detail = "invalid_grant"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.google = start_emulator(cls)
        point_odoo_at(cls.env, cls.google)
        cls.user = new_test_user(
            cls.env, login="alice", email=cls.email, tz="Europe/Brussels", groups="base.group_user"
        )
        cls.now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, second=0, minute=0)

    def setUp(self):
        super().setUp()
        self.google.reset()
        self.google.add_account(self.email, time_zone="Europe/Brussels")
        self.access_token, self.refresh_token = self.google.issue_tokens(self.email)
        self.account = self.connect(self.user, self.refresh_token, self.access_token)

    def new_remote(self, title, hours_from_now=24):
        return self.remote_event(hours_from_now, summary=title)["id"]

    def new_invitation(self, title, organizer, hours_from_now=24):
        start = self.now + dt.timedelta(hours=hours_from_now)
        body = {
            "summary": title,
            "start": google_time(start),
            "end": google_time(start + dt.timedelta(hours=1)),
            "attendees": [
                {"email": organizer, "responseStatus": "accepted"},
                {"email": self.email, "responseStatus": "needsAction"},
            ],
        }
        return self.google.insert_event(self.email, body, organizer=organizer)["id"]

    def remote_title(self, remote_id):
        return self.google.get_event(self.email, remote_id)["summary"]

    def set_remote_title(self, remote_id, title):
        self.google.patch_event(self.email, remote_id, {"summary": title})

    def remote_location(self, remote_id):
        return self.google.get_event(self.email, remote_id)["location"]

    def set_remote_location(self, remote_id, location):
        self.google.patch_event(self.email, remote_id, {"location": location})

    def my_remote_answer(self, remote_id):
        [mine] = [
            attendee["responseStatus"]
            for attendee in self.google.get_event(self.email, remote_id)["attendees"]
            if attendee["email"] == self.email
        ]
        return mine

    def delete_remote(self, remote_id):
        self.google.delete_event(self.email, remote_id)

    def remote_exists(self, remote_id):
        event = self.google.get_event(self.email, remote_id)
        return bool(event) and event.get("status") != "cancelled"

    def remote_titles(self):
        return sorted(item["summary"] for item in self.google.events(self.email))

    def new_full_remote(self):
        return self.remote_event(
            summary="Quarterly review",
            description="<p>Agenda: <b>numbers</b></p>",
            location="Room 4",
            visibility="private",
            transparency="transparent",
            attendees=[
                {"email": self.email, "responseStatus": "accepted"},
                {"email": "bob@example.org", "displayName": "Bob", "responseStatus": "tentative"},
            ],
            reminders={"useDefault": False, "overrides": [{"method": "popup", "minutes": 15}]},
            conferenceData={
                "entryPoints": [{"entryPointType": "video", "uri": "https://meet.example/abc"}]
            },
        )["id"]

    def new_rich_remote(self):
        return self.google.insert_event(self.email, TOKYO_EVENT)["id"]

    def remote_resource(self, remote_id):
        resource = self.google.get_event(self.email, remote_id)
        return {
            key: value for key, value in resource.items() if key not in SERVER_FIELDS | {"summary"}
        }

    def remote_guests(self, remote_id):
        return {
            attendee["email"]: (guest_kind(attendee), attendee.get("responseStatus"))
            for attendee in self.google.get_event(self.email, remote_id)["attendees"]
            if attendee["email"] != self.email
        }

    def new_remote_series(self, title, first_day, count):
        body = {
            "summary": title,
            "start": {"dateTime": f"{first_day}T09:00:00", "timeZone": "Europe/Brussels"},
            "end": {"dateTime": f"{first_day}T09:30:00", "timeZone": "Europe/Brussels"},
            "recurrence": [f"RRULE:FREQ=DAILY;COUNT={count}"],
        }
        return self.google.insert_event(self.email, body)["id"]

    def remote_occurrences(self, master_id):
        return sorted(
            (utc_naive(item["start"]["dateTime"]), item["summary"])
            for item in self.google.instances(self.email, master_id)
        )

    def move_remote_occurrence(self, master_id, original_start, new_start, title):
        instance_id = f"{master_id}_{original_start:%Y%m%dT%H%M%SZ}"
        instance = self.google.get_event(self.email, instance_id)
        length = utc_naive(instance["end"]["dateTime"]) - utc_naive(instance["start"]["dateTime"])
        self.google.patch_event(
            self.email,
            instance_id,
            {
                "summary": title,
                "start": google_time(new_start),
                "end": google_time(new_start + length),
            },
        )

    def revoke_grant(self):
        self.google.revoke(self.refresh_token)
        self.account.access_token = False

    def holds_grant(self):
        return bool(self.account.sudo().refresh_token)

    def reconnect(self):
        _access, refresh = self.google.issue_tokens(self.email)
        self.account.write({"refresh_token": refresh, "state": "connected"})

    def expire_cursor(self):
        self.google.expire_sync_tokens(self.email)

    def throttle_next_push(self):
        self.google.faults.rate_limit(times=1, reason="userRateLimitExceeded", method="POST")

    def refuse_updates(self, remote_id):
        # Ownership moved to someone else in Google: every edit of ours is refused.
        return self.google.faults.add(
            status=403,
            body=error_body(403, "forbiddenForNonOrganizer", "Shared properties can only be "
                            "changed by the organizer of the event."),
            method="PATCH",
            path_regex=f"/events/{remote_id}$",
            times=None,
        )  # fmt: skip

    def stop_refusing(self, handle):
        self.google.faults.remove(handle)

    def drop_next_batch(self):
        self.google.faults.add(
            drop_connection=True, method="POST", path_regex="^/batch/", times=None
        )

    def break_configuration(self):
        self.env["ir.config_parameter"].set_param("calendar_sync_google.client_id", "")

    def repair_configuration(self):
        self.env["ir.config_parameter"].set_param("calendar_sync_google.client_id", CLIENT_ID)

    def forget_requests(self):
        self.google.requests.clear()

    def listings(self):
        return self.google.requests.filter(method="GET", path_regex=EVENTS_PATH)

    def incremental(self, listing):
        if listing.arg("syncToken"):
            self.assertFalse(listing.arg("timeMin"), "a sync token goes without a window")
        return bool(listing.arg("syncToken"))

    def resumed(self, listing):
        return bool(listing.arg("pageToken"))

    def updates_sent(self):
        return len(self.google.requests.filter(method="PATCH"))

    def connect(self, user, refresh_token, access_token=""):
        return self.env["calendar.sync.account"].create(
            {
                "user_id": user.id,
                "provider": "google",
                "state": "connected",
                "refresh_token": refresh_token,
                "access_token": access_token,
            }
        )

    def remote_event(self, hours_from_now=24, duration=1, **body):
        start = self.now + dt.timedelta(hours=hours_from_now)
        stop = start + dt.timedelta(hours=duration)
        return self.google.insert_event(
            self.email,
            {
                "summary": "Remote meeting",
                "start": google_time(start),
                "end": google_time(stop),
                **body,
            },
        )
