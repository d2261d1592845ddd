"""One HTTP session for every connector: timeouts, connection reuse, careful retries.

Odoo's own calendar sync sends requests without retries and loses changes on the first 429;
here every request gets a timeout, transient failures are retried with exponential backoff and
jitter (honouring ``Retry-After``), and requests that may already have been applied (a POST that
timed out while reading the answer) are never sent twice. Given a ``deadline``, no request,
retry or backoff outlives it (a cron worker is killed when it overruns Odoo's time limit).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import random as _random
import time
from collections.abc import Callable

import requests
from requests.exceptions import (
    ChunkedEncodingError,
    ConnectTimeout,
    RequestException,
    SSLError,
)
from urllib3.exceptions import NewConnectionError

from .errors import TimeBudgetExceeded
from .model import UTC

# Statuses that mean "try again later".
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Statuses that promise the request was not processed, so even a POST may be repeated.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
# Methods whose repetition has the same effect as one call (RFC 9110 section 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})

RetryIf = Callable[[requests.Response], bool]


class ResilientSession:
    """A ``requests.Session`` wrapper; ``sleep``, ``random`` and ``clock`` are injectable.

    ``deadline`` is a time on ``clock`` (default ``time.monotonic``) after which nothing is
    sent any more: each attempt's timeouts are capped by the time left, a retry whose wait
    would end after it is not made, and ``TimeBudgetExceeded`` is raised once it has passed.

    ``request_count`` counts every HTTP attempt and ``history`` records ``(method, url,
    status)`` for each (status None when no response came back): tests and benchmarks read them.
    """

    def __init__(
        self,
        timeout: float | tuple[float, float] = (5, 60),
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        deadline: float | None = None,
    ):
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.sleep = sleep
        self.random = random
        self.clock = clock
        self.deadline = deadline
        # One session for all calls: TCP/TLS connections are kept alive and reused.
        self.session = session if session is not None else requests.Session()
        self.request_count = 0
        self.history: list[tuple[str, str, int | None]] = []

    def request(
        self,
        method: str,
        url: str,
        *,
        retry_if: RetryIf | None = None,
        idempotent: bool | None = None,
        **kwargs,
    ) -> requests.Response:
        """Send, retrying transient failures; return the last response.

        Status codes are the caller's to map to errors (a 429 still there after the retries
        comes back as a response). Connection errors that outlive the retries are raised.
        ``retry_if(response)`` adds provider-specific retryable answers (Google's 403
        ``rateLimitExceeded``); such answers mean "not processed", so they apply to every method.
        ``idempotent=True`` marks a POST/PATCH as safe to repeat (e.g. a create with a
        client-chosen id); by default only methods idempotent per RFC 9110 are.
        """
        method = method.upper()
        timeout = kwargs.pop("timeout", None)
        if timeout is None:
            timeout = self.timeout  # a request without timeout can hang a worker
        repeatable = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        attempt = 0
        while True:
            attempt_timeout = self._timeout_within_deadline(timeout)
            self.request_count += 1
            try:
                response = self.session.request(method, url, timeout=attempt_timeout, **kwargs)
            except RequestException as exc:
                self.history.append((method, url, None))
                timed_out_at_deadline = attempt_timeout != timeout and isinstance(
                    exc, requests.Timeout
                )
                if timed_out_at_deadline or self._time_left() <= 0:
                    raise TimeBudgetExceeded(f"{method} {url}: no time left") from exc
                if attempt >= self.max_retries or not _may_retry_error(exc, repeatable):
                    raise
                delay = self.backoff_delay(attempt)
                if delay >= self._time_left():
                    raise TimeBudgetExceeded(f"{method} {url}: no time left to retry") from exc
            else:
                self.history.append((method, url, response.status_code))
                if attempt >= self.max_retries or not _may_retry_response(
                    response, repeatable, retry_if
                ):
                    return response
                delay = self._retry_delay(response, attempt)
                if delay >= self._time_left():
                    return response  # as when retries run out: the caller maps the status
                response.close()  # hand the connection back to the pool before waiting
            self.sleep(delay)
            attempt += 1

    def _time_left(self) -> float:
        return math.inf if self.deadline is None else self.deadline - self.clock()

    def _timeout_within_deadline(self, timeout):
        """``timeout`` with each part capped by the time left; raises when none is left."""
        left = self._time_left()
        if left <= 0:
            raise TimeBudgetExceeded("the deadline has passed")
        if isinstance(timeout, tuple):
            return tuple(left if part is None else min(part, left) for part in timeout)
        return min(timeout, left)

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs) -> requests.Response:
        return self.request("PATCH", url, **kwargs)

    def put(self, url: str, **kwargs) -> requests.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs) -> requests.Response:
        return self.request("DELETE", url, **kwargs)

    def backoff_delay(self, attempt: int) -> float:
        """Exponential delay for retry ``attempt`` (0-based), capped, with "equal jitter".

        Half the delay is fixed so retries never come back at once; the random half spreads
        the workers that were throttled together.
        """
        ceiling = min(self.backoff_max, self.backoff_base * (2**attempt))
        return ceiling / 2 + (ceiling / 2) * self.random()

    def _retry_delay(self, response: requests.Response, attempt: int) -> float:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is None:
            return self.backoff_delay(attempt)
        # The server knows best, but a cron worker must not block for hours on one request.
        return min(retry_after, self.backoff_max)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ResilientSession:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _may_retry_response(
    response: requests.Response, repeatable: bool, retry_if: RetryIf | None
) -> bool:
    status = response.status_code
    if status in NOT_PROCESSED_STATUSES:
        return True
    if status in RETRY_STATUSES and repeatable:
        return True  # a 500 may come after the change was applied: only safe to repeat
    return bool(retry_if is not None and retry_if(response))


def _may_retry_error(exc: RequestException, repeatable: bool) -> bool:
    if isinstance(exc, SSLError):
        return False  # certificate/handshake problems do not go away by retrying
    if request_was_not_sent(exc):
        return True
    # A read timeout or a reset mid-answer: the server may have applied the request.
    return repeatable and isinstance(
        exc, (requests.ConnectionError, requests.Timeout, ChunkedEncodingError)
    )


def request_was_not_sent(exc: BaseException) -> bool:
    """True when the connection was never established, so the server saw nothing."""
    if isinstance(exc, ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", exc.args[0]) if exc.args else None
        return isinstance(reason, NewConnectionError)  # refused, unreachable, DNS failure
    return False


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if _looks_numeric(text):
        seconds = float(text)
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP-dates are always GMT
    now = now if now is not None else dt.datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())
