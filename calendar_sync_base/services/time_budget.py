"""How long one scheduled sync may run, from Odoo's real-time limits (the numbers come in).

Odoo stops a cron that overruns its limit (``odoo/service/server.py``): a multi-worker server
kills the cron worker, a threaded one reloads itself. Whatever the sync was doing is lost and
the next run starts again, so a run must end on its own first, with a safety margin.
"""

from __future__ import annotations

# A multi-worker cron worker reports to its watchdog, then sleeps up to SLEEP_INTERVAL (60 s)
# plus its "chorus" delay (pid % 10 s) before running the jobs: the limit counts that sleep too.
PREFORK_SLEEP_ALLOWANCE = 70.0
# Kept back for the jobs run before ours in the same turn, commits and clock drift.
SAFETY_SHARE = 0.1
MIN_SAFETY = 5.0
# The least a run gets, even under a limit too tight to leave anything after the sleep.
MIN_RUN_BUDGET = 10.0
# Without any limit a run still ends, so one slow provider cannot hold the cron forever.
UNLIMITED_RUN_BUDGET = 600.0


def cron_time_limit(
    limit_time_real_cron: float, limit_time_real: float, prefork: bool
) -> float | None:
    """Odoo's real-time limit of a cron job in seconds, or None when there is none.

    ``limit_time_real_cron``: > 0 is the limit; -1 means "use ``limit_time_real``"; 0 means
    no limit for a multi-worker server, but ``limit_time_real`` for a threaded one (which only
    looks at positive values). ``limit_time_real`` 0 means no limit.
    """
    if limit_time_real_cron > 0:
        return float(limit_time_real_cron)
    if limit_time_real_cron == 0 and prefork:
        return None
    return float(limit_time_real) if limit_time_real > 0 else None


def cron_run_budget(limit_time_real_cron: float, limit_time_real: float, prefork: bool) -> float:
    """Seconds one scheduled run may spend syncing, so that Odoo never has to stop it."""
    limit = cron_time_limit(limit_time_real_cron, limit_time_real, prefork)
    if limit is None:
        return UNLIMITED_RUN_BUDGET
    usable = limit - (PREFORK_SLEEP_ALLOWANCE if prefork else 0.0)
    return max(MIN_RUN_BUDGET, usable - max(MIN_SAFETY, limit * SAFETY_SHARE))
