"""`make bench-idle`: one full cycle of the Google sync over many idle connected accounts, with
a real ``odoo-bin`` (``--workers=2``, then ``--max-cron-threads`` 1 and 2) and the Google
emulator as a separate process.

Run by scripts/bench_latency.sh (``idle_cycle``) on a scratch database where the addons are
installed:

    python -m bench.idle_cycle <database>

Steps: start the emulator, connect ``IDLE_ACCOUNTS`` users (default 1,000) in an ``odoo-bin
shell`` step (bench/idle_configure.py), start the server with one cron worker and let the
first cycle run (each account's first sync: an empty calendar listed once). Then each measured
cycle makes every account due (its last attempt a day ago), wakes the cron worker as a trigger
does and waits until every account has synced again: an idle cycle, nothing changed on either
side. Measured per cycle: wall time from the wake-up to the last account synced, HTTP requests
the emulator received, SQL queries the cron workers ran (Odoo's own ``odoo.sql_db`` debug line
per query, counted in the server log by process) and the scheduled action's runs per process.
The same again with two cron workers, and a cycle over a tenth of the accounts (the per-account
cost must not depend on how many are synced). The figures go into a section of
bench/RESULTS.md.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import re
import subprocess
import sys
import time

from bench.latency import (
    CLIENT_SECRET,
    GOOGLE_CLIENT_ID,
    LOG_DIR,
    ODOO_BIN,
    ODOO_CONF,
    PYTHON,
    ROOT,
    Provider,
    env_int,
    machine_note,
    process,
    server_argv,
    wait_until,
    wake_cron_worker,
    write_results,
)

ACCOUNTS = env_int("IDLE_ACCOUNTS", 1000)
GOOGLE_PORT = env_int("IDLE_GOOGLE_PORT", 8234)
CYCLE_TIMEOUT = env_int("IDLE_TIMEOUT", 1800)  # seconds a cycle may take
SECTION = "## Idle cycle over many accounts, one and two cron workers"
CRON_XMLID = ("calendar_sync_google", "calendar_sync_google_cron_sync")
# Odoo's log line format: "<date> <time> <pid> <LEVEL> <db> <logger>: <message>".
LOG_LINE = re.compile(r"^\S+ \S+ (?P<pid>\d+) \S+ (?P<db>\S+) (?P<logger>\S+): (?P<message>.*)")


def sql(database, query):
    answer = subprocess.run(
        ["psql", "-d", database, "-qAtc", query], check=True, capture_output=True, text=True
    )
    return answer.stdout.strip()


def emulator_argv():
    argv = [PYTHON, "-m", "emulators", "google", "--port", str(GOOGLE_PORT)]
    for option in (f"client_id={GOOGLE_CLIENT_ID}", f"client_secret={CLIENT_SECRET}"):
        argv += ["--option", option]
    return argv


def configure_database(database, google):
    settings = {
        "IDLE_GOOGLE_URL": google.url,
        "IDLE_CLIENT_ID": GOOGLE_CLIENT_ID,
        "IDLE_CLIENT_SECRET": CLIENT_SECRET,
        "IDLE_ACCOUNTS": str(ACCOUNTS),
    }
    with (ROOT / "bench" / "idle_configure.py").open() as script:
        subprocess.run(
            [PYTHON, str(ODOO_BIN), "shell", "-c", str(ODOO_CONF), "-d", database]
            + ["--no-http", "--log-level=warn"],
            stdin=script,
            env={**os.environ, **settings},
            check=True,
            cwd=ROOT,
        )


class Cycle:
    """One cycle of the scheduled action over the accounts made due."""

    def __init__(self, database, google, log_path, cron_id):
        self.database = database
        self.google = google
        self.log_path = log_path
        self.cron_id = cron_id

    def run(self, accounts):
        """Make ``accounts`` accounts due (the others synced a minute ago), wake the cron
        worker, wait until they all synced; the cycle's figures."""
        # A run still going (the previous cycle's last) would reschedule the scheduled
        # action when it ends, over the wake-up below.
        wait_until(self.job_idle, "the scheduled action to be idle", timeout=CYCLE_TIMEOUT)
        started_at = sql(self.database, "SELECT now() AT TIME ZONE 'UTC'")
        sql(
            self.database,
            "UPDATE calendar_sync_account SET last_attempt_date = CASE WHEN id IN "
            f"(SELECT id FROM calendar_sync_account ORDER BY id LIMIT {accounts}) "
            "THEN now() AT TIME ZONE 'UTC' - interval '1 day' "
            "ELSE now() AT TIME ZONE 'UTC' - interval '1 minute' END",
        )
        self.google.control("POST", "requests/clear")
        offset = self.log_path.stat().st_size
        sql(
            self.database,
            f"UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' WHERE id = {self.cron_id}",
        )
        start = time.monotonic()
        wake_cron_worker(self.database)
        wait_until(
            lambda: self.synced_since(started_at) >= accounts,
            f"{accounts} accounts to sync",
            timeout=CYCLE_TIMEOUT,
        )
        seconds = time.monotonic() - start
        time.sleep(1)  # the last run's log lines
        runs, queries = self.read_log(offset)
        return {
            "accounts": accounts,
            "seconds": seconds,
            "requests": len(self.google.control("GET", "requests")),
            "queries": sum(queries.values()),
            "runs": runs,
        }

    def job_idle(self):
        """No cron worker holds the scheduled action (a worker locks it while it runs)."""
        return sql(
            self.database,
            f"SELECT id FROM ir_cron WHERE id = {self.cron_id} FOR NO KEY UPDATE SKIP LOCKED",
        )

    def synced_since(self, moment):
        return int(
            sql(
                self.database,
                "SELECT count(*) FROM calendar_sync_account "
                f"WHERE provider = 'google' AND last_sync_date >= '{moment}'",
            )
        )

    def read_log(self, offset):
        """Runs of the scheduled action per process, and the SQL queries of those processes
        (the cron workers: the HTTP workers are idle)."""
        job_run = re.compile(rf"^Job '.*' \({self.cron_id}\) done in")  # one per run
        runs = collections.Counter()
        queries = collections.Counter()
        with self.log_path.open() as log:
            log.seek(offset)
            for line in log:
                match = LOG_LINE.match(line)
                if not match or match["db"] != self.database:
                    continue
                if match["logger"] == "odoo.sql_db":
                    queries[match["pid"]] += 1
                elif match["logger"].endswith("ir_cron") and job_run.match(match["message"]):
                    runs[match["pid"]] += 1
        return runs, {pid: count for pid, count in queries.items() if pid in runs}


def with_server(database, google, cron_threads, cycles):
    """Start ``odoo-bin`` with ``cron_threads`` cron workers, run ``cycles`` (account
    counts), stop it; one row per cycle."""
    log_path = LOG_DIR / f"odoo-cron{cron_threads}.log"
    rows = []
    # One log line per query: their count.
    argv = server_argv(database, cron_threads, ["--log-handler=odoo.sql_db:DEBUG"])
    with process(f"odoo-cron{cron_threads}", argv):
        wait_until(
            lambda: cron_workers_listening(log_path) >= cron_threads,
            "the cron workers to listen for triggers",
        )
        cron_id = int(
            sql(
                database,
                "SELECT res_id FROM ir_model_data WHERE module = '{}' AND name = '{}'".format(
                    *CRON_XMLID
                ),
            )
        )
        cycle = Cycle(database, google, log_path, cron_id)
        for label, accounts in cycles:
            figures = cycle.run(accounts)
            figures.update(label=label, cron_threads=cron_threads)
            print(row_text(figures), flush=True)
            rows.append(figures)
    return rows


def cron_workers_listening(log_path):
    """Cron workers ready to be woken (each starts with LISTEN): a wake-up sent before
    would only be seen after their first sleep (a minute)."""
    if not log_path.exists():
        return 0
    return log_path.read_text().count("query: LISTEN cron_trigger")


def row_text(figures):
    return (
        f"{figures['label']}: {figures['cron_threads']} cron worker(s), "
        f"{figures['accounts']} accounts, {figures['seconds']:.1f} s, "
        f"{figures['requests']} requests, {figures['queries']} queries, runs per process "
        f"{dict(figures['runs'])}"
    )


def render(rows):
    today = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        SECTION,
        "",
        f"Run on {today} by `make bench-idle`. Machine: {machine_note()}; `odoo-bin "
        "--workers=2 --max-cron-threads=1` then `=2`, the Google emulator as a separate "
        f"process, {ACCOUNTS:,} users each with a connected, empty Google calendar (push off: "
        "every account polled). A cycle: every account made due, the cron worker woken, until "
        "each account synced once; wall time from the wake-up to the last account's sync, "
        "HTTP requests the emulator received, SQL queries of the cron workers (Odoo's "
        "`odoo.sql_db` debug line per query: logging them adds to the seconds), runs of the "
        "scheduled action (a run stops before Odoo's cron time limit and triggers the next).",
        "",
        "| cycle | cron workers | accounts synced | seconds | ms/account | HTTP requests "
        "| per account | SQL queries | per account | runs (per worker process) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        accounts = row["accounts"]
        runs = " + ".join(str(count) for count in row["runs"].values()) or "0"
        lines.append(
            f"| {row['label']} | {row['cron_threads']} | {accounts:,} | {row['seconds']:.1f} "
            f"| {1000 * row['seconds'] / accounts:.1f} | {row['requests']:,} "
            f"| {row['requests'] / accounts:.2f} | {row['queries']:,} "
            f"| {row['queries'] / accounts:.1f} | {runs} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(database):
    google = Provider(
        "google", "Google Calendar", GOOGLE_PORT, "summary", GOOGLE_CLIENT_ID, tls=False
    )
    tenth = max(1, ACCOUNTS // 10)
    with process("google-emulator", emulator_argv()):
        wait_until(google.answers, "the Google emulator")
        configure_database(database, google)
        rows = with_server(
            database,
            google,
            1,
            [
                ("first (first syncs)", ACCOUNTS),
                ("idle", ACCOUNTS),
                ("idle, a tenth of the accounts", tenth),
            ],
        )
        rows += with_server(database, google, 2, [("idle", ACCOUNTS)])
    write_results(render(rows), SECTION)
    print("written to bench/RESULTS.md")


if __name__ == "__main__":
    main(sys.argv[1])
