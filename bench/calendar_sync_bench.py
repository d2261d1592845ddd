"""Calendar sync benchmark: HTTP requests and SQL queries as the calendar grows, per provider.

Run it with ``make bench`` (``scripts/bench.sh``): the script installs ``calendar_sync_google``
and ``calendar_sync_microsoft`` on a scratch database, runs ``main(env)`` inside ``odoo-bin
shell`` against in-process emulators (127.0.0.1, never the internet), then drops the database.
``main`` prints one markdown section per provider (Google Calendar, Microsoft Graph) and writes
them, with the date and a machine note, to ``bench/RESULTS.md``. Each provider runs the same
scenarios at the same sizes, on the same database: what one provider's run creates is rolled
back before the next one starts.

Scenarios, each at several calendar sizes N so that growth shows:

- (a) initial push: a user with N Odoo events connects an empty remote calendar; syncs run
  until nothing is left queued (each run pushes one batch, as the scheduled action does).
  Figures are totals over all runs, and per event; the note compares the time of run 2 (the
  whole backlog queued) with the last run (one batch queued): both push one batch. One event
  in ``GUEST_EVERY`` has an external guest; the note counts the invitations the push made the
  provider e-mail (Google: parts with attendees and ``sendUpdates`` other than none; Graph:
  events created with attendees, which Outlook always e-mails), under the connection's default
  choice for existing events with guests (``BENCH_EXISTING_GUESTS`` picks another).
- idle: the calendar holds N synced events, nothing changed; one incremental sync.
- (b) remote change: one of the N events is edited remotely; one incremental sync.
- (c) local change: one of the N events is edited in Odoo; one incremental sync.
- (d) initial pull: a user with an empty Odoo calendar connects a remote calendar of N events
  (each with one guest and one reminder); syncs run one listing page each, as the scheduled
  action does, until the listing is over. The note gives the peak growth of the process's
  resident memory during the pull (sampled every 20 ms), and with ``BENCH_TRACEMALLOC=1`` the
  peak growth of the Python heap.
- idle, small calendar: a user with 100 synced events, nothing changed, measured while the
  database holds N events of all users (the big calendars above): one user's sync should not
  depend on the others' calendars either.

The design goal (DESIGN.md, "Scale") is that everything but (a) costs the same at every N, and
(a) the same per event.

Measures, around the sync only (seeding and the edit itself excluded):

- HTTP requests: requests Odoo sent to the emulator (its request log: batch envelopes counted
  once, token requests to the identity platform included); batch parts: the calls inside
  those batches (Google's multipart batch, Graph's JSON ``$batch``), counted separately.
- SQL queries: the cursor's query counter (``cr.sql_log_count``), pending ORM writes flushed.
- SQL seconds: time spent in those queries (Odoo's per-thread ``query_hooks``); the notes
  name the slowest query. A constant number of queries can still scan a growing table. The
  database is ``ANALYZE``d before each measure: the benchmark's single transaction hides its
  rows from autovacuum, and without statistics PostgreSQL plans for empty tables.
- seconds: wall clock of the sync, emulator included (it runs in this process); emulator
  seconds: the part spent in the emulator answering (its delta and listing bookkeeping is
  linear in the calendar size, a real service's is not Odoo's cost). Microsoft's emulator
  serves TLS, as Graph does: each sync opens a new connection (and loads the CA bundle).
- The growth summary under each table compares the smallest and largest N of each scenario;
  "client seconds" are seconds minus emulator seconds (Odoo, the connector and HTTP).

Providers (``PROVIDERS``): the provider-specific parts — the emulator, pointing Odoo at it,
connecting an account (Google: tokens issued by the emulator; Microsoft: msal's real
authorization-code flow, the user accepting on the emulator's consent page), writing events
into the remote calendar and editing one there — sit behind one small object per provider;
scenarios, seeding, counting and reporting are shared.

Seeding for idle/(b)/(c) writes the state a completed first sync leaves behind, without paying
for one: the Odoo events in one batch ``create``; the same events inserted into the emulator's
store through its Python API, as the push would send them (``to_google`` / ``to_graph`` of each
event's neutral form); the links (remote id, iCalUID, etag or changeKey, snapshot) in one batch
``create``. Then, not measured: one full listing through the connector, which must give back
every seeded event with its seeded etag / changeKey, and whose sync token (Google) or delta
link (Graph) becomes the account's cursor; then one incremental sync, which must do nothing
(nothing to pull or push) and warms the caches. Every measured run is a normal incremental sync
through ``_sync_guarded``.

Environment: ``BENCH_PROVIDERS`` (default "google microsoft exchange"), ``BENCH_PUSH_SIZES``
(default "100 1000 3000"), ``BENCH_SYNC_SIZES`` and ``BENCH_PULL_SIZES`` (default "1000 10000"),
``BENCH_RESULTS`` (output file; default ``bench/RESULTS.md``, empty: none; the sections of
providers not run are kept),
``BENCH_EXISTING_GUESTS`` (with_guests / without_guests / hold; default: the account's).
The whole ``make bench`` takes a few minutes on two cores.
"""

import contextlib
import datetime as dt
import os
import pathlib
import platform
import threading
import time
import tracemalloc
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests
from exchangelib import CalendarItem

from odoo import Command, fields, release

from odoo.addons.calendar_sync_base.models.calendar_sync_runner import PAGE_COMMIT_KEY

from calendar_sync_base.services.model import Attendee, Reminder, SyncEvent
from calendar_sync_base.services.snapshot import to_snapshot
from calendar_sync_google.services.mapper import to_google
from calendar_sync_microsoft.services.graph_outbound import to_graph
from emulators.ews import EwsEmulator
from emulators.google import GoogleEmulator
from emulators.microsoft import MicrosoftEmulator, trusting

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]

# Creating the seed events must not mail anybody nor fill the chatter.
QUIET = {
    "no_mail_to_attendees": True,
    "dont_notify": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "tracking_disable": True,
}
MAX_PUSH_RUNS = 1000  # a safety stop for scenario (a)
SMALL_CALENDAR = 100  # events of the user synced among the big calendars of others
GUEST_EVERY = 10  # in the initial push, one event in this many has an external guest
SLOWEST_CHARS = 70
RESULTS_TITLE = "# Calendar Sync benchmark"


@dataclass
class Row:
    """One measured scenario at one size."""

    scenario: str
    size: int
    runs: int
    requests: int
    parts: int
    queries: int
    sql_seconds: float
    seconds: float
    emulator_seconds: float
    changes: int = 1
    note: str = ""

    @property
    def client_seconds(self):
        """Odoo's side of the wall clock: the connector, HTTP and Odoo, not the emulator."""
        return self.seconds - self.emulator_seconds


class SqlWatch:
    """Time spent in SQL and the slowest query, through Odoo's per-thread query hooks."""

    def __init__(self):
        self.seconds = 0.0
        self.slowest = (0.0, "")
        self._saved = None

    def hook(self, cr, query, params, start, delay):
        self.seconds += delay
        if delay > self.slowest[0]:
            self.slowest = (delay, " ".join(str(query).split()))

    def slowest_note(self):
        delay, query = self.slowest
        return f"slowest query {delay * 1000:.1f} ms: `{query[:SLOWEST_CHARS]}...`"

    def __enter__(self):
        thread = threading.current_thread()
        self._saved = getattr(thread, "query_hooks", None)
        thread.query_hooks = [*(self._saved or ()), self.hook]
        return self

    def __exit__(self, *exc_info):
        thread = threading.current_thread()
        if self._saved is None:
            del thread.query_hooks
        else:
            thread.query_hooks = self._saved


class EmulatorTimer:
    """Time the in-process emulator spends answering (its ``handle``, per HTTP request):
    seconds that the wall clock of a sync includes but a real service would not cost Odoo."""

    def __init__(self, emulator):
        self.seconds = 0.0
        self._handle = emulator.handle
        emulator.handle = self._timed  # the request handler looks it up on the instance

    def _timed(self, request):
        started = time.perf_counter()
        try:
            return self._handle(request)
        finally:
            self.seconds += time.perf_counter() - started


@dataclass
class SeededCalendar:
    account: object  # calendar.sync.account
    events: object  # calendar.event
    remote_ids: list


@dataclass
class RemoteCopy:
    """What the remote calendar answered for an event it stores (the link's identity)."""

    remote_id: str
    ical_uid: str
    etag: str


# --------------------------------------------------------------------------- providers


class ProviderBench:
    """What the shared scenarios need from one provider; a subclass per provider says how."""

    key = title = emulator_note = ""
    title_field = ""  # the remote event's title member, for the remote edit of (b)

    def __init__(self):
        self.emulator = None
        self.timer = None

    @contextlib.contextmanager
    def running(self):
        """The emulator, started (and its answering time measured) for the block."""
        with self.started_emulator() as emulator:
            self.emulator = emulator
            self.timer = EmulatorTimer(emulator)
            yield self

    @property
    def requests(self):
        return self.emulator.requests

    def insert_remote(self, email, neutrals):
        """The events, as the push would send them, straight into the emulator's store."""
        copies = []
        for neutral in neutrals:
            remote = self.emulator.insert_event(email, self.to_remote(neutral))
            copies.append(self.remote_copy(remote))
        return copies

    def edit_remote(self, email, remote_id):
        self.emulator.patch_event(email, remote_id, {self.title_field: "Moved to the big room"})

    def started_emulator(self):
        """A context manager giving the running emulator."""
        raise NotImplementedError

    def params(self):
        """``ir.config_parameter`` values pointing Odoo at the emulator."""
        raise NotImplementedError

    def connect(self, env, user):
        """A connected account of ``user`` on a fresh, empty remote calendar."""
        raise NotImplementedError

    def to_remote(self, neutral):
        raise NotImplementedError

    def remote_copy(self, remote):
        raise NotImplementedError

    def push_note(self):
        """The note of the initial push: what the batch parts would tell guests."""
        raise NotImplementedError


class GoogleBench(ProviderBench):
    """Google Calendar: plain HTTP emulator, tokens issued by it."""

    key = "google"
    title = "Google Calendar"
    emulator_note = "Google emulator in process (HTTP)"
    title_field = "summary"
    client_id = "bench-client.apps.googleusercontent.com"
    client_secret = "bench-secret"

    def started_emulator(self):
        return GoogleEmulator(client_id=self.client_id, client_secret=self.client_secret)

    def params(self):
        url = self.emulator.url
        return {
            "calendar_sync_google.enabled": "True",
            "calendar_sync_google.client_id": self.client_id,
            "calendar_sync_google.client_secret": self.client_secret,
            "calendar_sync_google.auth_endpoint": f"{url}/o/oauth2/v2/auth",
            "calendar_sync_google.token_endpoint": f"{url}/token",
            "calendar_sync_google.api_base": f"{url}/calendar/v3",
            "calendar_sync_google.batch_url": f"{url}/batch/calendar/v3",
        }

    def connect(self, env, user):
        self.emulator.add_account(user.email, time_zone="UTC")
        access_token, refresh_token = self.emulator.issue_tokens(user.email)
        return env["calendar.sync.account"].create(
            {
                "user_id": user.id,
                "provider": "google",
                "state": "connected",
                "access_token": access_token,
                "refresh_token": refresh_token,
            }
        )

    def to_remote(self, neutral):
        return to_google(neutral)

    def remote_copy(self, remote):
        return RemoteCopy(remote["id"], remote["iCalUID"], remote["etag"])

    def push_note(self):
        """Batch parts that e-mail guests: with attendees and sendUpdates other than none."""
        parts = self.requests.filter(in_batch=True)
        with_guests = [part for part in parts if part.body and (part.json() or {}).get("attendees")]
        inviting = [part for part in with_guests if part.arg("sendUpdates") not in (None, "none")]
        return (
            f"{len(with_guests)} of {len(parts)} parts with guests, {len(inviting)} invitations "
            "e-mailed (sendUpdates other than none)"
        )


class MicrosoftBench(ProviderBench):
    """Microsoft Graph: emulator over TLS, accounts connected through msal's real flow."""

    key = "microsoft"
    title = "Microsoft Graph"
    emulator_note = "Microsoft emulator in process (TLS)"
    title_field = "subject"
    client_id = "5b7c9a1e-0d6f-4b0e-9a55-calsyncbench"
    client_secret = "bench-secret"

    @contextlib.contextmanager
    def started_emulator(self):
        emulator = MicrosoftEmulator(client_id=self.client_id, client_secret=self.client_secret)
        # REQUESTS_CA_BUNDLE overrides verify=: trust the emulator's CA through it meanwhile.
        with emulator, trusting(emulator.ca_path):
            yield emulator

    def params(self):
        return {
            "calendar_sync_microsoft.enabled": "True",
            "calendar_sync_microsoft.client_id": self.client_id,
            "calendar_sync_microsoft.client_secret": self.client_secret,
            "calendar_sync_microsoft.tenant": "common",
            "calendar_sync_microsoft.authority_host": self.emulator.url,
            "calendar_sync_microsoft.graph_endpoint": self.emulator.url,
        }

    def connect(self, env, user):
        """Consent as ``user`` through msal against the emulator, as the OAuth routes do: the
        user picks his account on the consent page and accepts (the page's form posts the
        authorize parameters back with ``login`` and ``decision``)."""
        self.emulator.add_account(user.email, user.name, time_zone="UTC")
        accounts = env["calendar.sync.account"].with_user(user)
        flow = accounts._microsoft_start_flow()
        authorize = urlsplit(flow["auth_uri"])
        form = {key: values[0] for key, values in parse_qs(authorize.query).items()}
        answer = requests.post(
            authorize._replace(query="").geturl(),
            data={**form, "login": user.email, "decision": "allow"},
            allow_redirects=False,
            timeout=10,
        )
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
        account = accounts._microsoft_connect(flow, {k: v[0] for k, v in query.items()})
        check(account.remote_email == user.email, f"{user.email} signed in as someone else")
        return env["calendar.sync.account"].browse(account.id)

    def to_remote(self, neutral):
        return to_graph(neutral)

    def remote_copy(self, remote):
        return RemoteCopy(remote["id"], remote["iCalUId"], remote["changeKey"])

    def push_note(self):
        """Events created with attendees: Outlook e-mails their guests (it has no silent
        create), whatever the first sync asked for."""
        parts = self.requests.filter(in_batch=True)
        creates = [p for p in parts if p.method == "POST" and p.path.endswith("/me/events")]
        inviting = [p for p in creates if p.body and (p.json() or {}).get("attendees")]
        return (
            f"{len(creates)} of {len(parts)} parts POST /me/events, {len(inviting)} created "
            "with attendees (invitations e-mailed)"
        )


class ExchangeBench(ProviderBench):
    """Exchange Server through EWS: the EWS emulator over HTTP, Basic auth, a service account
    impersonating each user (connected by e-mail, as the side panel's button does)."""

    key = "exchange"
    title = "Exchange Server (EWS)"
    emulator_note = "EWS emulator in process (HTTP, Basic, impersonation)"
    service = ("admin@example.com", "bench-admin")

    def started_emulator(self):
        emulator = EwsEmulator(auth_methods=("Basic",))
        emulator.reset_state = _keeping_service(emulator, self.service)
        return emulator

    def params(self):
        return {
            "calendar_sync_exchange.enabled": "True",
            "calendar_sync_exchange.backend": "ews",
            "calendar_sync_exchange.ews_url": self.emulator.endpoint,
            "calendar_sync_exchange.auth": "basic",
            "calendar_sync_exchange.access": "impersonation",
            "calendar_sync_exchange.username": self.service[0],
            "calendar_sync_exchange.password": self.service[1],
        }

    def connect(self, env, user):
        self.emulator.add_mailbox(user.email, "bench")
        return env["calendar.sync.provider.exchange"]._exchange_connect(user, user.email)

    def _mailbox(self, email):
        # Imported here, not at the top: the side-by-side bench's database has no Exchange
        # addon, and importing its package outside Odoo's loader would load its models.
        from calendar_sync_exchange.services.ews_account import (  # noqa: PLC0415
            ExchangeSettings,
            build_account,
        )

        settings = ExchangeSettings(
            endpoint=self.emulator.endpoint,
            mailbox=email,
            auth="basic",
            access="impersonation",
            username=self.service[0],
            password=self.service[1],
        )
        return build_account(settings)

    def insert_remote(self, email, neutrals):
        """The events through bulk ``CreateItem`` (100 a call), their UIDs read back."""
        from calendar_sync_exchange.services.ews_client import MAX_BATCH_SIZE  # noqa: PLC0415
        from calendar_sync_exchange.services.ews_mapper import (  # noqa: PLC0415
            item_values,
            register_odoo_id_property,
        )

        register_odoo_id_property()
        account = self._mailbox(email)
        copies = []
        for start in range(0, len(neutrals), MAX_BATCH_SIZE):
            chunk = neutrals[start : start + MAX_BATCH_SIZE]
            items = [
                CalendarItem(account=account, folder=account.calendar, **item_values(n)[0])
                for n in chunk
            ]
            created = account.bulk_create(
                account.calendar, items, send_meeting_invitations="SendToNone"
            )
            ids = [(item.id, item.changekey) for item in created]
            for item in account.fetch(ids=ids, only_fields=["uid"]):
                copies.append(RemoteCopy(item.id, item.uid, item.changekey))
        return copies

    def edit_remote(self, email, remote_id):
        account = self._mailbox(email)
        item = account.calendar.get(id=remote_id)
        item.subject = "Moved to the big room"
        item.save(update_fields=["subject"], send_meeting_invitations="SendToNone")

    def push_note(self):
        """CreateItem calls and the meetings they would announce (SendToNone: none)."""
        creates = [r for r in self.requests if r.context.get("operation") == "CreateItem"]
        items = sum(r.body.count(b"<t:CalendarItem>") for r in creates)
        inviting = [r for r in creates if b'SendMeetingInvitations="SendToNone"' not in r.body]
        return (
            f"{len(creates)} CreateItem calls for {items} items, {len(inviting)} of them "
            "sending invitations (first sync: SendToNone)"
        )


def _keeping_service(emulator, service):
    """The emulator's reset keeps the service account (the bench resets between scenarios)."""
    reset = emulator.reset_state

    def reset_state():
        reset()
        emulator.store.add_mailbox(service[0], service[1], can_impersonate=True)

    reset_state()
    return reset_state


PROVIDERS = {provider.key: provider for provider in (GoogleBench, MicrosoftBench, ExchangeBench)}


# --------------------------------------------------------------------------- harness


class Harness:
    """The scratch database's environment and the provider (emulator) it is pointed at."""

    def __init__(self, env, provider):
        self.env = env
        self.provider = provider
        now = fields.Datetime.now().replace(microsecond=0, second=0, minute=0)
        self.start = now + dt.timedelta(days=1)

    def point_odoo_at_emulator(self):
        params = self.env["ir.config_parameter"].sudo()
        for key, value in self.provider.params().items():
            params.set_param(key, value)

    def new_user(self, tag):
        email = f"{tag}@bench.example.com"
        return self.env["res.users"].create(
            {
                "name": f"Bench {tag}",
                "login": email,
                "email": email,
                "tz": "UTC",
                "groups_id": [Command.set([self.env.ref("base.group_user").id])],
            }
        )

    def connect(self, user):
        """A connected account on a fresh, empty remote calendar."""
        return self.provider.connect(self.env, user)

    def create_events(self, user, count, guest=None):
        """``count`` one-hour events organised by ``user``, back to back from tomorrow (10,000
        of them end 417 days ahead: inside Graph's delta window), one batch ``create``; with
        ``guest`` (a partner), one event in ``GUEST_EVERY`` invites them."""
        vals_list = [
            {
                "name": f"Meeting {index}",
                "start": self.start + dt.timedelta(hours=index),
                "stop": self.start + dt.timedelta(hours=index + 1),
                **(
                    {"partner_ids": [Command.set([user.partner_id.id, guest.id])]}
                    if guest and index % GUEST_EVERY == 0
                    else {}
                ),
            }
            for index in range(count)
        ]
        events = self.env["calendar.event"].with_user(user).with_context(**QUIET).create(vals_list)
        self.env.flush_all()
        return events.with_user(self.env.user)

    def sync(self, account):
        """One sync, as the Calendar button and the scheduled action run it."""
        if not account._sync_try_lock():
            raise RuntimeError(f"account {account.id} is locked")
        counts = account._sync_guarded()
        if counts is None:
            raise RuntimeError(f"sync failed: {account.last_error}")
        return counts

    def measure(self, scenario, size, action, changes=1):
        """Run ``action`` (returns ``(runs, note)``, note None: the slowest query) and count
        what it cost."""
        self.env.flush_all()
        self.env.invalidate_all()
        self.analyze()
        log = self.provider.requests
        log.clear()
        queries = self.env.cr.sql_log_count
        emulator_seconds = self.provider.timer.seconds
        started = time.perf_counter()
        with SqlWatch() as sql:
            runs, note = action()
            self.env.flush_all()
        seconds = time.perf_counter() - started
        return Row(
            scenario=scenario,
            size=size,
            runs=runs,
            requests=log.count(in_batch=False),
            parts=log.count(in_batch=True),
            queries=self.env.cr.sql_log_count - queries,
            sql_seconds=sql.seconds,
            seconds=seconds,
            emulator_seconds=self.provider.timer.seconds - emulator_seconds,
            changes=changes,
            note=sql.slowest_note() if note is None else note,
        )

    def analyze(self):
        """Current planner statistics, as autovacuum keeps them in production: the benchmark
        runs in one transaction, whose rows autovacuum never sees, so without this PostgreSQL
        plans for the empty tables of a fresh database (a full scan through the primary key
        instead of the ``need_push`` or ``ical_uid`` index: a query cost growing with N)."""
        self.env.cr.execute("ANALYZE")

    def count_events(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT count(*) FROM calendar_event")
        return self.env.cr.fetchone()[0]


def check(condition, message):
    if not condition:
        raise RuntimeError(f"benchmark precondition failed: {message}")


# --------------------------------------------------------------------------- (a) initial push


def bench_initial_push(harness, size):
    user = harness.new_user(f"push-{size}")
    guest = harness.env["res.partner"].create(
        {"name": f"Guest {size}", "email": f"guest-{size}@elsewhere.example.org"}
    )
    harness.create_events(user, size, guest=guest)
    account = harness.connect(user)
    if os.environ.get("BENCH_EXISTING_GUESTS"):
        account.existing_guests_policy = os.environ["BENCH_EXISTING_GUESTS"]
    return harness.measure(
        "(a) initial push", size, lambda: push_until_done(harness, account, size), changes=size
    )


def push_until_done(harness, account, size):
    """Sync until nothing is queued; the note compares the second run (the whole backlog
    queued) with the last (one batch queued): both push one batch."""
    pushed = 0
    durations = []
    while True:
        started = time.perf_counter()
        counts = harness.sync(account)
        durations.append(time.perf_counter() - started)
        pushed += counts.pushed_created
        if not account.queued_count:
            break
        check(len(durations) < MAX_PUSH_RUNS, "the initial push does not end")
    held = size - pushed  # events with guests the user chose to hold back
    check(
        held == 0 or account.existing_guests_policy == "hold",
        f"{pushed} events pushed instead of {size}",
    )
    runs = f"run 2 {durations[1]:.3f} s, last {durations[-1]:.3f} s; " if len(durations) > 2 else ""
    held_note = f"; {held} held back" if held else ""
    return len(durations), runs + harness.provider.push_note() + held_note


# --------------------------------------------------------------------------- (d) initial pull


def bench_initial_pull(harness, size):
    """A user with an empty Odoo calendar connects a remote calendar of ``size`` events,
    each with the user as organizer, one guest and one reminder, as the scheduled action
    pulls it: one page per transaction (``PAGE_COMMIT_KEY``); the benchmark runs in one
    transaction, so the ORM cache a commit would drop is dropped between pages."""
    user = harness.new_user(f"pull-{size}")
    account = harness.connect(user)
    account.queue_existing = False  # nothing in Odoo to send
    harness.provider.insert_remote(user.email, remote_calendar(harness, user, size))
    account = account.with_context(**{PAGE_COMMIT_KEY: True})
    return harness.measure(
        "(d) initial pull", size, lambda: pull_until_done(harness, account, size), changes=size
    )


def remote_calendar(harness, user, size):
    guest = Attendee(email=f"guest-pull-{size}@elsewhere.example.org", name="Guest")
    return [
        SyncEvent(
            title=f"Remote meeting {index}",
            start=(harness.start + dt.timedelta(hours=index)).replace(tzinfo=dt.UTC),
            stop=(harness.start + dt.timedelta(hours=index + 1)).replace(tzinfo=dt.UTC),
            organizer_email=user.email,
            attendees=(guest,),
            reminders=(Reminder(minutes=15),),
        )
        for index in range(size)
    ]


def pull_until_done(harness, account, size):
    """Sync until the listing is over; the note gives the worker's peak memory growth."""
    runs = 0
    pulled = 0
    with PeakMemory() as memory:
        while True:
            counts = harness.sync(account)
            runs += 1
            pulled += counts.pulled_created
            if not account.sudo().sync_page_token:
                break
            harness.env.invalidate_all()  # what the commit between pages does
            check(runs < MAX_PUSH_RUNS, "the initial pull does not end")
    check(pulled == size, f"{pulled} events pulled instead of {size}")
    heap = f", Python heap +{memory.heap_peak_mib:.0f} MiB" if memory.traced else ""
    return runs, f"peak memory +{memory.peak_mib:.0f} MiB{heap}"


class PeakMemory:
    """The process's resident memory at its highest during the block, over where it began
    (sampled every 20 ms from /proc: the worker's footprint, not only Python objects).

    With ``BENCH_TRACEMALLOC=1``, also the peak of the Python heap over where it began
    (tracemalloc: exact, but it slows everything down, the seconds included). Resident
    memory also holds what the allocator keeps after freeing; the heap peak is what the
    sync needed at once.
    """

    def __init__(self):
        self.start = self.peak = 0
        self.traced = bool(os.environ.get("BENCH_TRACEMALLOC"))
        self.heap_start = self.heap_peak = 0
        self._stop = threading.Event()
        self._thread = None

    @property
    def heap_peak_mib(self):
        return (self.heap_peak - self.heap_start) / 2**20

    @staticmethod
    def _rss():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._rss())

    @property
    def peak_mib(self):
        return (self.peak - self.start) / 2**20

    def __enter__(self):
        if self.traced:
            tracemalloc.start()
            self.heap_start = tracemalloc.get_traced_memory()[0]
        self.start = self.peak = self._rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())
        if self.traced:
            self.heap_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()


# --------------------------------------------------------------------------- synced calendar


def seed_synced_calendar(harness, size, tag="sync"):
    """N events both sides agree on, linked, with a current sync token (see module doc)."""
    user = harness.new_user(f"{tag}-{size}")
    events = harness.create_events(user, size)
    account = harness.connect(user)
    neutrals = [event._sync_to_neutral() for event in events]
    copies = harness.provider.insert_remote(user.email, neutrals)
    harness.env["calendar.sync.link"].create(
        [
            link_vals(account, event, neutral, copy)
            for event, neutral, copy in zip(events, neutrals, copies, strict=True)
        ]
    )
    # Consistent seeding: the full listing gives back every event as seeded, and after it an
    # incremental sync has nothing to pull or push (it also warms the caches).
    listing = account._sync_connector().list_changes("")
    check(bool(listing.next_cursor), "the full listing gave no sync token")
    listed = {event.remote_id: event.etag for event in listing.events}
    seeded = {copy.remote_id: copy.etag for copy in copies}
    check(listed == seeded, f"the full listing gave {len(listed)} events, not the {size} seeded")
    account.write({"sync_cursor": listing.next_cursor, "first_sync_done": True})
    one_sync(harness, account)()
    return SeededCalendar(account, events, [copy.remote_id for copy in copies])


def link_vals(account, event, neutral, copy):
    """The link a successful push of ``event`` stores."""
    return {
        "account_id": account.id,
        "event_id": event.id,
        "origin": "push",
        "remote_id": copy.remote_id,
        "ical_uid": copy.ical_uid,
        "etag": copy.etag,
        "snapshot": to_snapshot(neutral),
    }


def one_sync(harness, account, **expected):
    """A ``measure`` action: one sync that must do just ``expected`` (other counts 0)."""

    def run():
        counts = harness.sync(account).as_dict()
        wanted = {name: expected.get(name, 0) for name in counts}
        check(counts == wanted, f"the sync did {counts}, expected {wanted}")
        return 1, None

    return run


def bench_idle(harness, seeded):
    run = one_sync(harness, seeded.account)
    return harness.measure("idle (nothing changed)", len(seeded.events), run, changes=0)


def bench_small_among_others(harness, small):
    """The small calendar's idle sync, while the database holds everybody's events."""
    scenario = f"idle, {SMALL_CALENDAR} own events; N = all users' events"
    run = one_sync(harness, small.account)
    return harness.measure(scenario, harness.count_events(), run, changes=0)


def bench_remote_change(harness, seeded):
    remote_id = seeded.remote_ids[len(seeded.remote_ids) // 2]
    harness.provider.edit_remote(seeded.account.user_id.email, remote_id)
    run = one_sync(harness, seeded.account, pulled_updated=1)
    return harness.measure("(b) 1 remote change", len(seeded.events), run)


def bench_local_change(harness, seeded):
    event = seeded.events[len(seeded.events) // 3]
    event.with_user(seeded.account.user_id).write({"name": "Renamed in Odoo"})
    run = one_sync(harness, seeded.account, pushed_updated=1)
    return harness.measure("(c) 1 local change", len(seeded.events), run)


def warm_up(harness, seeded):
    """Not measured: a remote and a local change (and the echo of the push), so that the first
    measured scenario does not pay for Odoo's cold caches (field metadata, ormcache)."""
    bench_remote_change(harness, seeded)
    bench_local_change(harness, seeded)
    harness.sync(seeded.account)


SYNCED_SCENARIOS = (bench_idle, bench_remote_change, bench_local_change)


# --------------------------------------------------------------------------- report


def sizes_from_env(name, default):
    sizes = [int(size) for size in os.environ.get(name, default).split()]
    check(all(size > 0 for size in sizes), f"{name}: sizes must be positive")
    return sizes


def per_change(total, row):
    return f"{total:,}" if row.changes <= 1 else f"{total:,} ({total / row.changes:.2f}/event)"


def render_table(rows):
    lines = [
        "| scenario | N | sync runs | HTTP requests | batch parts | SQL queries | SQL seconds "
        "| seconds | emulator seconds | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.scenario} | {row.size:,} | {row.runs} | {per_change(row.requests, row)} "
            f"| {per_change(row.parts, row)} | {per_change(row.queries, row)} "
            f"| {row.sql_seconds:.3f} | {row.seconds:.3f} | {row.emulator_seconds:.3f} "
            f"| {row.note} |"
        )
    return "\n".join(lines)


def growth_lines(rows):
    """For each scenario, smallest N -> largest N (per event for the initial push)."""
    lines = []
    for scenario in dict.fromkeys(row.scenario for row in rows):
        ordered = sorted((row for row in rows if row.scenario == scenario), key=lambda r: r.size)
        if len(ordered) < 2:
            continue
        small, large = ordered[0], ordered[-1]
        figures = [
            _growth(name, getattr(small, name), getattr(large, name), small, large)
            for name in GROWTH_FIGURES
        ]
        lines.append(f"- {scenario}, N {small.size:,} -> {large.size:,}: " + "; ".join(figures))
    return lines


GROWTH_FIGURES = ("requests", "parts", "queries", "sql_seconds", "seconds", "client_seconds")


def _growth(name, small_value, large_value, small, large):
    timed = name.endswith("seconds")
    scale = 1000 if timed else 1  # times in ms
    small_value = small_value * scale / max(small.changes, 1)
    large_value = large_value * scale / max(large.changes, 1)
    unit = (" ms" if timed else "") + ("/event" if large.changes > 1 else "")
    # Timer noise (2 ms) or one stray query, on the whole run: per event for the push.
    slack = (2 if timed else 1) / max(large.changes, 1)
    verdict = "flat" if large_value <= small_value * 1.10 + slack else "GROWS WITH N"
    label = name.replace("_", " ")
    return f"{label} {small_value:,.3g} -> {large_value:,.3g}{unit} ({verdict})"


def machine_note(env):
    env.cr.execute("SHOW server_version")
    postgres = env.cr.fetchone()[0]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return (
        f"{platform.node()}: {cpu}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}, Odoo {release.version}, "
        f"PostgreSQL {postgres} (local socket)"
    )


def report_section(env, provider, rows):
    """One provider's table and growth summary, under a ``## <title>`` heading."""
    today = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return "\n".join(
        [
            f"## {provider.title}",
            "",
            f"Run on {today} by `make bench`. Machine: {machine_note(env)}; "
            f"{provider.emulator_note}.",
            "",
            render_table(rows),
            "",
            "Growth, smallest -> largest N (the goal: flat; per event for (a)):",
            "",
            *growth_lines(rows),
            "",
        ]
    )


def split_sections(text):
    """``{title: section text}`` of a results file's ``## `` sections, in file order."""
    sections = {}
    title = None
    for line in text.splitlines(keepends=True):
        if line.startswith("## "):
            title = line[3:].strip()
            sections[title] = ""
        if title is not None:
            sections[title] += line
    return sections


def report(sections, previous=""):
    """The results file: this run's sections, plus the sections of providers not run this
    time kept from ``previous`` (in provider order), then the other sections of ``previous``
    (comparisons written by hand)."""
    kept = split_sections(previous)
    ordered = [provider.title for provider in PROVIDERS.values()]
    titles = [title for title in ordered if title in sections or title in kept]
    titles += [title for title in [*sections, *kept] if title not in titles]
    body = [sections.get(title) or kept[title] for title in titles]
    return "\n".join(
        [
            RESULTS_TITLE,
            "",
            "HTTP requests and SQL queries of a sync as the calendar grows, per provider, written",
            "by `make bench` (bench/calendar_sync_bench.py explains the scenarios and how they",
            "are counted).",
            "",
            *(section.rstrip("\n") + "\n" for section in body),
        ]
    )


# --------------------------------------------------------------------------- entry point


def run_all(harness):
    """Every scenario; rows in table order (initial pushes first).

    The initial pushes run last: each pushed event rewrites its link (``need_push`` true ->
    false), and within the benchmark's one uncommitted transaction PostgreSQL can neither
    prune nor skip those old row versions, so every later count of the push queue would walk
    through thousands of them (commits and autovacuum clear them in production).
    """
    by_scenario = {}
    sync_sizes = sizes_from_env("BENCH_SYNC_SIZES", "1000 10000")
    if sync_sizes:
        # Its own user: a measured size may equal SMALL_CALENDAR.
        small = seed_synced_calendar(harness, SMALL_CALENDAR, tag="small")
        warm_up(harness, small)
    for size in sync_sizes:
        seeded = seed_synced_calendar(harness, size)
        measured = [bench(harness, seeded) for bench in SYNCED_SCENARIOS]
        for row in [*measured, bench_small_among_others(harness, small)]:
            by_scenario.setdefault(row.scenario, []).append(row)
    pull_sizes = sizes_from_env("BENCH_PULL_SIZES", "1000 10000")
    rows = [bench_initial_pull(harness, size) for size in pull_sizes]
    push_sizes = sizes_from_env("BENCH_PUSH_SIZES", "100 1000 3000")
    rows += [bench_initial_push(harness, size) for size in push_sizes]
    return rows + [row for group in by_scenario.values() for row in group]


def providers_from_env():
    keys = os.environ.get("BENCH_PROVIDERS", " ".join(PROVIDERS)).split()
    unknown = sorted(set(keys) - set(PROVIDERS))
    check(not unknown, f"BENCH_PROVIDERS: unknown {unknown}, known: {list(PROVIDERS)}")
    return [PROVIDERS[key]() for key in dict.fromkeys(keys)]


def bench_provider(env, provider):
    """Every scenario for one provider; its records are rolled back afterwards, so that each
    provider starts from the same database."""
    with contextlib.closing(env.cr.savepoint()), provider.running():
        harness = Harness(env, provider)
        harness.point_odoo_at_emulator()
        rows = run_all(harness)
    env.registry.clear_cache()  # ormcache entries of rolled back records
    return rows


def main(env):
    rows_by_provider = {}
    sections = {}
    for provider in providers_from_env():
        print(f"==> {provider.title}", flush=True)
        rows = bench_provider(env, provider)
        rows_by_provider[provider.key] = rows
        sections[provider.title] = report_section(env, provider, rows)
        print(sections[provider.title], flush=True)
    target = os.environ.get("BENCH_RESULTS", str(REPO_ROOT / "bench" / "RESULTS.md"))
    if target:
        path = pathlib.Path(target)
        previous = path.read_text() if path.exists() else ""
        path.write_text(report(sections, previous))
        print(f"written to {target}")
    return rows_by_provider
