"""`make bench-latency`: seconds from an edit on one side to the changed copy on the other,
with a real ``odoo-bin`` server (HTTP workers + a cron worker woken by NOTIFY) and the Google
and Microsoft emulators as separate processes delivering push notifications to it.

Run by scripts/bench_latency.sh on a scratch database where the addons are installed:

    python -m bench.latency <database>

Steps: start both emulators (notifications to ``https://odoo.example.com`` are delivered to
the local server), connect one Odoo user per provider in an ``odoo-bin shell`` step (Microsoft
through msal's real sign-in), start ``odoo-bin --workers=2 --max-cron-threads=1``, wait for
the push channels, then per provider: N edits in Odoo over XML-RPC, each timed until the
emulator's copy shows it, and N edits through the provider's API, each timed until Odoo's
record shows it. Then the same remote edits with the emulator's deliveries off (polling
only). The figures go into a section of bench/RESULTS.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time
import xmlrpc.client

import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ODOO_BIN = pathlib.Path(os.environ.get("ODOO_PATH", "/opt/odoo")) / "odoo-bin"
ODOO_CONF = ROOT / ".odoo.conf"
PUBLIC_HOST = "odoo.example.com"
PASSWORD = "bench-latency"
CLIENT_SECRET = "bench-secret"
GOOGLE_CLIENT_ID = "bench-client.apps.googleusercontent.com"
MICROSOFT_CLIENT_ID = "5b7c9a1e-0d6f-4b0e-9a55-calsyncbench"
POLL_EVERY = 0.05  # seconds between two looks at the other side
SECTION = "## Latency with a real server and push notifications"


def env_int(name, default):
    return int(os.environ.get(name, default))


TIMEOUT = env_int("LATENCY_TIMEOUT", 200)  # seconds an edit may take (polling: minutes)
PORT = env_int("LATENCY_HTTP_PORT", 8230)
GOOGLE_PORT = env_int("LATENCY_GOOGLE_PORT", 8231)
MICROSOFT_PORT = env_int("LATENCY_MICROSOFT_PORT", 8232)
GEVENT_PORT = env_int("LATENCY_GEVENT_PORT", 8233)
EDITS = env_int("LATENCY_EDITS", 50)
POLLING_EDITS = env_int("LATENCY_POLLING_EDITS", 2)
POLLING_MINUTES = env_int("LATENCY_POLLING_MINUTES", 1)
LOG_DIR = pathlib.Path(os.environ.get("LATENCY_LOG_DIR", "/tmp"))


class Provider:
    """What differs between the two emulators: URLs, field names, API paths."""

    def __init__(self, key, title, port, title_field, client_id, tls):
        self.key = key
        self.title = title
        self.title_field = title_field
        self.client_id = client_id
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        self.port = port
        self.email = f"{key}@latency.example.com"
        self.verify = True
        self.session = requests.Session()

    def answers(self):
        return self.session.get(f"{self.url}/_emulator/", timeout=2, verify=self.verify).ok

    def control(self, method, path, **kwargs):
        answer = self.session.request(
            method, f"{self.url}/_emulator/{path}", timeout=10, verify=self.verify, **kwargs
        )
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def remote_events(self):
        return self.control("GET", f"{self.key}/events/{self.email}")

    def remote_title(self, remote_id):
        for item in self.remote_events():
            if item["id"] == remote_id:
                return item.get(self.title_field)
        return None

    def remote_id_of(self, title):
        for item in self.remote_events():
            if item.get(self.title_field) == title:
                return item["id"]
        return None

    def edit_remote(self, remote_id, title):
        """The user edits the event in Google Calendar / Outlook: the provider's own API."""
        token = self.control("POST", f"{self.key}/tokens", json={"email": self.email})
        answer = self.session.patch(
            self.event_url(remote_id),
            json={self.title_field: title},
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=10,
            verify=self.verify,
        )
        answer.raise_for_status()

    def event_url(self, remote_id):
        if self.key == "google":
            return f"{self.url}/calendar/v3/calendars/primary/events/{remote_id}"
        return f"{self.url}/v1.0/me/events/{remote_id}"

    def deliver_notifications(self, on):
        self.control("POST", f"{self.key}/settings", json={"deliver_notifications": on})


PROVIDERS = [
    Provider("google", "Google Calendar", GOOGLE_PORT, "summary", GOOGLE_CLIENT_ID, tls=False),
    Provider(
        "microsoft", "Microsoft Graph", MICROSOFT_PORT, "subject", MICROSOFT_CLIENT_ID, tls=True
    ),
]


# --------------------------------------------------------------------------- processes


@contextlib.contextmanager
def process(name, argv, env=None):
    log = (LOG_DIR / f"{name}.log").open("w")
    child = subprocess.Popen(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        log.close()


def wait_until(check, what, timeout=TIMEOUT):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(requests.RequestException, OSError):
            result = check()
            if result:
                return result
        time.sleep(POLL_EVERY)
    raise SystemExit(f"timed out after {timeout}s waiting for {what}")


def emulator_argv(provider):
    argv = [PYTHON, "-m", "emulators", provider.key, "--port", str(provider.port)]
    argv += ["--webhook-host", f"{PUBLIC_HOST}=http://127.0.0.1:{PORT}"]
    for option in (
        f"client_id={provider.client_id}",
        f"client_secret={CLIENT_SECRET}",
        "auto_approve=true",
    ):
        argv += ["--option", option]
    if provider.key == "microsoft":
        argv += ["--option", f"cert_dir={LOG_DIR / 'microsoft-tls'}"]
    return argv


def trust_microsoft_ca(microsoft):
    """Odoo (msal, requests) and this script must trust the emulator's CA."""
    from emulators.microsoft.tls import write_bundle

    bundle = LOG_DIR / "ca-bundle.pem"
    write_bundle(str(LOG_DIR / "microsoft-tls" / "emulator-ca.pem"), str(bundle))
    microsoft.verify = str(bundle)
    return {**os.environ, "REQUESTS_CA_BUNDLE": str(bundle), "CURL_CA_BUNDLE": str(bundle)}


def configure_database(database, odoo_env):
    """Point Odoo at the emulators, with a public https address, and connect the users."""
    for provider in PROVIDERS:
        provider.control("POST", f"{provider.key}/accounts", json={"email": provider.email})
    settings = {
        "LATENCY_PUBLIC_URL": f"https://{PUBLIC_HOST}",
        "LATENCY_PASSWORD": PASSWORD,
        "LATENCY_CLIENT_SECRET": CLIENT_SECRET,
        **{f"LATENCY_{p.key.upper()}_URL": p.url for p in PROVIDERS},
        **{f"LATENCY_{p.key.upper()}_EMAIL": p.email for p in PROVIDERS},
        **{f"LATENCY_{p.key.upper()}_CLIENT_ID": p.client_id for p in PROVIDERS},
    }
    with (ROOT / "bench" / "latency_configure.py").open() as script:
        subprocess.run(
            [PYTHON, str(ODOO_BIN), "shell", "-c", str(ODOO_CONF), "-d", database]
            + ["--no-http", "--log-level=warn"],
            stdin=script,
            env={**odoo_env, **settings},
            check=True,
            cwd=ROOT,
        )


def server_argv(database, cron_threads=1, extra=()):
    return [
        PYTHON,
        str(ODOO_BIN),
        "-c",
        str(ODOO_CONF),
        "-d",
        database,
        f"--db-filter=^{database}$",
        f"--http-port={PORT}",
        f"--gevent-port={GEVENT_PORT}",
        "--workers=2",
        f"--max-cron-threads={cron_threads}",
        "--log-level=info",
        *extra,
        *os.environ.get("LATENCY_ODOO_ARGS", "").split(),
    ]


# --------------------------------------------------------------------------- Odoo over XML-RPC


class Odoo:
    def __init__(self, database, login):
        url = f"http://127.0.0.1:{PORT}/xmlrpc/2"
        self.database = database
        self.uid = xmlrpc.client.ServerProxy(f"{url}/common").authenticate(
            database, login, PASSWORD, {}
        )
        if not self.uid:
            raise SystemExit(f"cannot log in as {login}")
        self.models = xmlrpc.client.ServerProxy(f"{url}/object", allow_none=True)

    def call(self, model, method, *args, **kwargs):
        return self.models.execute_kw(
            self.database, self.uid, PASSWORD, model, method, list(args), kwargs
        )

    def title(self, event_id):
        return self.call("calendar.event", "read", [event_id], ["name"])[0]["name"]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values):
    return {
        "n": len(values),
        "p50": statistics.median(values),
        "p95": percentile(values, 0.95),
        "max": max(values),
    }


def time_edits(count, edit, arrived, label):
    """Seconds from each edit to its arrival on the other side."""
    seconds = []
    for number in range(count):
        title = f"{label} {number} {time.time():.3f}"
        start = time.monotonic()
        edit(title)
        wait_until(lambda title=title: arrived(title), f"{label} #{number} to arrive")
        seconds.append(time.monotonic() - start)
    return seconds


def measure(provider, odoo):
    """The provider's push rows of the results table, and a function timing a remote edit
    (for the polling phase)."""
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=1)
    event_id = odoo.call(
        "calendar.event",
        "create",
        {
            "name": f"Latency {provider.key}",
            "start": start.strftime("%Y-%m-%d %H:%M:%S"),
            "stop": (start + dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
        },
    )
    remote_id = wait_until(
        lambda: provider.remote_id_of(f"Latency {provider.key}"), "the first push"
    )

    def odoo_edit(title):
        odoo.call("calendar.event", "write", [event_id], {"name": title})

    rows = [
        (
            "Odoo edit -> remote copy changed",
            summary(
                time_edits(
                    EDITS,
                    odoo_edit,
                    lambda title: provider.remote_title(remote_id) == title,
                    "odoo-edit",
                )
            ),
        )
    ]

    def remote_edit(title):
        provider.edit_remote(remote_id, title)

    def in_odoo(title):
        return odoo.title(event_id) == title

    rows.append(
        (
            "remote edit -> Odoo record changed (push)",
            summary(time_edits(EDITS, remote_edit, in_odoo, "remote-edit")),
        )
    )
    return rows, lambda count: time_edits(count, remote_edit, in_odoo, "polled-edit")


# --------------------------------------------------------------------------- report


def machine_note():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    postgres = subprocess.run(
        ["psql", "-d", "postgres", "-tAc", "SHOW server_version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (
        f"{platform.node()}: {cpu}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}, Odoo 18.0, "
        f"PostgreSQL {postgres} (local socket)"
    )


def render(results):
    today = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        SECTION,
        "",
        f"Run on {today} by `make bench-latency`. Machine: {machine_note()}; `odoo-bin "
        "--workers=2 --max-cron-threads=1`, Google and Microsoft (TLS) emulators as separate "
        f"processes delivering push notifications to Odoo (web.base.url https://{PUBLIC_HOST}, "
        "mapped to the local server). Seconds from the edit (XML-RPC `write` in Odoo, or the "
        "provider's API PATCH) until the other side shows it (polled every "
        f"{POLL_EVERY * 1000:.0f} ms).",
        "",
        "| Provider | Direction | edits | p50 (s) | p95 (s) | max (s) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for provider, rows in results:
        for label, figures in rows:
            lines.append(
                f"| {provider.title} | {label} | {figures['n']} | {figures['p50']:.2f} | "
                f"{figures['p95']:.2f} | {figures['max']:.2f} |"
            )
    lines += [
        "",
        "Without push (web.base.url no longer public: the channels are closed), a remote edit "
        "waits for the account's next scheduled sync, so its figure is the polling bound, not "
        f"a latency: here the sync crons ran every {POLLING_MINUTES} minute(s) for the "
        "sample (5 minutes by default; an account without a healthy channel is taken once "
        "80% of an interval has passed, one with a healthy channel only every 6 intervals). "
        "Opening Calendar pulls at once.",
        "",
        "Found by the first run of this bench: a change arriving while a sync of the same "
        "account was in flight (our own push echoed back by the provider's notification, a "
        "second edit) found the account already flagged, left the flag alone, and the sync "
        "cleared it at its end: the woken run had nothing to do and the change waited for "
        "the schedule (the 3rd Odoo edit and the 1st remote edit never arrived within 30 s). "
        "A request is now a row of its own (`calendar.sync.request`), inserted without "
        "waiting for the sync's row lock; a sync consumes only the requests it can see, so one "
        "made during it outlives it and the run it woke syncs the account again "
        "(test_account_lock, test_google_push_trigger).",
        "",
    ]
    return "\n".join(lines)


def write_results(section, title=SECTION):
    """Put ``section`` (headed by ``title``) into bench/RESULTS.md, in place of its last
    version."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    if title in text:
        before, _, rest = text.partition(title)
        following = rest.find("\n## ")
        after = rest[following + 1 :] if following >= 0 else ""
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


# --------------------------------------------------------------------------- main


def wake_cron_worker(database):
    """A cron worker starts with a sleep (a minute, unless woken): wake it as Odoo does."""
    subprocess.run(
        ["psql", "-d", "postgres", "-qAtc", f"SELECT pg_notify('cron_trigger', '{database}')"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def channel_count(odoo):
    return odoo.call("calendar.sync.channel", "search_count", [("remote_id", "!=", False)])


def polling_only(admin, minutes):
    """Push off (web.base.url no longer public: the channel cron closes the channels), and
    the providers' sync crons every ``minutes`` starting now, so the bound is short enough
    to sample."""
    admin.call("ir.config_parameter", "set_param", "web.base.url", f"http://127.0.0.1:{PORT}")
    channel_cron = admin.call(
        "ir.model.data",
        "check_object_reference",
        "calendar_sync_base",
        "calendar_sync_cron_push_channels",
    )[1]
    admin.call("ir.cron", "method_direct_trigger", [channel_cron])
    wait_until(lambda: channel_count(admin) == 0, "the push channels to close")
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    for provider in PROVIDERS:
        cron = admin.call(
            "ir.model.data",
            "check_object_reference",
            f"calendar_sync_{provider.key}",
            f"calendar_sync_{provider.key}_cron_sync",
        )[1]
        admin.call(
            "ir.cron",
            "write",
            [cron],
            {"interval_number": minutes, "interval_type": "minutes", "nextcall": now},
        )


def report_line(provider, label, figures):
    print(
        f"{provider.title:16} {label:72} p50 {figures['p50']:.2f}s "
        f"p95 {figures['p95']:.2f}s max {figures['max']:.2f}s (n={figures['n']})",
        flush=True,
    )


def main(database):
    google, microsoft = PROVIDERS
    with contextlib.ExitStack() as stack:
        for provider in PROVIDERS:
            stack.enter_context(process(f"{provider.key}-emulator", emulator_argv(provider)))
        wait_until(google.answers, "the Google emulator")
        wait_until((LOG_DIR / "microsoft-tls" / "emulator-ca.pem").exists, "the TLS files")
        odoo_env = trust_microsoft_ca(microsoft)
        wait_until(microsoft.answers, "the Microsoft emulator")
        configure_database(database, odoo_env)
        stack.enter_context(process("odoo", server_argv(database), env=odoo_env))
        admin = wait_until(lambda: Odoo(database, "admin"), "Odoo to answer XML-RPC")
        wake_cron_worker(database)
        wait_until(lambda: channel_count(admin) >= len(PROVIDERS), "the push channels to open")
        results = []
        polled_edits = []
        for provider in PROVIDERS:
            rows, polled_edit = measure(provider, Odoo(database, provider.email))
            for label, figures in rows:
                report_line(provider, label, figures)
            results.append((provider, rows))
            polled_edits.append(polled_edit)
        if POLLING_EDITS:
            polling_only(admin, POLLING_MINUTES)
            label = (
                f"remote edit -> Odoo record changed (no push, cron every {POLLING_MINUTES} min)"
            )
            for (provider, rows), polled_edit in zip(results, polled_edits, strict=True):
                figures = summary(polled_edit(POLLING_EDITS))
                report_line(provider, label, figures)
                rows.append((label, figures))
    write_results(render(results))
    print("written to bench/RESULTS.md")


if __name__ == "__main__":
    main(sys.argv[1])
