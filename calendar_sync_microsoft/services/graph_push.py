"""Pushing to Graph: ops become ``$batch`` parts, and what a push leaves to do afterwards
(a series' excluded dates deleted as occurrences, replies read back).

See ``graph_client`` for what the push promises; this module holds how the parts are made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import requests

from calendar_sync_base.services.batch import BatchPart
from calendar_sync_base.services.errors import SyncError
from calendar_sync_base.services.model import Response, SyncEvent
from calendar_sync_base.services.protocol import OpKind, PushOp, PushResult

from .graph_batch import event_path
from .graph_listing import same_slot
from .graph_mapper import MalformedEvent, from_graph, parse_event
from .graph_outbound import GRAPH_PROPERTIES, to_graph
from .timezones import to_windows

if TYPE_CHECKING:
    from .graph_client import GraphCalendarClient

REPLY_ACTIONS = {
    Response.ACCEPTED: "accept",
    Response.TENTATIVE: "tentativelyAccept",
    Response.DECLINED: "decline",
}
# The synced fields whose change rewrites a series master's times or pattern.
SERIES_TIMING_FIELDS = frozenset(
    name for name, properties in GRAPH_PROPERTIES.items() if "recurrence" in properties
)


class GraphPush:
    """One ``apply``: ops become ``$batch`` parts (or final results for ops that cannot go out),
    and what the push leaves to do once they are applied."""

    def __init__(self, client: GraphCalendarClient, ops: Sequence[PushOp]):
        self.client = client
        self.ops = ops

    def prepare(self, results: list) -> list[tuple[int, BatchPart]]:
        masters = self._current_masters()
        return self.client.prepared_parts(
            self.ops,
            range(len(self.ops)),
            lambda op: self._part(op, masters),
            results,
            MalformedEvent,
        )

    def _current_masters(self) -> dict[str, SyncEvent]:
        """Series masters about to be patched, as Outlook has them now (one $batch)."""
        ids = [
            op.event.remote_id
            for op in self.ops
            if op.kind == OpKind.UPDATE
            and op.event.remote_id
            and op.event.recurrence is not None
            and not op.event.is_occurrence
            and (op.fields is None or SERIES_TIMING_FIELDS.intersection(op.fields))
        ]
        if not ids:
            return {}
        answers = self.client.batch_get([event_path(rid) for rid in ids])
        current = {}
        for rid, answer in zip(ids, answers, strict=True):
            if answer.ok:
                event = from_graph(answer.payload, timezone_hint=self.client.timezone_hint)
                if event is not None:
                    current[rid] = event
        return current

    def _target(self, op: PushOp) -> str:
        """The remote id an op addresses (an occurrence found by series and slot)."""
        event = op.event
        if event.remote_id and not (op.kind == OpKind.CREATE and event.is_occurrence):
            return event.remote_id
        if event.is_occurrence and event.original_start is not None:
            return self.client.instance_id(
                event.master_remote_id, event.original_start, event.all_day
            )
        return ""

    def _part(self, op: PushOp, masters: dict[str, SyncEvent]) -> BatchPart | PushResult:
        event = op.event
        if op.kind == OpKind.CREATE and not event.is_occurrence:
            body = to_graph(event)
            body["transactionId"] = self.client.transaction_id(op)
            return BatchPart("POST", "/me/events", body, self.client.request_headers())
        target = self._target(op)
        if not target:
            if op.kind == OpKind.DELETE:
                return PushResult(op.key)  # the occurrence is not there: nothing to delete
            raise MalformedEvent(event.remote_id, "remote_id", f"{op.kind.value}: no remote event")
        path = event_path(target)
        headers = dict(self.client.request_headers())
        if event.etag and target == event.remote_id and op.kind != OpKind.REPLY:
            headers["If-Match"] = _if_match(event.etag)
        if op.kind == OpKind.DELETE:
            return BatchPart("DELETE", path, None, headers)
        if op.kind == OpKind.REPLY:
            return self._reply_part(op, path)
        body = to_graph(event, for_patch=True, fields=op.fields)
        if not event.is_occurrence and target in masters:
            body = _keep_series_timing(body, event, masters[target])
        return BatchPart("PATCH", path, body, headers)

    def _reply_part(self, op: PushOp, path: str) -> BatchPart | PushResult:
        answers = {a.response for a in op.event.attendees}
        action = next((REPLY_ACTIONS[r] for r in answers if r in REPLY_ACTIONS), None)
        if action is None:
            return PushResult(op.key, event=op.event)  # "no answer" cannot be sent back
        return BatchPart("POST", f"{path}/{action}", {"sendResponse": True})

    def delete_exdates(self, results: list) -> None:
        """After series were pushed: delete the occurrences their exdates name."""
        targets = []
        for op, result in zip(self.ops, results, strict=True):
            event = result.event if result is not None and result.ok else None
            if _pushed_series_with_exdates(op, event):
                targets.append((event.remote_id, op.event))
        ids = []
        for master_id, event in targets:
            try:
                instances = self.client.instances(master_id, cached=False)  # the push changed it
            except (SyncError, requests.RequestException):
                continue  # the next pull shows what Outlook has
            for raw in instances:
                if any(
                    same_slot(raw.get("originalStart"), slot, event.all_day)
                    for slot in event.recurrence.exdates
                ):
                    ids.append(str(raw.get("id")))
        if ids:
            self.client.execute([BatchPart("DELETE", event_path(rid)) for rid in ids])

    def read_back_replies(self, results: list) -> None:
        """A reply's result is the event as Exchange has it after the answer."""
        ops = self.ops
        replied = [
            i for i, op in enumerate(ops) if op.kind == OpKind.REPLY and results[i] is not None
        ]
        replied = [i for i in replied if results[i].ok and results[i].event is ops[i].event]
        if not replied:
            return
        paths = [event_path(ops[i].event.remote_id) for i in replied]
        for index, answer in zip(replied, self.client.batch_get(paths), strict=True):
            if answer.ok:
                event = from_graph(answer.payload, timezone_hint=self.client.timezone_hint)
                results[index] = PushResult(ops[index].key, event=event or ops[index].event)
            elif answer.status in (404, 410):  # declined and removed by Exchange
                results[index] = PushResult(ops[index].key, event=ops[index].event)


def _if_match(etag: str) -> str:
    return etag if etag.startswith(("W/", '"')) else f'W/"{etag}"'


def _keep_series_timing(body: dict, event: SyncEvent, current: SyncEvent) -> dict:
    """Leave a master's times and pattern out of a PATCH when they did not change: Outlook
    drops every exception of a series whose time or pattern is written."""
    same = (
        current.all_day == event.all_day
        and current.start == event.start
        and current.stop == event.stop
        and (event.all_day or to_windows(current.timezone) == to_windows(event.timezone))
        and current.recurrence is not None
        and event.recurrence is not None
        and current.recurrence.rrule == _graph_rule(event)
    )
    if not same:
        return body
    return {k: v for k, v in body.items() if k not in ("start", "end", "isAllDay", "recurrence")}


def _graph_rule(event: SyncEvent) -> str:
    """The rule as it reads back from Graph (canonical Graph-derived form)."""
    sent = to_graph(event)
    echo = {**sent, "id": "x", "originalStartTimeZone": sent["start"]["timeZone"]}
    parsed = parse_event(echo, timezone_hint=event.timezone)
    return parsed.recurrence.rrule if parsed.recurrence else ""


def _pushed_series_with_exdates(op: PushOp, event: SyncEvent | None) -> bool:
    """A series just created or updated whose excluded dates Outlook still has to drop."""
    if op.kind not in (OpKind.CREATE, OpKind.UPDATE) or event is None or not event.remote_id:
        return False
    recurrence = op.event.recurrence
    return not op.event.is_occurrence and recurrence is not None and bool(recurrence.exdates)
