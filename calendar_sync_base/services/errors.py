"""Errors the connectors raise and the Odoo layer turns into user-facing states."""

from __future__ import annotations


class SyncError(Exception):
    """Base class: something the sync of one user could not do."""


class AuthExpired(SyncError):
    """The stored grant was revoked or expired (``invalid_grant``): the user must reconnect."""


class CursorExpired(SyncError):
    """The stored sync token / delta link was refused (410): a full resync is needed."""


class Throttled(SyncError):
    """The service asked us to slow down and retries were exhausted."""


class RemoteRejected(SyncError):
    """The service refused one item for a reason retrying will not fix (e.g. not organizer)."""

    def __init__(self, message: str, reason: str = "", status: int = 0):
        super().__init__(message)
        self.reason = reason
        self.status = status


class MalformedItem(RemoteRejected, ValueError):
    """A remote item (inbound) or a neutral event (outbound) a connector cannot map, naming
    the item's id and the field; ``kind`` names the provider's items in the message."""

    kind = "Remote event"

    def __init__(self, remote_id: str, field: str, detail: str):
        super().__init__(
            f"{self.kind} {remote_id or '(no id)'}: {field}: {detail}", reason="malformed"
        )
        self.remote_id = remote_id
        self.field = field


class ConfigurationError(SyncError):
    """A setting is missing or wrong (client id, endpoint): the administrator must fix it."""


class TimeBudgetExceeded(Exception):
    """The sync of one account used up its time budget: stop it now, continue next run.

    Deliberately not a ``SyncError``: connectors turn a ``SyncError`` met on one item into that
    item's failure and go on (and may move the cursor on), while running out of time must stop
    the whole account, with nothing half-applied kept.
    """
