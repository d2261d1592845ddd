import datetime as dt

from exchangelib import BASIC, DELEGATE, Account, CalendarItem, Configuration, Credentials
from exchangelib.ewsdatetime import EWSDateTime, EWSTimeZone
from exchangelib.items import SEND_TO_ALL_AND_SAVE_COPY, SEND_TO_NONE
from exchangelib.properties import Attendee, HTMLBody, Mailbox
from exchangelib.recurrence import DailyPattern, Recurrence

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.calendar_sync_base.tests.common import SyncCaseMixin

from calendar_sync_exchange.services.ews_mapper import RESPONSE_TO_GRAPH
from emulators.ews import EwsEmulator

PROVIDER = "exchange"
SERVICE = "admin@example.com"
PASSWORDS = {SERVICE: "admin-pw", "alice@example.com": "alice-pw", "bob@example.com": "bob-pw"}
ORGANIZER_PASSWORD = "organizer-pw"  # mailboxes made for someone else's invitations
# What Exchange changes on every write of an item (left out of remote_resource; the item id
# ``_id`` carries the change key).
SERVER_FIELDS = {"_id", "changekey", "last_modified_time", "subject"}
ATTENDEE_KINDS = {
    "required_attendees": "required",
    "optional_attendees": "optional",
    "resources": "resource",
}
UTC = EWSTimeZone("UTC")
BRUSSELS = EWSTimeZone("Europe/Brussels")


def seed(ews):
    """The service account (may impersonate), alice and bob."""
    ews.add_mailbox(SERVICE, PASSWORDS[SERVICE], "Exchange Admin", can_impersonate=True)
    ews.add_mailbox("alice@example.com", PASSWORDS["alice@example.com"], "Alice")
    ews.add_mailbox("bob@example.com", PASSWORDS["bob@example.com"], "Bob")


def point_odoo_at(env, ews, access="impersonation"):
    """Outlook on with the EWS backend: Basic over loopback http, the service account."""
    params = env["ir.config_parameter"].sudo()
    for key, value in {
        "calendar_sync_exchange.enabled": "True",
        "calendar_sync_exchange.backend": "ews",
        "calendar_sync_exchange.ews_url": ews.endpoint,
        "calendar_sync_exchange.auth": "basic",
        "calendar_sync_exchange.access": access,
        "calendar_sync_exchange.username": SERVICE,
        "calendar_sync_exchange.password": PASSWORDS[SERVICE],
    }.items():
        params.set_param(key, value)


def mailbox(ews, smtp):
    """``smtp``'s own mailbox through exchangelib (what Outlook does on the other side)."""
    config = Configuration(
        service_endpoint=ews.endpoint,
        credentials=Credentials(smtp, PASSWORDS.get(smtp, ORGANIZER_PASSWORD)),
        auth_type=BASIC,
        max_connections=2,
    )
    return Account(smtp, config=config, autodiscover=False, access_type=DELEGATE)


def operations(ews, name):
    """The requests of one EWS operation the emulator answered."""
    return [request for request in ews.requests if request.context.get("operation") == name]


class ExchangeSyncCase(SyncCaseMixin, TransactionCase):
    """A user connected to the EWS emulator by impersonation (the side panel's button)."""

    provider = PROVIDER
    provider_label = "Exchange Server"
    email = "alice@example.com"
    revoked_grant_detail = "Exchange refused the login"
    refused_update_detail = "ErrorItemSave"
    # _sync_cursor_max_age is None: a sync state holds no listing window, so there is no
    # periodic full listing to restart an old cursor with.
    relists_periodically = False
    # The online meeting URL is not read through EWS (see ews_mapper's docstring).
    maps_video_links = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ews = EwsEmulator().start()
        cls.addClassCleanup(cls.ews.stop)
        point_odoo_at(cls.env, cls.ews)
        cls.user = new_test_user(
            cls.env,
            login="alice_ews",
            email=cls.email,
            tz="Europe/Brussels",
            groups="base.group_user",
        )
        cls.now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, second=0, minute=0)

    def setUp(self):
        super().setUp()
        self.ews.reset()
        seed(self.ews)
        self.outlook = mailbox(self.ews, self.email)
        self.account = self.connect(self.user)

    def connect(self, user):
        """The side panel's button: connected at once by the user's e-mail address."""
        answer = self.env["calendar.sync.account"].with_user(user).action_sync_button(PROVIDER)
        self.assertEqual(answer["status"], "action", answer)
        return self.env["calendar.sync.account"].search(
            [("user_id", "=", user.id), ("provider", "=", PROVIDER)]
        )

    # ------------------------------------------------------------------ remote helpers

    def item(self, remote_id):
        return self.outlook.calendar.get(id=remote_id)

    def remote_event(self, title="Remote meeting", hours_from_now=24, duration=1, **fields):
        start = self.now + dt.timedelta(hours=hours_from_now)
        item = CalendarItem(
            account=self.outlook,
            folder=self.outlook.calendar,
            subject=title,
            start=EWSDateTime.from_datetime(start).astimezone(UTC),
            end=EWSDateTime.from_datetime(start + dt.timedelta(hours=duration)).astimezone(UTC),
            **fields,
        )
        item.save(send_meeting_invitations=SEND_TO_NONE)
        return item

    def new_remote(self, title, hours_from_now=24):
        return self.remote_event(title, hours_from_now).id

    def new_invitation(self, title, organizer, hours_from_now=24):
        """``organizer``'s meeting (his own mailbox, made if needed) sent to the user: the
        user's remote id is the copy Exchange delivered to their calendar."""
        if organizer not in self.ews.store.mailboxes:
            self.ews.add_mailbox(organizer, ORGANIZER_PASSWORD)
        theirs = mailbox(self.ews, organizer)
        start = self.now + dt.timedelta(hours=hours_from_now)
        item = CalendarItem(
            account=theirs,
            folder=theirs.calendar,
            subject=title,
            start=EWSDateTime.from_datetime(start).astimezone(UTC),
            end=EWSDateTime.from_datetime(start + dt.timedelta(hours=1)).astimezone(UTC),
            required_attendees=[Attendee(mailbox=Mailbox(email_address=self.email))],
        )
        item.save(send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
        uid = theirs.calendar.get(id=item.id).uid
        [copy] = [i for i in self.outlook.calendar.all().only("id", "uid") if i.uid == uid]
        return copy.id

    def my_remote_answer(self, remote_id):
        return RESPONSE_TO_GRAPH[self.item(remote_id).my_response_type]

    def new_full_remote(self):
        """Every field EWS maps (no video link: ``maps_video_links``)."""
        bob = Mailbox(email_address="bob@example.org", name="Bob")
        return self.remote_event(
            "Quarterly review",
            body=HTMLBody("<p>Agenda: <b>numbers</b></p>"),
            location="Room 4",
            sensitivity="Private",
            legacy_free_busy_status="Free",
            required_attendees=[Attendee(mailbox=bob, response_type="Tentative")],
            reminder_is_set=True,
            reminder_minutes_before_start=15,
        ).id

    def new_rich_remote(self):
        """ "Supplier call" in Tokyo's zone, with an optional guest and a room."""
        start = EWSDateTime(2027, 2, 10, 18, tzinfo=EWSTimeZone("Asia/Tokyo"))
        item = CalendarItem(
            account=self.outlook,
            folder=self.outlook.calendar,
            subject="Supplier call",
            start=start,
            end=start + dt.timedelta(hours=1),
            location="Shinagawa office, 3F",
            required_attendees=[Attendee(mailbox=Mailbox(email_address="bob@example.com"))],
            optional_attendees=[Attendee(mailbox=Mailbox(email_address="dan@example.net"))],
            resources=[Attendee(mailbox=Mailbox(email_address="room-3f@example.com"))],
        )
        item.save(send_meeting_invitations=SEND_TO_NONE)
        return item.id

    def remote_resource(self, remote_id):
        item = self.item(remote_id)
        held = {f.name: getattr(item, f.name) for f in item.FIELDS if f.name not in SERVER_FIELDS}
        return {**held, "id": item.id}

    def remote_guests(self, remote_id):
        item = self.item(remote_id)
        return {
            attendee.mailbox.email_address: (kind, attendee.response_type)
            for field, kind in ATTENDEE_KINDS.items()
            for attendee in getattr(item, field) or ()
            if attendee.mailbox.email_address != self.email
        }

    def remote_title(self, remote_id):
        return self.item(remote_id).subject

    def edit_remote(self, remote_id, **fields):
        """Someone else's edit in Outlook. Exchange keeps LastModifiedTime to the second and
        Odoo's write_date is its transaction's start, which a test's whole run shares: the
        emulator's clock moves a second on, so the edit is newer than any Odoo write before
        it in the test, as it is outside a test transaction."""
        self.ews.advance(1)
        item = self.item(remote_id)
        for name, value in fields.items():
            setattr(item, name, value)
        item.save(update_fields=list(fields), send_meeting_invitations=SEND_TO_NONE)

    def set_remote_title(self, remote_id, title):
        self.edit_remote(remote_id, subject=title)

    def delete_remote(self, remote_id):
        self.item(remote_id).delete(send_meeting_cancellations=SEND_TO_NONE)

    def remote_location(self, remote_id):
        return self.item(remote_id).location or ""

    def set_remote_location(self, remote_id, location):
        self.edit_remote(remote_id, location=location)

    def new_remote_series(self, title, first_day, count):
        start = EWSDateTime(first_day.year, first_day.month, first_day.day, 9, tzinfo=BRUSSELS)
        item = CalendarItem(
            account=self.outlook,
            folder=self.outlook.calendar,
            subject=title,
            start=start,
            end=start + dt.timedelta(minutes=30),
            recurrence=Recurrence(pattern=DailyPattern(interval=1), start=first_day, number=count),
        )
        item.save(send_meeting_invitations=SEND_TO_NONE)
        return item.id

    def remote_occurrences(self, master_id):
        """(naive UTC start, subject) of the series' occurrences, exceptions included."""
        uid = self.item(master_id).uid
        window = self.outlook.calendar.view(
            start=EWSDateTime(2020, 1, 1, tzinfo=UTC), end=EWSDateTime(2040, 1, 1, tzinfo=UTC)
        )
        return sorted(
            (item.start.astimezone(UTC).replace(tzinfo=None), item.subject)
            for item in window
            if item.uid == uid
        )

    def move_remote_occurrence(self, master_id, original_start, new_start, title):
        starts = [start for start, _title in self.remote_occurrences(master_id)]
        occurrence = self.item(master_id).occurrence(starts.index(original_start) + 1)
        occurrence.refresh()
        length = occurrence.end - occurrence.start
        occurrence.subject = title
        occurrence.start = EWSDateTime.from_datetime(new_start.replace(tzinfo=dt.timezone.utc))
        occurrence.end = occurrence.start + length
        occurrence.save(
            update_fields=["subject", "start", "end"], send_meeting_invitations=SEND_TO_NONE
        )

    def expire_cursor(self):
        self.ews.invalidate_sync_states(self.email)

    def forget_requests(self):
        self.ews.requests.clear()

    def listings(self):
        return operations(self.ews, "SyncFolderItems")

    def incremental(self, listing):
        """A sync state names where the listing goes on (a cursor or a page's)."""
        return b"SyncState>" in listing.body

    def resumed(self, listing):
        return self.incremental(listing)

    def updates_sent(self):
        return sum(
            request.body.count(b"<t:ItemChange>") for request in operations(self.ews, "UpdateItem")
        )

    def remote_exists(self, remote_id):
        return any(item.id == remote_id for item in self.outlook.calendar.all().only("id"))

    def remote_titles(self):
        return sorted(item.subject for item in self.outlook.calendar.all().only("subject"))

    def revoke_grant(self):
        """The service account's password changes on the Exchange side."""
        self.ews.store.mailbox(SERVICE).password = "changed"

    def holds_grant(self):
        """By impersonation the connection itself is what lets Odoo open the mailbox."""
        return self.account.state == "connected"

    def reconnect(self):
        self.account = self.connect(self.user)

    def throttle_next_push(self):
        self.ews.faults.server_busy(back_off_ms=1, times=1, operation="CreateItem")

    def refuse_updates(self, remote_id):
        return self.ews.refuse("UpdateItem", remote_id)

    def stop_refusing(self, handle):
        self.ews.stop_refusing(handle)

    def drop_next_batch(self):
        self.ews.faults.add(drop_connection=True, operation="UpdateItem", times=None)

    def break_configuration(self):
        self.env["ir.config_parameter"].set_param("calendar_sync_exchange.password", "")

    def repair_configuration(self):
        self.env["ir.config_parameter"].set_param(
            "calendar_sync_exchange.password", PASSWORDS[SERVICE]
        )
