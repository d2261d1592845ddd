"""Aware and naive datetimes, one way everywhere.

The engine and the connectors work with aware datetimes; Odoo stores naive UTC ones. A naive
value reaching either side can only mean UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .model import UTC

# RFC 3339 and the ISO 8601 Graph writes: seconds optional, any number of fractional digits
# (Graph writes 7), "Z" or an offset with or without colon, or no offset (local wall time).
_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})?$"
)


def as_aware(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` with a time zone: a naive one is UTC, an aware one keeps its own zone; no
    value (None, or Odoo's False for an empty field) is None."""
    if not value:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def aware_utc(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` as an aware UTC datetime (a naive one is UTC already); no value is None."""
    return value and as_aware(value).astimezone(UTC)


def naive_utc(value):
    """``value`` as Odoo stores it: an aware datetime becomes naive UTC; anything else (a naive
    datetime, a date, None) is returned as it is."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def rfc3339_utc(moment: dt.datetime) -> str:
    """``moment`` (a naive one is UTC) as an RFC 3339 UTC timestamp, to the second:
    ``2030-01-07T08:00:00Z``, the form both Google's and Graph's query parameters take."""
    return aware_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: Any) -> dt.datetime:
    """An RFC 3339 date-time -> datetime, aware when it carries ``Z`` or an offset, naive
    otherwise; on every Python Odoo 18 runs on (3.10's ``fromisoformat`` knows neither ``Z``
    nor 7 fractional digits). Raises ``ValueError``."""
    match = _DATETIME.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"invalid date-time {value!r}")
    day, clock, fraction, offset = match.groups()
    if len(clock) == 5:
        clock += ":00"
    micros = (fraction or "0")[:6].ljust(6, "0")
    if offset in ("Z", "z"):
        offset = "+00:00"
    elif offset and ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    return dt.datetime.fromisoformat(f"{day}T{clock}.{micros}{offset or ''}")
