import datetime as dt
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.calendar_sync_base.tests.common import SyncCaseMixin

from emulators.microsoft import MicrosoftEmulator, trusting

CLIENT_ID = "3f1c7c7e-0d6f-4b0e-9a55-odootest0001"
CLIENT_SECRET = "test-secret"
DELTA_PATH = "/calendarView/delta"
# Wide enough for every series the tests make (the emulator's default stops at its horizon).
SERIES_WINDOW = (
    dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
    dt.datetime(2035, 1, 1, tzinfo=dt.timezone.utc),
)
# What Outlook changes on every write, whoever writes.
SERVER_FIELDS = {"changeKey", "@odata.etag", "lastModifiedDateTime"}
TOKYO_EVENT = {
    "subject": "Supplier call",
    "start": {"dateTime": "2027-02-10T18:00:00", "timeZone": "Tokyo Standard Time"},
    "end": {"dateTime": "2027-02-10T19:00:00", "timeZone": "Tokyo Standard Time"},
    "location": {
        "displayName": "Supplier HQ",
        "address": {"street": "1-1 Marunouchi", "city": "Tokyo", "countryOrRegion": "Japan"},
    },
    "attendees": [
        {"type": "optional", "emailAddress": {"address": "bob@example.org", "name": "Bob"}},
        {"type": "resource", "emailAddress": {"address": "room@example.org", "name": "Room"}},
    ],
}


def start_emulator(case_class):
    """Microsoft's emulator over TLS, trusted by this process for the class's duration."""
    microsoft = MicrosoftEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET).start()
    case_class.addClassCleanup(microsoft.stop)
    trust = trusting(microsoft.ca_path)
    trust.__enter__()
    case_class.addClassCleanup(trust.__exit__, None, None, None)
    return microsoft


def point_odoo_at(env, microsoft):
    params = env["ir.config_parameter"].sudo()
    for key, value in {
        "calendar_sync_microsoft.enabled": "True",
        "calendar_sync_microsoft.client_id": CLIENT_ID,
        "calendar_sync_microsoft.client_secret": CLIENT_SECRET,
        "calendar_sync_microsoft.tenant": "common",
        "calendar_sync_microsoft.authority_host": microsoft.url,
        "calendar_sync_microsoft.graph_endpoint": microsoft.url,
    }.items():
        params.set_param(key, value)


def graph_time(moment, zone="UTC"):
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": zone}


class MicrosoftSyncCase(SyncCaseMixin, TransactionCase):
    """A user connected to the Microsoft emulator through the real msal flow; the contract
    suites' adapter (documented in ``SyncCaseMixin``)."""

    email = "alice@example.com"
    provider_label = "Outlook"
    revoked_grant_detail = "invalid_grant"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.microsoft = start_emulator(cls)
        point_odoo_at(cls.env, cls.microsoft)
        cls.user = new_test_user(
            cls.env,
            login="alice_ms",
            email=cls.email,
            tz="Europe/Brussels",
            groups="base.group_user",
        )
        cls.now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, second=0, minute=0)

    def setUp(self):
        super().setUp()
        self.microsoft.reset()
        self.microsoft.auto_approve = True
        self.microsoft.add_account(self.email, "Alice", time_zone="Romance Standard Time")
        self.account = self.connect(self.user)

    def new_remote(self, title, hours_from_now=24):
        return self.remote_event(hours_from_now, subject=title)["id"]

    def new_invitation(self, title, organizer, hours_from_now=24):
        start = self.now + dt.timedelta(hours=hours_from_now)
        body = {
            "subject": title,
            "start": graph_time(start),
            "end": graph_time(start + dt.timedelta(hours=1)),
        }
        return self.microsoft.insert_event(self.email, body, organizer=organizer)["id"]

    def remote_title(self, remote_id):
        return self.microsoft.get_event(self.email, remote_id)["subject"]

    def set_remote_title(self, remote_id, title):
        self.microsoft.patch_event(self.email, remote_id, {"subject": title})

    def remote_location(self, remote_id):
        return self.microsoft.get_event(self.email, remote_id)["location"]["displayName"]

    def set_remote_location(self, remote_id, location):
        self.microsoft.patch_event(self.email, remote_id, {"location": {"displayName": location}})

    def my_remote_answer(self, remote_id):
        return self.microsoft.get_event(self.email, remote_id)["responseStatus"]["response"]

    def delete_remote(self, remote_id):
        self.microsoft.delete_event(self.email, remote_id)

    def remote_exists(self, remote_id):
        return self.microsoft.get_event(self.email, remote_id) is not None

    def remote_titles(self):
        return sorted(item["subject"] for item in self.microsoft.events(self.email))

    def new_full_remote(self):
        return self.remote_event(
            subject="Quarterly review",
            body={"contentType": "html", "content": "<p>Agenda: <b>numbers</b></p>"},
            location={"displayName": "Room 4"},
            sensitivity="private",
            showAs="free",
            isReminderOn=True,
            reminderMinutesBeforeStart=15,
            attendees=[
                {
                    "type": "required",
                    "emailAddress": {"address": "bob@example.org", "name": "Bob"},
                    "status": {"response": "tentativelyAccepted"},
                },
            ],
            isOnlineMeeting=True,
        )["id"]

    def new_rich_remote(self):
        return self.microsoft.insert_event(self.email, TOKYO_EVENT)["id"]

    def remote_resource(self, remote_id):
        resource = self.microsoft.get_event(self.email, remote_id)
        return {
            key: value for key, value in resource.items() if key not in SERVER_FIELDS | {"subject"}
        }

    def remote_guests(self, remote_id):
        return {
            attendee["emailAddress"]["address"]: (
                attendee["type"],
                attendee.get("status", {}).get("response"),
            )
            for attendee in self.microsoft.get_event(self.email, remote_id)["attendees"]
            if attendee["emailAddress"]["address"] != self.email
        }

    def new_remote_series(self, title, first_day, count):
        zone = "Romance Standard Time"
        body = {
            "subject": title,
            "start": {"dateTime": f"{first_day}T09:00:00", "timeZone": zone},
            "end": {"dateTime": f"{first_day}T09:30:00", "timeZone": zone},
            "recurrence": {
                "pattern": {"type": "daily", "interval": 1},
                "range": {
                    "type": "numbered",
                    "startDate": str(first_day),
                    "numberOfOccurrences": count,
                    "recurrenceTimeZone": zone,
                },
            },
        }
        return self.microsoft.insert_event(self.email, body)["id"]

    def remote_occurrences(self, master_id):
        # The emulator renders times in UTC.
        return sorted(
            (dt.datetime.fromisoformat(item["start"]["dateTime"][:19]), item["subject"])
            for item in self.microsoft.instances(self.email, master_id, *SERIES_WINDOW)
        )

    def move_remote_occurrence(self, master_id, original_start, new_start, title):
        [occurrence] = [
            item
            for item in self.microsoft.instances(self.email, master_id, *SERIES_WINDOW)
            if dt.datetime.fromisoformat(item["start"]["dateTime"][:19]) == original_start
        ]
        start = dt.datetime.fromisoformat(occurrence["start"]["dateTime"][:19])
        length = dt.datetime.fromisoformat(occurrence["end"]["dateTime"][:19]) - start
        self.microsoft.patch_event(
            self.email,
            occurrence["id"],
            {
                "subject": title,
                "start": graph_time(new_start),
                "end": graph_time(new_start + length),
            },
        )

    def revoke_grant(self):
        self.microsoft.revoke_sessions(self.email)
        self.microsoft.expire_access_tokens(self.email)

    def holds_grant(self):
        return bool(self.account.sudo().token_cache)

    def reconnect(self):
        self.account = self.connect(self.user)

    def expire_cursor(self):
        self.microsoft.expire_delta_tokens(self.email)

    def throttle_next_push(self):
        self.microsoft.faults.mailbox_concurrency(times=1, retry_after=0)

    def refuse_updates(self, remote_id):
        # Graph's ErrorAccessDenied on every edit of this event.
        return self.microsoft.faults.add(
            status=403, method="PATCH", path_regex=f"/events/{remote_id}$", times=None
        )

    def stop_refusing(self, handle):
        self.microsoft.faults.remove(handle)

    def drop_next_batch(self):
        self.microsoft.faults.add(
            drop_connection=True, method="POST", path_regex=r"/\$batch$", times=None
        )

    def break_configuration(self):
        self.env["ir.config_parameter"].set_param("calendar_sync_microsoft.client_id", "")

    def repair_configuration(self):
        self.env["ir.config_parameter"].set_param("calendar_sync_microsoft.client_id", CLIENT_ID)

    def forget_requests(self):
        self.microsoft.requests.clear()

    def listings(self):
        return self.microsoft.requests.filter(method="GET", path_regex=DELTA_PATH)

    def incremental(self, listing):
        return bool(listing.arg("$deltatoken") or listing.arg("$skiptoken"))

    def resumed(self, listing):
        return bool(listing.arg("$skiptoken"))

    def updates_sent(self):
        return len(self.microsoft.requests.filter(method="PATCH"))

    def connect(self, user, login_hint=None):
        """Consent as ``user`` through msal against the emulator, as the OAuth routes do
        (``login_hint``: the Microsoft account to sign in with, else the emulator's first)."""
        accounts = self.env["calendar.sync.account"].with_user(user)
        flow = accounts._microsoft_start_flow()
        hint = {"login_hint": login_hint} if login_hint else {}
        answer = requests.get(flow["auth_uri"], params=hint, allow_redirects=False, timeout=10)
        query = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
        return accounts._microsoft_connect(flow, query).sudo()

    def remote_event(self, hours_from_now=24, duration=1, **body):
        start = self.now + dt.timedelta(hours=hours_from_now)
        stop = start + dt.timedelta(hours=duration)
        return self.microsoft.insert_event(
            self.email,
            {
                "subject": "Remote meeting",
                "start": graph_time(start),
                "end": graph_time(stop),
                **body,
            },
        )
