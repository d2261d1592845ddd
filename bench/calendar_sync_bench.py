"""Google Calendar sync benchmark: HTTP requests and SQL queries as the calendar grows.

Run it with ``make bench`` (``scripts/bench.sh``): the script installs ``calendar_sync_google``
on a scratch database, runs ``main(env)`` inside ``odoo-bin shell`` against an in-process
Google emulator (127.0.0.1, never the internet), then drops the database. ``main`` prints a
markdown table and writes it, with the date and a machine note, to ``bench/RESULTS.md``.

Scenarios, each at several calendar sizes N so that growth shows:

- (a) initial push: a user with N Odoo events connects an empty Google calendar; syncs run
  until nothing is left queued (each run pushes one batch, as the scheduled action does).
  Figures are totals over all runs, and per event; the note compares the time of run 2 (the
  whole backlog queued) with the last run (one batch queued): both push one batch.
- idle: the calendar holds N synced events, nothing changed; one incremental sync.
- (b) remote change: one of the N events is edited in Google; one incremental sync.
- (c) local change: one of the N events is edited in Odoo; one incremental sync.
- idle, small calendar: a user with 100 synced events, nothing changed, measured while the
  database holds N events of all users (the big calendars above): one user's sync should not
  depend on the others' calendars either.

The design goal (DESIGN.md, "Scale") is that everything but (a) costs the same at every N, and
(a) the same per event.

Measures, around the sync only (seeding and the edit itself excluded):

- HTTP requests: requests Odoo sent to the emulator (its request log, batch envelopes counted
  once); batch parts: the calls inside those batches, counted separately.
- SQL queries: the cursor's query counter (``cr.sql_log_count``), pending ORM writes flushed.
- SQL seconds: time spent in those queries (Odoo's per-thread ``query_hooks``); the notes
  name the slowest query. A constant number of queries can still scan a growing table.
- seconds: wall clock of the sync, emulator included (it runs in this process, and its own
  listing is linear in the calendar size, so compare SQL seconds too).
- The growth summary under the table compares the smallest and largest N of each scenario.

Seeding for idle/(b)/(c) writes the state a completed first sync leaves behind, without paying
for one: the Odoo events in one batch ``create``; the same events inserted into the emulator
as the push would send them (``to_google`` of each event's neutral form); the links (remote id,
etag, snapshot) in one batch ``create``; the sync token of a full listing. A first incremental
sync, not measured, checks the seeding is consistent (nothing pulled, nothing pushed) and warms
the caches. Every measured run is a normal incremental sync through ``_sync_guarded``.

Environment: ``BENCH_PUSH_SIZES`` (default "100 1000 3000"), ``BENCH_SYNC_SIZES`` (default
"1000 10000"), ``BENCH_RESULTS`` (output file; default ``bench/RESULTS.md``, empty: none).
The whole ``make bench`` takes about a minute on two cores.
"""

import datetime as dt
import os
import pathlib
import platform
import sys
import threading
import time
from dataclasses import dataclass

from odoo import Command, fields, release

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.append(str(REPO_ROOT))

from calendar_sync_base.services.snapshot import to_snapshot  # noqa: E402
from calendar_sync_google.services.mapper import to_google  # noqa: E402
from emulators.google import GoogleEmulator  # noqa: E402

CLIENT_ID = "bench-client.apps.googleusercontent.com"
CLIENT_SECRET = "bench-secret"
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
SLOWEST_CHARS = 70


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
    changes: int = 1
    note: str = ""


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


@dataclass
class SeededCalendar:
    account: object  # calendar.sync.account
    events: object  # calendar.event
    remote_ids: list


class Harness:
    """The scratch database's environment and the emulator it is pointed at."""

    def __init__(self, env, google):
        self.env = env
        self.google = google
        now = fields.Datetime.now().replace(microsecond=0, second=0, minute=0)
        self.start = now + dt.timedelta(days=1)

    def point_odoo_at_emulator(self):
        params = self.env["ir.config_parameter"].sudo()
        for key, value in {
            "calendar_sync_google.enabled": "True",
            "calendar_sync_google.client_id": CLIENT_ID,
            "calendar_sync_google.client_secret": CLIENT_SECRET,
            "calendar_sync_google.auth_endpoint": f"{self.google.url}/o/oauth2/v2/auth",
            "calendar_sync_google.token_endpoint": f"{self.google.url}/token",
            "calendar_sync_google.api_base": f"{self.google.url}/calendar/v3",
            "calendar_sync_google.batch_url": f"{self.google.url}/batch/calendar/v3",
        }.items():
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
        """A connected account on a fresh, empty Google calendar of the emulator."""
        self.google.add_account(user.email, time_zone="UTC")
        access_token, refresh_token = self.google.issue_tokens(user.email)
        return self.env["calendar.sync.account"].create(
            {
                "user_id": user.id,
                "provider": "google",
                "state": "connected",
                "access_token": access_token,
                "refresh_token": refresh_token,
            }
        )

    def create_events(self, user, count):
        """``count`` one-hour events organised by ``user``, one batch ``create``."""
        vals_list = [
            {
                "name": f"Meeting {index}",
                "start": self.start + dt.timedelta(hours=2 * index),
                "stop": self.start + dt.timedelta(hours=2 * index + 1),
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
        self.google.requests.clear()
        queries = self.env.cr.sql_log_count
        started = time.perf_counter()
        with SqlWatch() as sql:
            runs, note = action()
            self.env.flush_all()
        seconds = time.perf_counter() - started
        return Row(
            scenario=scenario,
            size=size,
            runs=runs,
            requests=self.google.requests.count(in_batch=False),
            parts=self.google.requests.count(in_batch=True),
            queries=self.env.cr.sql_log_count - queries,
            sql_seconds=sql.seconds,
            seconds=seconds,
            changes=changes,
            note=sql.slowest_note() if note is None else note,
        )

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
    harness.create_events(user, size)
    account = harness.connect(user)
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
    check(pushed == size, f"{pushed} events pushed instead of {size}")
    runs = f"run 2 {durations[1]:.3f} s, last {durations[-1]:.3f} s; " if len(durations) > 2 else ""
    return len(durations), runs + invitation_note(harness.google)


def invitation_note(google):
    """Batch parts that may e-mail guests (sendUpdates other than none)."""
    parts = google.requests.filter(in_batch=True)
    inviting = [part for part in parts if part.arg("sendUpdates") not in (None, "none")]
    return f"{len(inviting)} of {len(parts)} parts with sendUpdates other than none"


# --------------------------------------------------------------------------- synced calendar


def seed_synced_calendar(harness, size):
    """N events both sides agree on, linked, with a current sync token (see module doc)."""
    user = harness.new_user(f"sync-{size}")
    events = harness.create_events(user, size)
    account = harness.connect(user)
    neutrals = [event._sync_to_neutral() for event in events]
    remotes = [harness.google.insert_event(user.email, to_google(neutral)) for neutral in neutrals]
    harness.env["calendar.sync.link"].create(
        [
            link_vals(account, event, neutral, remote)
            for event, neutral, remote in zip(events, neutrals, remotes, strict=True)
        ]
    )
    cursor = account._sync_connector().list_changes("").next_cursor
    check(bool(cursor), "the full listing gave no sync token")
    account.write({"sync_cursor": cursor, "first_sync_done": True})
    one_sync(harness, account)()  # consistent seeding: nothing to pull or push; warms caches
    return SeededCalendar(account, events, [remote["id"] for remote in remotes])


def link_vals(account, event, neutral, remote):
    """The link a successful push of ``event`` stores."""
    return {
        "account_id": account.id,
        "event_id": event.id,
        "origin": "push",
        "remote_id": remote["id"],
        "ical_uid": remote["iCalUID"],
        "etag": remote["etag"],
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
    email = seeded.account.user_id.email
    harness.google.patch_event(email, remote_id, {"summary": "Moved to the big room"})
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
        "| seconds | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.scenario} | {row.size:,} | {row.runs} | {per_change(row.requests, row)} "
            f"| {per_change(row.parts, row)} | {per_change(row.queries, row)} "
            f"| {row.sql_seconds:.3f} | {row.seconds:.3f} | {row.note} |"
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
            for name in ("requests", "parts", "queries", "sql_seconds", "seconds")
        ]
        lines.append(f"- {scenario}, N {small.size:,} -> {large.size:,}: " + "; ".join(figures))
    return lines


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
        f"PostgreSQL {postgres} (local socket); Google emulator in process"
    )


def report(env, rows):
    today = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return "\n".join(
        [
            "# Calendar Sync benchmark (Google)",
            "",
            f"Run on {today} by `make bench` (bench/calendar_sync_bench.py explains the",
            "scenarios and how they are counted).",
            "",
            f"Machine: {machine_note(env)}.",
            "",
            render_table(rows),
            "",
            "Growth, smallest -> largest N (the goal: flat; per event for (a)):",
            "",
            *growth_lines(rows),
            "",
        ]
    )


# --------------------------------------------------------------------------- entry point


def run_all(harness):
    small = seed_synced_calendar(harness, SMALL_CALENDAR)
    warm_up(harness, small)
    push_sizes = sizes_from_env("BENCH_PUSH_SIZES", "100 1000 3000")
    rows = [bench_initial_push(harness, size) for size in push_sizes]
    by_scenario = {}
    for size in sizes_from_env("BENCH_SYNC_SIZES", "1000 10000"):
        seeded = seed_synced_calendar(harness, size)
        measured = [bench(harness, seeded) for bench in SYNCED_SCENARIOS]
        for row in [*measured, bench_small_among_others(harness, small)]:
            by_scenario.setdefault(row.scenario, []).append(row)
    return rows + [row for group in by_scenario.values() for row in group]


def main(env):
    with GoogleEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as google:
        harness = Harness(env, google)
        harness.point_odoo_at_emulator()
        rows = run_all(harness)
    text = report(env, rows)
    print(text)
    target = os.environ.get("BENCH_RESULTS", str(REPO_ROOT / "bench" / "RESULTS.md"))
    if target:
        pathlib.Path(target).write_text(text)
        print(f"written to {target}")
    return rows
