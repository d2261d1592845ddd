"""`make bench-compare`: our sync and Odoo 18's own google_calendar / microsoft_calendar, side
by side, on the same generated calendars and the same emulator process.

``scripts/bench_compare.sh`` installs the test-only addon ``calendar_sync_builtin_check`` (our
addons and Odoo's two built-in ones) on a scratch database and runs ``main(env)`` in ``odoo-bin
shell``. Per provider, one emulator serves both sides, each side with its own user and mailbox;
the built-in module is driven as its cron and its post-commit hooks drive it
(``calendar_sync_builtin_check/builtin_sync.py``, which also points its URL constants at the
emulator). While one side runs the other is idle: the built-in modules are paused (their
"sync paused" setting) while ours run, and none of our accounts belongs to the built-in side's
user. Everything a provider did is rolled back before the next one.

Scenarios:
- first sync of 1,000 (``BENCH_COMPARE_PUSH``) existing Odoo events (each with one guest):
  connect, then sync runs until every event is in the remote calendar;
- the same with 100 ms of network latency on every HTTP request (the emulator's latency fault);
- initial pull of N remote events (each with one guest), N in ``BENCH_COMPARE_SIZES`` (default
  "1000 10000"): connect, sync runs until all N are in Odoo;
- then, on those N synced events, 1 remote change (one title edited in the remote calendar, one
  sync run) and 1 local change (one title edited in Odoo: ours sends it in its next sync run,
  the built-in module from the commit's post-commit hook; that hook plus one cron run, which
  pulls the echo, are measured).

Measures, around the sync only: sync runs; HTTP requests (the emulator's log, batch envelopes
once, token requests included); SQL queries (``cr.sql_log_count``); seconds (wall clock,
emulator included); peak memory (the process's peak resident set above its size at the start,
the peak reset through ``/proc/self/clear_refs``); invitations e-mailed: by the provider
(Google: its outbox, the guests of inserts and patches sent with ``sendUpdates=all``; Graph:
the guests of every event created or whose guests were sent, as Outlook invites them) + by Odoo
(``mail.mail`` created). Ratios are ours / built-in (below 1: ours costs less).
"""

import contextlib
import dataclasses
import datetime as dt
import os
import pathlib
import re
import time

from odoo import Command, fields

from odoo.addons.calendar_sync_builtin_check import builtin_sync

from .calendar_sync_bench import (
    QUIET,
    GoogleBench,
    Harness,
    MicrosoftBench,
    check,
    machine_note,
    split_sections,
)

PUSH_SIZE = int(os.environ.get("BENCH_COMPARE_PUSH", "1000"))
LATENCY = 0.1  # seconds per HTTP request
MAX_RUNS = 200
GUEST = "guest@bench.example.org"
SPREAD = dt.timedelta(days=300)  # inside both built-in modules' windows (Google: 365 days)
SECTION_TITLE = "Ours and Odoo's own modules, side by side"
# What makes Outlook send a meeting update to its guests.
MEETING_FIELDS = {"subject", "start", "end", "location", "locations", "body", "attendees"}
PROVIDER_TITLES = (GoogleBench.title, MicrosoftBench.title)
FIGURES = ("runs", "requests", "queries", "seconds", "peak_mb", "invitations")


@dataclasses.dataclass
class Figures:
    runs: int
    requests: int
    queries: int
    seconds: float
    peak_mb: float
    provider_invitations: int
    odoo_mails: int

    @property
    def invitations(self):
        return self.provider_invitations + self.odoo_mails


def _status_kb(field):
    text = pathlib.Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", text).group(1))


def reset_peak_memory():
    pathlib.Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS


# --------------------------------------------------------------------------- the two sides


class OursSide:
    """Our module: a calendar.sync.account, synced through ``_sync_guarded``."""

    name = "ours"

    def __init__(self, harness):
        self.harness = harness
        self.env = harness.env

    @contextlib.contextmanager
    def active(self):
        """Odoo's own module paused meanwhile (its create/write hooks do nothing then)."""
        params = self.env["ir.config_parameter"].sudo()
        for key in ("google_calendar_sync_paused", "microsoft_calendar_sync_paused"):
            params.set_param(key, True)
        try:
            yield self
        finally:
            for key in ("google_calendar_sync_paused", "microsoft_calendar_sync_paused"):
                params.set_param(key, False)

    def connect(self, user):
        self.account = self.harness.connect(user)

    def sync_until(self, done):
        runs = 0
        while not done():
            check(runs < MAX_RUNS, "the sync does not end")
            self.harness.sync(self.account)
            runs += 1
        return runs

    def sync_once(self):
        self.harness.sync(self.account)
        return 1

    def local_change(self, event):
        event.with_user(self.account.user_id).write({"name": "Renamed in Odoo"})
        return self.sync_once()


class BuiltinSide:
    """Odoo's own module, pointed at the same emulator, run as its cron runs it."""

    name = "built-in"

    def __init__(self, harness, provider_key):
        self.harness = harness
        self.env = harness.env
        self.google = provider_key == "google"

    @contextlib.contextmanager
    def active(self):
        emulator = self.harness.provider.emulator
        pointed = (
            builtin_sync.google_pointed_at if self.google else builtin_sync.microsoft_pointed_at
        )
        with pointed(self.env, emulator):
            yield self

    def connect(self, user):
        self.user = user
        emulator = self.harness.provider.emulator
        if self.google:
            builtin_sync.connect_google(self.env, user, emulator)
        else:
            builtin_sync.connect_microsoft(user, emulator)

    def sync_once(self):
        sync = builtin_sync.sync_google if self.google else builtin_sync.sync_microsoft
        sync(self.env, self.user)
        return 1

    def sync_until(self, done):
        runs = 0
        while not done():
            check(runs < MAX_RUNS, "the built-in sync does not end")
            runs += self.sync_once()
        return runs

    def local_change(self, event):
        event.with_user(self.user).write({"name": "Renamed in Odoo"})
        builtin_sync.run_post_commit_hooks(self.env)  # the patch goes out at commit
        return self.sync_once()  # and the next cron run pulls its echo


# --------------------------------------------------------------------------- measuring


class Bench:
    def __init__(self, env, provider):
        self.env = env
        self.provider = provider
        self.harness = Harness(env, provider)
        self.guest = env["res.partner"].create({"name": "Guest", "email": GUEST})

    @property
    def emulator(self):
        return self.provider.emulator

    def measure(self, user, action):
        env = self.env
        builtin_sync.run_post_commit_hooks(env)  # nothing of the set-up left to send
        env.cr.execute("ANALYZE")
        log = self.emulator.requests
        log.clear()
        outbox = len(getattr(self.emulator, "outbox", ()))
        env.cr.execute("SELECT coalesce(max(id), 0) FROM mail_mail")
        last_mail = env.cr.fetchone()[0]
        queries = env.cr.sql_log_count
        reset_peak_memory()
        rss = _status_kb("VmRSS")
        started = time.perf_counter()
        runs = action()
        env.flush_all()
        seconds = time.perf_counter() - started
        peak_mb = max(_status_kb("VmHWM") - rss, 0) / 1024
        env.cr.execute("SELECT count(*) FROM mail_mail WHERE id > %s", [last_mail])
        odoo_mails = env.cr.fetchone()[0]
        return Figures(
            runs=runs,
            requests=log.count(in_batch=False),
            queries=env.cr.sql_log_count - queries,
            seconds=seconds,
            peak_mb=peak_mb,
            provider_invitations=self.provider_invitations(log, outbox, user.email),
            odoo_mails=odoo_mails,
        )

    def provider_invitations(self, log, outbox, owner):
        """Guests the provider e-mails: Google's outbox; Outlook invites the guests of every
        meeting created and updates them when its subject, times, place, text or guests change
        (``$batch`` parts are in the log on their own, after their envelope)."""
        if self.provider.key == "google":
            return sum(len(mail["to"]) for mail in self.emulator.outbox[outbox:])
        mailed = 0
        for request in log:
            match = re.search(r"/events(?:/([^/]+))?$", request.path)
            body = request.json() if match and request.body else None
            if not body or request.method not in ("POST", "PATCH"):
                continue
            if request.method == "PATCH" and not body.keys() & MEETING_FIELDS:
                continue
            event = body if request.method == "POST" else self.emulator.get_event(owner, match[1])
            guests = (event or {}).get("attendees") or ()
            mailed += sum(guest["emailAddress"]["address"] != owner for guest in guests)
        return mailed

    # -- calendars ----------------------------------------------------------------------

    def new_user(self, tag):
        return self.harness.new_user(f"{self.provider.key}-{tag}")

    def odoo_events(self, user, count):
        """``count`` one-hour events with one guest, organised by ``user``, from tomorrow."""
        start = self.harness.start
        vals_list = [
            {
                "name": f"Meeting {index}",
                "start": start + dt.timedelta(hours=index),
                "stop": start + dt.timedelta(hours=index + 1),
                "partner_ids": [Command.set([user.partner_id.id, self.guest.id])],
            }
            for index in range(count)
        ]
        events = self.env["calendar.event"].with_user(user).with_context(**QUIET).create(vals_list)
        builtin_sync.run_post_commit_hooks(self.env)  # not connected yet: they send nothing
        # This one transaction stamps write_date with its start (PostgreSQL's now()), minutes
        # ago; Odoo's microsoft_calendar pushes only events written at most 5 minutes before
        # its sync. Stamp them with the time they were really written, as a commit would.
        self.env.cr.execute(
            "UPDATE calendar_event SET write_date = %s WHERE id IN %s",
            [fields.Datetime.now(), tuple(events.ids)],
        )
        events.invalidate_recordset(["write_date"])
        return events

    def remote_events(self, email, count):
        """``count`` half-hour events with one guest in ``email``'s remote calendar, spread
        over the next 300 days; their ids."""
        step = SPREAD / count
        start = fields.Datetime.now().replace(microsecond=0, second=0, minute=0)
        start += dt.timedelta(days=1)
        ids = []
        for index in range(count):
            begin = start + step * index
            body = self.remote_body(f"Remote {index}", begin, begin + dt.timedelta(minutes=30))
            ids.append(self.emulator.insert_event(email, body)["id"])
        return ids

    def remote_body(self, title, begin, end):
        def stamp(moment):
            return moment.strftime("%Y-%m-%dT%H:%M:%S")

        if self.provider.key == "google":
            return {
                "summary": title,
                "start": {"dateTime": stamp(begin) + "Z"},
                "end": {"dateTime": stamp(end) + "Z"},
                "attendees": [{"email": GUEST}],
            }
        return {
            "subject": title,
            "start": {"dateTime": stamp(begin), "timeZone": "UTC"},
            "end": {"dateTime": stamp(end), "timeZone": "UTC"},
            "attendees": [
                {"emailAddress": {"address": GUEST, "name": "Guest"}, "type": "required"}
            ],
        }

    def user_events(self, user, domain=()):
        """Events of ``user``'s calendar: he organises or attends them."""
        return self.env["calendar.event"].search_count(self.user_domain(user, domain))

    def user_domain(self, user, domain=()):
        mine = ["|", ("user_id", "=", user.id), ("partner_ids", "in", user.partner_id.id)]
        return [*mine, *domain]

    # -- scenarios -----------------------------------------------------------------------

    def sides(self):
        return (OursSide(self.harness), BuiltinSide(self.harness, self.provider.key))

    def first_push(self, side, tag, latency=0.0):
        user = self.new_user(f"{side.name}-{tag}")
        events = self.odoo_events(user, PUSH_SIZE)
        with side.active():
            side.connect(user)
            if latency:
                self.emulator.faults.add(latency=latency, times=None)
            try:
                figures = self.measure(
                    user, lambda: side.sync_until(lambda: self.all_pushed(events))
                )
            finally:
                self.emulator.faults.clear()
        return figures

    def all_pushed(self, events):
        """Every event has its remote copy (whichever side linked it)."""
        self.env.flush_all()
        self.env.invalidate_all()
        ids = tuple(events.ids)
        self.env.cr.execute(
            """SELECT count(*) FROM calendar_event e WHERE e.id IN %s
                AND e.google_id IS NULL AND e.microsoft_id IS NULL
                AND NOT EXISTS (SELECT 1 FROM calendar_sync_link l
                                WHERE l.event_id = e.id AND l.remote_id IS NOT NULL)""",
            [ids],
        )
        return self.env.cr.fetchone()[0] == 0

    def pull_and_changes(self, side, size):
        """(initial pull, 1 remote change, 1 local change) figures on ``size`` events."""
        user = self.new_user(f"{side.name}-pull-{size}")
        with side.active():
            side.connect(user)
            remote_ids = self.remote_events(user.email, size)
            pull = self.measure(
                user, lambda: side.sync_until(lambda: self.user_events(user) >= size)
            )
            check(self.user_events(user) == size, f"{side.name} pulled a wrong number of events")
            self.emulator.patch_event(
                user.email, remote_ids[size // 2], {self.provider.title_field: "Moved remotely"}
            )
            remote = self.measure(user, side.sync_once)
            check(self.user_events(user, [("name", "=", "Moved remotely")]) == 1, "not pulled")
            event = self.env["calendar.event"].search(
                self.user_domain(user, [("name", "=", f"Remote {size // 3}")])
            )
            local = self.measure(user, lambda: side.local_change(event))
            remote_titles = [
                e.get("summary") or e.get("subject") for e in self.emulator.events(user.email)
            ]
            check("Renamed in Odoo" in remote_titles, f"{side.name} did not push the change")
        return pull, remote, local

    def run(self, sizes):
        rows = []  # (scenario, {side: Figures})
        for tag, label, latency in (
            ("push", f"first sync of {PUSH_SIZE:,} Odoo events", 0.0),
            (
                "slow",
                f"first sync of {PUSH_SIZE:,} Odoo events, {LATENCY * 1000:.0f} ms latency",
                LATENCY,
            ),
        ):
            by_side = {side.name: self.first_push(side, tag, latency) for side in self.sides()}
            rows.append((label, by_side))
        for size in sizes:
            by_side = {side.name: self.pull_and_changes(side, size) for side in self.sides()}
            for index, label in enumerate(
                (
                    f"initial pull of {size:,} remote events",
                    f"1 remote change among {size:,}",
                    f"1 local change among {size:,}",
                )
            ):
                rows.append((label, {name: figures[index] for name, figures in by_side.items()}))
        return rows


# --------------------------------------------------------------------------- report


def ratio(ours, builtin):
    if builtin == 0:
        return "-" if ours == 0 else "n/a"
    return f"{ours / builtin:.2f}"


def cell(figures, name):
    if name == "invitations":
        return f"{figures.provider_invitations:,} + {figures.odoo_mails:,}"
    value = getattr(figures, name)
    return f"{value:.2f}" if isinstance(value, float) else f"{value:,}"


def render(env, provider, rows):
    """One provider's table, under a ``### <title>`` heading with the run's date and machine."""
    today = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        f"### {provider.title}",
        "",
        f"Run on {today} by `make bench-compare`. Machine: {machine_note(env)}; "
        f"{provider.emulator_note}.",
        "",
        "| scenario | side | sync runs | HTTP requests | SQL queries | seconds | peak MB "
        "| guests e-mailed (provider + Odoo) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, by_side in rows:
        ours, builtin = by_side["ours"], by_side["built-in"]
        for name, figures in (("ours", ours), ("built-in", builtin)):
            cells = " | ".join(cell(figures, figure) for figure in FIGURES)
            lines.append(f"| {label} | {name} | {cells} |")
        ratios = " | ".join(
            ratio(getattr(ours, figure), getattr(builtin, figure)) for figure in FIGURES
        )
        lines.append(f"| {label} | **ours / built-in** | {ratios} |")
    return "\n".join(lines)


def section(tables, previous):
    """The results section: this run's provider tables, the others kept from ``previous``."""
    kept = {}
    for table in previous.split("\n### ")[1:]:
        kept[table.split("\n", 1)[0].strip()] = "### " + table.rstrip("\n")
    kept.update(tables)
    return "\n".join(
        [
            f"## {SECTION_TITLE}",
            "",
            "Written by `make bench-compare` (bench/compare_builtin.py explains the scenarios "
            "and measures). Ratios are ours / built-in (below 1: ours costs less; n/a: the "
            "built-in figure is 0). Built-in sync runs are its cron's; its local change goes out "
            "from the post-commit hook, counted with the next cron run. Odoo's google_calendar "
            "pushes at most 200 events per run, the first run without e-mails and the next ones "
            "with `sendUpdates=all`. Peak memory: the process's resident peak above its size at "
            "the start of the measure (emulator included); memory an earlier scenario made the "
            "process hold is reused without growing it, so small figures (and 0) only say the "
            "sync fitted in memory already held: compare the 10,000-event pulls.",
            "",
            *(kept[title] + "\n" for title in PROVIDER_TITLES if title in kept),
        ]
    )


def write_results(tables):
    path = pathlib.Path(
        os.environ.get("BENCH_RESULTS", "") or pathlib.Path(__file__).parent / "RESULTS.md"
    )
    previous = path.read_text() if path.exists() else ""
    sections = split_sections(previous)
    head = previous.split("\n## ", 1)[0].rstrip("\n") + "\n\n" if previous else ""
    sections[SECTION_TITLE] = section(tables, sections.get(SECTION_TITLE, ""))
    path.write_text(head + "\n".join(body.rstrip("\n") + "\n" for body in sections.values()))
    return path


def main(env):
    sizes = [int(size) for size in os.environ.get("BENCH_COMPARE_SIZES", "1000 10000").split()]
    keys = os.environ.get("BENCH_PROVIDERS", "google microsoft").split()
    # The built-in modules send from post-commit hooks through a cursor of their own; in this
    # one uncommitted transaction, that cursor must be this one (as in Odoo's HttpCase).
    env.registry.enter_test_mode(env.cr)
    try:
        tables = run_providers(env, keys, sizes)
    finally:
        env.registry.leave_test_mode()
    path = write_results(tables)
    print(f"written to {path}")


def run_providers(env, keys, sizes):
    """``{provider title: table}``."""
    tables = {}
    for provider in (bench() for bench in (GoogleBench, MicrosoftBench) if bench.key in keys):
        print(f"==> {provider.title}", flush=True)
        with contextlib.closing(env.cr.savepoint()), provider.running():
            provider_bench = Bench(env, provider)
            provider_bench.harness.point_odoo_at_emulator()
            tables[provider.title] = render(env, provider, provider_bench.run(sizes))
        env.registry.clear_cache()
        print(tables[provider.title], flush=True)
    return tables
