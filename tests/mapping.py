"""Helpers both connectors' mapper tests use."""

from __future__ import annotations

import datetime as dt

from calendar_sync_base.services.model import SYNCED_FIELDS, SyncEvent

UTC = dt.timezone.utc  # noqa: UP017 - the code under test must run on Python 3.10
# Zones with odd offsets and both sides of the date line: all-day dates must survive them all.
ZONES = (
    "UTC",
    "Europe/Brussels",
    "Europe/Paris",
    "America/Los_Angeles",
    "America/St_Johns",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Australia/Lord_Howe",
)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def synced(event: SyncEvent) -> dict:
    return {name: getattr(event, name) for name in SYNCED_FIELDS}
