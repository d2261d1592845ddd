"""EWS failures -> the neutral errors of ``calendar_sync_base.services.errors``, and the one
retry worth making: ``ErrorServerBusy``, after the ``BackOffMilliseconds`` Exchange asks for.

Exchange throttles a client it finds too busy with ``ErrorServerBusy`` and a back-off hint
(https://learn.microsoft.com/en-us/exchange/client-developer/exchange-web-services/ews-throttling-in-exchange);
the call is retried after that pause, never past the sync's deadline: a wait that would end
after it gives up at once with ``Throttled`` (the account syncs again next run).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import requests
from exchangelib.errors import (
    ErrorAccessDenied,
    ErrorImpersonateUserDenied,
    ErrorImpersonationDenied,
    ErrorImpersonationFailed,
    ErrorInternalServerTransientError,
    ErrorInvalidSyncStateData,
    ErrorIrresolvableConflict,
    ErrorMailboxStoreUnavailable,
    ErrorNonExistentMailbox,
    ErrorServerBusy,
    ErrorSyncFolderNotFound,
    ErrorTimeoutExpired,
    EWSError,
    ResponseMessageError,
    TransportError,
    UnauthorizedError,
)
from exchangelib.services import CreateItem, DeleteItem, UpdateItem
from oauthlib.oauth2 import OAuth2Error

from calendar_sync_base.services.errors import (
    AuthExpired,
    ConfigurationError,
    CursorExpired,
    RemoteRejected,
    SyncError,
    Throttled,
    TimeBudgetExceeded,
)

from .ews_account import untrusted_certificate

T = TypeVar("T")
IMPERSONATION_REFUSED = (
    ErrorImpersonateUserDenied,
    ErrorImpersonationDenied,
    ErrorImpersonationFailed,
)
TRANSIENT = (
    ErrorServerBusy,
    ErrorInternalServerTransientError,
    ErrorMailboxStoreUnavailable,
    ErrorTimeoutExpired,
)


def error_for(exc: Exception, what: str, mailbox: str) -> SyncError:
    """The neutral error for an exchangelib failure of ``what`` on ``mailbox``."""
    detail = str(exc) or type(exc).__name__
    refused_certificate = untrusted_certificate(exc)
    if refused_certificate:
        return refused_certificate
    if isinstance(exc, (ErrorInvalidSyncStateData, ErrorSyncFolderNotFound)):
        return CursorExpired(f"Exchange refused the stored sync state of {mailbox}: {detail}")
    if isinstance(exc, OAuth2Error):  # OAuth client credentials: the token request failed
        reason = (exc.description or exc.error).splitlines()[0]
        return ConfigurationError(f"The token service refused the OAuth application: {reason}")
    if isinstance(exc, UnauthorizedError):
        return AuthExpired(f"Exchange refused the login for {mailbox}: check the credentials")
    if isinstance(exc, IMPERSONATION_REFUSED):
        return ConfigurationError(
            f"The service account may not open the mailbox {mailbox}: it needs the "
            "ApplicationImpersonation role for it"
        )
    if isinstance(exc, ErrorNonExistentMailbox):
        return ConfigurationError(f"Exchange has no mailbox {mailbox}")
    if isinstance(exc, ErrorAccessDenied):
        return ConfigurationError(f"Exchange denied access to the mailbox {mailbox}: {detail}")
    if isinstance(exc, ErrorServerBusy):
        return Throttled(f"Exchange is busy ({what} for {mailbox}), try again later")
    if isinstance(exc, TRANSIENT) or is_unknown_outcome(exc):
        return SyncError(f"Exchange {what} for {mailbox} failed: {detail}")
    code = type(exc).__name__
    return RemoteRejected(f"Exchange refused {what} for {mailbox}: {detail} ({code})", code)


def is_unknown_outcome(exc: Exception) -> bool:
    """No EWS answer came back (connection lost, timeout, HTTP failure): a write may or may
    not have been applied. exchangelib re-raises a lost connection as
    ``ErrorTimeoutExpired`` / ``ErrorInternalServerTransientError`` ("Reraised from ...")."""
    if isinstance(exc, (ErrorTimeoutExpired, ErrorInternalServerTransientError)):
        return True
    if isinstance(exc, ResponseMessageError):
        return False
    return isinstance(exc, (TransportError, requests.RequestException, ConnectionError))


class BusyRetry:
    """Runs EWS calls, retrying ``ErrorServerBusy`` after its back-off within ``deadline``.

    ``deadline`` is a time on ``clock``; past it nothing is sent (``TimeBudgetExceeded``).
    """

    def __init__(
        self,
        mailbox: str,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_retries: int = 5,
        default_back_off: float = 2.0,
    ):
        self.mailbox = mailbox
        self.deadline = deadline
        self.clock = clock
        self.sleep = sleep
        self.max_retries = max_retries
        self.default_back_off = default_back_off

    def check_deadline(self) -> None:
        if self.deadline is not None and self.clock() >= self.deadline:
            raise TimeBudgetExceeded(f"time budget of the sync of {self.mailbox} used up")

    def raw(self, call: Callable[[], T]) -> T:
        """``call()``; exchangelib's errors other than a busy server pass through."""
        attempt = 0
        while True:
            self.check_deadline()
            try:
                return call()
            except ErrorServerBusy as exc:
                wait = exc.back_off or self.default_back_off
                too_late = self.deadline is not None and self.clock() + wait >= self.deadline
                if attempt >= self.max_retries or too_late:
                    raise
                self.sleep(wait)
                attempt += 1

    def __call__(self, what: str, call: Callable[[], T]) -> T:
        """``call()`` with every failure turned into a neutral ``SyncError``."""
        try:
            return self.raw(call)
        except (EWSError, OAuth2Error, requests.RequestException, ConnectionError) as exc:
            raise error_for(exc, what, self.mailbox) from exc


# Errors about one item that exchangelib raises instead of returning as its answer.
ITEM_ERRORS = (ErrorIrresolvableConflict, ErrorAccessDenied)


def _answering_item_errors(service):
    """exchangelib's bulk ``service`` returning ``ITEM_ERRORS`` as the item's answer."""
    caught = service.ERRORS_TO_CATCH_IN_RESPONSE + ITEM_ERRORS
    return type(service.__name__, (service,), {"ERRORS_TO_CATCH_IN_RESPONSE": caught})


BULK_CREATE, BULK_UPDATE, BULK_DELETE = map(
    _answering_item_errors, (CreateItem, UpdateItem, DeleteItem)
)


def answers_the_item(exc: Exception) -> bool:
    """An error message about the item itself, not about the call (auth, throttling...)."""
    if not isinstance(exc, ResponseMessageError) or isinstance(exc, TRANSIENT):
        return False
    return not isinstance(error_for(exc, "", ""), (AuthExpired, ConfigurationError))
