"""Aware and naive datetimes, one way everywhere.

The engine and the connectors work with aware datetimes; Odoo stores naive UTC ones. A naive
value reaching either side can only mean UTC.
"""

from __future__ import annotations

import datetime as dt


def as_aware(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` with a time zone: a naive one is UTC, an aware one keeps its own zone; no
    value (None, or Odoo's False for an empty field) is None."""
    if not value:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


def aware_utc(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` as an aware UTC datetime (a naive one is UTC already); no value is None."""
    return value and as_aware(value).astimezone(dt.timezone.utc)


def naive_utc(value):
    """``value`` as Odoo stores it: an aware datetime becomes naive UTC; anything else (a naive
    datetime, a date, None) is returned as it is."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def rfc3339_utc(moment: dt.datetime) -> str:
    """``moment`` (a naive one is UTC) as an RFC 3339 UTC timestamp, to the second:
    ``2030-01-07T08:00:00Z``, the form both Google's and Graph's query parameters take."""
    return aware_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
