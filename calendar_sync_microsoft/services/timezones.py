"""Windows <-> IANA time zone names, for Graph and EWS.

Outlook stores an event's zone as a Windows name ("Romance Standard Time"); Odoo and the engine
use IANA names ("Europe/Brussels"). The map is CLDR's windowsZones, as shipped (and kept up to
date) by exchangelib, rather than a hand-written list that would go stale.

Several IANA zones share one Windows zone (Brussels, Paris, Madrid... are all "Romance
Standard Time"), so a Windows name maps back to CLDR's representative zone ("Europe/Paris")
unless the caller knows a better one: ``hint`` (typically the user's or the event's own IANA
zone) wins whenever it maps to the same Windows zone, so an event written in Brussels comes back
in Brussels and never looks like a time zone change.
"""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from exchangelib.winzone import IANA_TO_MS_TIMEZONE_MAP, MS_TIMEZONE_TO_IANA_MAP

# Names Outlook uses for UTC besides the Windows "UTC" entry.
_UTC_ALIASES = frozenset(
    {"utc", "etc/utc", "z", "tzone://microsoft/utc", "coordinated universal time"}
)


@functools.lru_cache(maxsize=1)
def _windows_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in MS_TIMEZONE_TO_IANA_MAP}


def _is_iana(name: str) -> bool:
    # Windows names contain spaces; ZoneInfo would also accept file paths, which we never want.
    if not name or " " in name or name.startswith(("/", ".")) or "://" in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def windows_name(name: str) -> str | None:
    """The Windows zone name for a Windows (any case) or IANA name, or None."""
    if not name or not isinstance(name, str):
        return None
    name = name.strip()
    if name.casefold() in _UTC_ALIASES:
        return "UTC"
    windows = _windows_by_folded_name().get(name.casefold())
    if windows:
        return windows
    mapped = IANA_TO_MS_TIMEZONE_MAP.get(name)
    return mapped[0] if mapped else None


def to_iana(name: str, hint: str = "") -> str | None:
    """The IANA zone for a zone name Graph/EWS reports, or None when it is not a known zone.

    IANA names pass through unchanged. Windows names map to ``hint`` when the hint is in the
    same Windows zone, else to CLDR's representative zone. Outlook's custom zones
    ("tzone://Microsoft/Custom", "Customized Time Zone") have no name to map: None.
    """
    if not name or not isinstance(name, str):
        return None
    name = name.strip()
    if name.casefold() in _UTC_ALIASES:
        return "UTC"
    if _is_iana(name):
        return name
    windows = _windows_by_folded_name().get(name.casefold())
    if windows is None:
        return None
    if hint and windows_name(hint) == windows and _is_iana(hint):
        return hint
    return MS_TIMEZONE_TO_IANA_MAP[windows]


def to_windows(iana: str) -> str:
    """The Windows name Graph should receive for an IANA zone.

    Every IANA zone Python knows has a CLDR mapping; a name without one (a zone newer than the
    map) is returned unchanged, as Graph also accepts IANA names for a documented subset.
    """
    return windows_name(iana) or iana


def zone_for(name: str, hint: str = "") -> ZoneInfo | None:
    """``ZoneInfo`` for a Windows or IANA name, or None."""
    iana = to_iana(name, hint)
    return ZoneInfo(iana) if iana else None
