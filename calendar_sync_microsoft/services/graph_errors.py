"""Microsoft Graph's error codes -> the engine's errors."""

from __future__ import annotations

from typing import Any

from calendar_sync_base.services.errors import (
    AuthExpired,
    CursorExpired,
    RemoteRejected,
    SyncError,
    Throttled,
)
from calendar_sync_base.services.http import parse_retry_after
from calendar_sync_base.services.rest import header

CURSOR_EXPIRED_CODES = frozenset(
    {"syncstatenotfound", "resyncrequired", "syncstateinvalid", "errorinvalidsyncstatedata"}
)
CONFLICT_CODES = frozenset({"errorirresolvableconflict"})


def error_details(payload: Any) -> tuple[str, str]:
    """``(code, message)`` of an OData error body (any shape tolerated)."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return "", str(error or payload or "")[:500]
    return str(error.get("code") or ""), str(error.get("message") or "")


def is_transient(status: int | None) -> bool:
    """Worth sending again: no answer, throttled, or a server-side failure."""
    return status is None or status == 429 or status >= 500


def error_for(status: int | None, payload: Any, headers: Any = None, what: str = "") -> SyncError:
    """The neutral error for a failed Graph call."""
    code, message = error_details(payload)
    text = f"Microsoft Graph {what or 'request'} failed ({status or 'no response'} {code}): "
    text += message
    retry_after = parse_retry_after(header(headers, "Retry-After"))
    if status == 401:
        return AuthExpired(text)
    if status == 410 or code.casefold() in CURSOR_EXPIRED_CODES:
        return CursorExpired(text)
    if status == 429 or (status in (503, 504) and retry_after is not None):
        return Throttled(text)
    if status is None or status >= 500:
        return SyncError(text)
    return RemoteRejected(text, reason=code, status=status)


def is_conflict(status: int | None, payload: Any) -> bool:
    """The change key sent no longer matched (412), or Exchange could not merge (409)."""
    return status == 412 or (
        status == 409 and error_details(payload)[0].casefold() in CONFLICT_CODES
    )


def malformed_id(status: int | None, payload: Any) -> bool:
    """An id Graph says cannot exist (garbage stored, or from another mailbox)."""
    return status == 400 and error_details(payload)[0].casefold() == "errorinvalididmalformed"
