"""Batched pushes: the execution loop and the outcome of each op, the same for every provider.

A connector subclasses ``BatchingClient`` and gives its wire codec (``batch_request`` /
``batch_answers``), what it retries (``is_transient``), how a create is found again
(``find_raw_by_odoo_id``) and how a success reads (``push_success``). The loop:

- sends the parts in requests of ``batch_size``; a transport failure or an unreadable answer
  leaves every part without answer (status None: "outcome unknown");
- parts answered transiently (throttled, 5xx, no answer) are sent again, alone, after the
  longest ``Retry-After`` among them (else the session's backoff), up to the session's
  ``max_retries``;
- before a create whose outcome is unknown is sent again, and when the retries are exhausted,
  it is looked up by its Odoo id: a create whose answer was lost is found, never doubled;
- parts answered 401 are sent again after one token refresh per round (``new_auth_round``: an
  ``apply``); when that refresh was used or fails, the parts keep their 401 (an ``AuthExpired``
  result, retryable) and nothing more is sent in that round: the loop never raises for a part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from .errors import AuthExpired, SyncError, Throttled
from .http import parse_retry_after
from .protocol import OpKind, PushOp, PushResult
from .rest import BearerRestClient, header, json_or_text

# A part settled without sending it again (a create found by its Odoo id), or None.
Recover = Callable[[int, "PartResponse"], "PartResponse | None"]


@dataclass
class BatchPart:
    """One inner request; ``path`` is what the provider's batch format wants (Google: the
    absolute path with query, Graph: relative to the version root)."""

    method: str
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class PartResponse:
    """One inner answer; ``status`` None when the batch gave none for this part."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    payload: Any = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def outcome_unknown(self) -> bool:
        """No answer, or a server failure that may come after the change was applied (a 503
        promises it was not)."""
        return self.status is None or (self.status >= 500 and self.status != 503)


def failed_answers(count: int, status: int | None, message: str) -> list[PartResponse]:
    return [PartResponse(status, {}, {"error": {"message": message}}) for _ in range(count)]


class BatchingClient(BearerRestClient):
    """A ``BearerRestClient`` that pushes through a batch endpoint."""

    batch_size = 50

    def __init__(self, session, token_provider):
        super().__init__(session, token_provider)
        self._auth_refreshed = False
        self._auth_lost = False

    # ----------------------------------------------------------------- what a connector says

    def batch_request(self, parts: Sequence[BatchPart]) -> tuple[str, bytes | str, str]:
        """``(url, body, content type)`` of the request carrying ``parts``."""
        raise NotImplementedError

    def batch_answers(self, response: requests.Response, count: int) -> list[PartResponse]:
        """The inner answers of a 200, in request order (may raise on an unreadable body)."""
        raise NotImplementedError

    def is_transient(self, answer: PartResponse) -> bool:
        """Worth sending again now: no answer, throttled, or a server-side failure."""
        return answer.status is None or answer.status == 429 or answer.status >= 500

    def is_conflict(self, answer: PartResponse) -> bool:
        """The etag sent no longer matched: the remote copy changed meanwhile."""
        return answer.status == 412

    def find_raw_by_odoo_id(self, odoo_id: int) -> dict | None:
        """The provider's JSON of the live event carrying ``odoo_id``, if any."""
        raise NotImplementedError

    def push_success(self, op: PushOp, payload: Any) -> PushResult:
        """The result of an op the provider applied, from its answer."""
        raise NotImplementedError

    # ----------------------------------------------------------------- the loop

    def new_auth_round(self) -> None:
        """One forced token refresh allowed again (each ``apply`` starts a round)."""
        self._auth_refreshed = False
        self._auth_lost = False

    def execute(self, parts: Sequence[BatchPart], recover: Recover | None = None):
        """Send ``parts`` in batches; final answers in order, never raises."""
        answers = [PartResponse(None) for _ in parts]
        pending = list(range(len(parts)))
        attempt = 0
        while pending:
            if self._auth_lost:
                lost = failed_answers(len(pending), 401, "the access token was refused")
                for index, answer in zip(pending, lost, strict=True):
                    answers[index] = answer
                return answers
            try:
                self._send_round(parts, pending, answers)
            except SyncError:  # no token to send with: the rest cannot go out now
                return answers
            pending = self._next_round(answers, pending, attempt, recover)
            attempt += 1
        return answers

    def _send_round(self, parts, pending: list[int], answers: list[PartResponse]) -> None:
        for start in range(0, len(pending), self.batch_size):
            chunk = pending[start : start + self.batch_size]
            try:
                got = self._send_batch([parts[i] for i in chunk])
            except SyncError as exc:
                status = 401 if isinstance(exc, AuthExpired) else None
                for index in pending[start:]:
                    answers[index] = failed_answers(1, status, str(exc))[0]
                raise
            for index, answer in zip(chunk, got, strict=True):
                answers[index] = answer

    def _send_batch(self, parts: list[BatchPart]) -> list[PartResponse]:
        """POST one batch; a failed envelope answers every part with its status (None when
        no answer came at all, or none could be read: "outcome unknown")."""
        url, body, content_type = self.batch_request(parts)
        try:
            response = self._send_with(
                self.token_provider(), "POST", url, data=body,
                headers={"Content-Type": content_type},
            )  # fmt: skip
        except requests.RequestException:
            return [PartResponse(None) for _ in parts]
        if response.status_code != 200:
            payload, headers = json_or_text(response), dict(response.headers)
            return [PartResponse(response.status_code, headers, payload) for _ in parts]
        try:
            return self.batch_answers(response, len(parts))
        except (SyncError, ValueError, IndexError):
            return [PartResponse(None) for _ in parts]

    def _next_round(self, answers, pending, attempt, recover) -> list[int]:
        reauth = [i for i in pending if answers[i].status == 401]
        retry = [i for i in pending if self.is_transient(answers[i])]
        again: list[int] = []
        if reauth:
            if self._refresh_once():
                again += reauth
            else:
                self._auth_lost = True
        if retry:
            exhausted = attempt >= self.session.max_retries
            if not exhausted:
                self.session.sleep(self._part_delay([answers[i] for i in retry], attempt))
            for index in retry:
                settled = recover(index, answers[index]) if recover is not None else None
                if settled is not None:
                    answers[index] = settled
                elif not exhausted:
                    again.append(index)
        return sorted(again)

    def _refresh_once(self) -> bool:
        """One forced refresh per round; False when it was used or failed (revoked, or the
        identity platform is down): the parts then stay 401."""
        if self._auth_refreshed:
            return False
        self._auth_refreshed = True
        try:
            self.token_provider(force_refresh=True)
        except SyncError:
            return False
        return True

    def _part_delay(self, answers: list[PartResponse], attempt: int) -> float:
        hints = [parse_retry_after(header(a.headers, "Retry-After")) for a in answers]
        hinted = [hint for hint in hints if hint is not None]
        delay = max(hinted) if hinted else self.session.backoff_delay(attempt)
        return min(delay, self.session.backoff_max)

    # ----------------------------------------------------------------- ops

    def push_parts(
        self, ops: Sequence[PushOp], prepared: list[tuple[int, BatchPart]], results: list
    ) -> None:
        """Send the prepared ``(op index, part)`` pairs; record one result per op."""
        indices = [index for index, _ in prepared]

        def recover(position: int, answer: PartResponse) -> PartResponse | None:
            return self._find_lost_create(ops[indices[position]], answer)

        answers = self.execute([part for _, part in prepared], recover)
        for index, answer in zip(indices, answers, strict=True):
            results[index] = self.push_outcome(ops[index], answer)

    def _find_lost_create(self, op: PushOp, answer: PartResponse) -> PartResponse | None:
        """A create that may have been applied, found by its Odoo id (as if answered 201)."""
        if op.kind != OpKind.CREATE or not answer.outcome_unknown or op.event.odoo_id is None:
            return None
        try:
            found = self.find_raw_by_odoo_id(op.event.odoo_id)
        except (SyncError, requests.RequestException):
            return None  # the service is still unwell (or the grant is gone): still pending
        return None if found is None else PartResponse(201, {}, found)

    def push_outcome(self, op: PushOp, answer: PartResponse) -> PushResult:
        """The final result of one op from its part's final answer."""
        if answer.ok:
            return self.push_success(op, answer.payload)
        if op.kind == OpKind.DELETE and answer.status in (404, 410):
            return PushResult(op.key)  # already gone: the goal is reached
        if self.is_conflict(answer):
            return PushResult(op.key, conflict=True)
        error = self.error_for(answer.status, answer.payload, answer.headers, op.kind.value)
        retryable = self.is_transient(answer) or isinstance(error, (Throttled, AuthExpired))
        return PushResult(op.key, error=error, retryable=retryable)

    def prepared_parts(
        self,
        ops: Sequence[PushOp],
        indices: Sequence[int],
        build: Callable[[PushOp], BatchPart | PushResult],
        results: list,
        unmappable: type[Exception],
    ) -> list[tuple[int, BatchPart]]:
        """``(index, part)`` for each op ``build`` can send; the others get their result now:
        an op the provider cannot express (``unmappable``) fails for good, one whose
        preparation could not read what it needs stays queued."""
        prepared = []
        for index in indices:
            op = ops[index]
            try:
                part = build(op)
            except unmappable as exc:
                results[index] = PushResult(op.key, error=exc)
                continue
            except (SyncError, requests.RequestException) as exc:
                error = (
                    exc
                    if isinstance(exc, SyncError)
                    else SyncError(f"{self.service} unreachable: {exc}")
                )
                results[index] = PushResult(op.key, error=error, retryable=True)
                continue
            if isinstance(part, PushResult):
                results[index] = part
            else:
                prepared.append((index, part))
        return prepared
