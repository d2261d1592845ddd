"""The run budget follows Odoo 18's cron time limits (odoo/service/server.py)."""

import pytest

from calendar_sync_base.services.time_budget import (
    MIN_RUN_BUDGET,
    UNLIMITED_RUN_BUDGET,
    cron_run_budget,
    cron_time_limit,
)


@pytest.mark.parametrize(
    ("cron", "real", "prefork", "limit"),
    [
        (-1, 120, True, 120.0),  # Odoo's defaults: the cron inherits limit_time_real
        (-1, 120, False, 120.0),
        (300, 120, True, 300.0),
        (300, 120, False, 300.0),
        (0, 120, True, None),  # workers: 0 switches the cron watchdog off
        (0, 120, False, 120.0),  # threaded: only a positive value replaces limit_time_real
        (-1, 0, False, None),
    ],
)
def test_cron_time_limit(cron, real, prefork, limit):
    assert cron_time_limit(cron, real, prefork) == limit


def test_multi_worker_budget_leaves_room_for_the_sleep_before_the_job():
    # 120 s, minus up to 70 s of the worker's sleep counted by its watchdog, minus 12 s margin.
    assert cron_run_budget(-1, 120, prefork=True) == 38.0


def test_threaded_budget_keeps_a_safety_margin():
    assert cron_run_budget(-1, 120, prefork=False) == 108.0
    assert cron_run_budget(30, 120, prefork=False) == 25.0  # at least 5 s kept back


def test_tight_and_missing_limits():
    assert cron_run_budget(60, 120, prefork=True) == MIN_RUN_BUDGET
    assert cron_run_budget(0, 120, prefork=True) == UNLIMITED_RUN_BUDGET
