"""Microsoft Graph v1.0 calendar client: the ``CalendarConnector`` for Outlook / Microsoft 365.

Pull (``list_changes``):
- ``GET /me/calendarView/delta`` over a fixed window (v1.0 has no unbounded event delta), pages
  followed through ``@odata.nextLink``; the cursor is the ``@odata.deltaLink``, stored relative
  to ``graph_base`` (so it survives a change of host name only when nothing else changed, and is
  never sent to another host). The window is part of the delta token: a full listing (cursor
  "") is what moves it forward, so the caller should start over once in a while (e.g. when the
  cursor is months old). 410 / ``SyncStateNotFound`` / ``resyncRequired`` -> ``CursorExpired``.
- Delta returns single events, occurrences and exceptions, and (as observed, not documented)
  the series masters too. A plain occurrence there is bare: only ``id``, ``type``,
  ``seriesMasterId``, ``start`` and ``end``, so nothing else is read from it. The masters of
  every series seen (listed or only named by ``seriesMasterId``) are fetched (``$batch``) with
  their instances in the window: the ``ChangeSet`` holds masters (recurrence + exdates = the
  occurrences the rule gives in the window that Outlook no longer has) and exceptions; plain
  occurrences are dropped (their master says everything about them).
- An occurrence deleted in Outlook gets no ``@removed`` ("No indication is given for a deleted
  occurrence", microsoft-graph-docs#4501): its master changed, so the series is listed again
  (master and remaining occurrences, or only the master's id as removed when nothing of it is
  left in the window) and its exdates are computed anew from its instances.
- ``@removed`` ids are checked with a GET: Graph also reports events that merely left the window
  (or changed outside it) as removed. Gone ones come back ``cancelled``. A removed id that
  cannot be tied to a series (an occurrence id, should Graph name one, or a whole deleted
  series named by its occurrences) makes the client re-read the series the caller knows
  (``series_ids``), so the deletion reaches Odoo as a new exdate or a cancelled master.
- A follow-up read (removal check, master, instances) that still fails transiently after its
  retries leaves its item out and the listing ``complete=False``: the caller keeps its cursor,
  so the next listing brings that change again.

Push (``apply``): JSON ``$batch`` of at most 20 requests; parts answered 429/503/504 (Outlook
runs about four requests per mailbox at once, the rest come back ``MailboxConcurrency``) are
sent again on their own after the longest ``Retry-After``; the others are final:
- CREATE ``POST /me/events`` with the Odoo id in an extended property and a ``transactionId``
  derived from the op key (Graph's documented guard against a retried POST creating twice);
  a create whose outcome is unknown is looked up by its Odoo id before it is sent again.
- UPDATE ``PATCH /me/events/{id}`` with ``If-Match: W/"<changeKey>"`` (412 -> ``conflict``).
  A series master is read first and its times/pattern are left out of the PATCH when they did
  not change: Outlook drops every exception of a series whose time or pattern is written.
- DELETE (404/410 = already done). REPLY ``POST /me/events/{id}/accept|tentativelyAccept|
  decline`` with ``sendResponse: true`` so the organizer learns the answer.
- Exdates of a pushed series are applied by deleting those occurrences.
- 403 ``ErrorAccessDenied`` (an event the user does not organize) -> ``RemoteRejected``, never
  retried (Odoo's own module retries such events forever); 401 -> one token refresh, then
  ``AuthExpired``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from calendar_sync_base.services.errors import CursorExpired, SyncError
from calendar_sync_base.services.http import ResilientSession
from calendar_sync_base.services.model import UTC, ChangeSet, Recurrence, SyncEvent
from calendar_sync_base.services.protocol import OpKind, PushOp, PushResult, every_page
from calendar_sync_base.services.rest import TokenProvider, json_or_text
from calendar_sync_base.services.timeutil import aware_utc, rfc3339_utc

from .graph_batch import MAX_BATCH_SIZE, event_path
from .graph_errors import error_for, malformed_id
from .graph_listing import INSTANCE_FIELDS, DeltaListing, Window, same_slot
from .graph_mapper import (
    EXPAND_ODOO_ID,
    ODOO_ID_PROPERTY,
    MalformedEvent,
    from_graph,
    parse_event,
    transaction_id,
)
from .graph_outbound import graph_normalized
from .graph_push import GraphPush
from .graph_rest import GRAPH_BASE, GraphClient

DEFAULT_WINDOW_BACK = dt.timedelta(days=365)
DEFAULT_WINDOW_AHEAD = dt.timedelta(days=730)


class GraphCalendarClient(GraphClient):
    """Microsoft Graph v1.0 behind the ``CalendarConnector`` protocol.

    ``token_provider()`` returns the current access token, ``token_provider(force_refresh=True)``
    a new one after a 401 (see ``msal_auth.MsalTokenProvider``). ``timezone_hint`` (the user's
    IANA zone) picks the IANA zone for Windows zones shared by several. ``series_ids()``
    (optional) lists the remote ids of the series the caller has linked: read when a removal
    cannot be tied to a series; ``linked_ids(ids)`` (optional) says which of ``ids`` the caller
    has linked as single events or exceptions, whose removal needs no series re-read.
    ``transaction_prefix`` makes ``transactionId`` unique per
    database. ``skipped`` lists the items of the last ``list_changes`` that could not be mapped.
    """

    def __init__(
        self,
        session: ResilientSession,
        token_provider: TokenProvider,
        graph_base: str = GRAPH_BASE,
        window_start: dt.datetime | None = None,
        window_end: dt.datetime | None = None,
        page_size: int = 100,
        batch_size: int = MAX_BATCH_SIZE,
        timezone_header: str = "UTC",
        timezone_hint: str = "",
        series_ids: Callable[[], Iterable[str]] | None = None,
        linked_ids: Callable[[list[str]], Iterable[str]] | None = None,
        transaction_prefix: str = "",
        clock: Callable[[], dt.datetime] | None = None,
    ):
        super().__init__(session, token_provider, graph_base, page_size, batch_size)
        now = (clock or (lambda: dt.datetime.now(UTC)))()
        start = aware_utc(window_start) or _midnight(now - DEFAULT_WINDOW_BACK)
        end = aware_utc(window_end) or _midnight(max(now, start) + DEFAULT_WINDOW_AHEAD)
        if end <= start:
            raise ValueError("window_end must be after window_start")
        self.window = Window(start, end)
        self.timezone_header = timezone_header
        self.timezone_hint = timezone_hint
        self.series_ids = series_ids
        self.linked_ids = linked_ids
        self.transaction_prefix = transaction_prefix
        self.skipped: list[MalformedEvent] = []
        self.unknown_timezones: dict[str, str] = {}  # of the last listing
        self._instances: dict[str, list[dict]] = {}  # master id -> raw instances (window)

    def request_headers(self, page: bool = False) -> dict[str, str]:
        """Times in ``timezone_header``; a collection page of ``page_size`` items."""
        prefer = [f'outlook.timezone="{self.timezone_header}"']
        if page:
            prefer.append(f"odata.maxpagesize={self.page_size}")
        return {"Prefer": ", ".join(prefer)}

    # ----------------------------------------------------------------- pull

    def list_changes(self, cursor: str) -> ChangeSet:
        """Changes since ``cursor`` (a stored delta link); ``""`` lists the whole window."""
        return every_page(self, cursor, "Microsoft Graph calendarView delta")

    def list_page(self, cursor: str, page_token: str = "") -> ChangeSet:
        """One page of ``list_changes``; ``page_token`` is a page's ``@odata.nextLink``
        (relative to ``graph_base``, like the cursor), so ``cursor`` only says whether the
        listing is a full one. The series seen on the page are read with it."""
        url, params = self._listing_start(cursor, page_token)
        page = self._get_json(url, params, "calendarView delta", page=True)
        listing = DeltaListing(self)
        items: dict[str, Any] = {}
        for item in page.get("value") or ():
            key = item.get("id") if isinstance(item, dict) else None
            if not isinstance(key, str) or not key:
                listing.skipped.append(MalformedEvent("", "id", "missing in a delta item"))
                continue
            items.pop(key, None)  # the last version seen wins
            items[key] = item
        events = listing.collect(list(items.values()))
        self.skipped = listing.skipped
        self.unknown_timezones = listing.unknown_timezones
        self._instances = listing.instances
        return ChangeSet(
            events=events,
            next_cursor=self._relative(page.get("@odata.deltaLink") or ""),
            next_page=self._relative(page.get("@odata.nextLink") or ""),
            full_resync=not cursor,
            unreadable=[str(problem) for problem in self.skipped],
            complete=not listing.incomplete,
            unknown_timezones=self.unknown_timezones,
        )

    def _listing_start(self, cursor: str, page_token: str) -> tuple[str, dict | None]:
        """The URL and query of a listing's page: a stored link, or the window's delta."""
        link = page_token or cursor
        if link:
            try:
                return self._absolute(link), None
            except SyncError as exc:  # stored for another Graph host: start over there
                raise CursorExpired(str(exc)) from exc
        url = f"{self.graph_base}/me/calendarView/delta"
        return url, self.window.query()

    def check_access(self) -> None:
        """One light read of the user's calendar (an event id at most): raises the engine's
        error when the stored grant or the mailbox does not allow it."""
        self._get_json(
            f"{self.graph_base}/me/events", {"$top": "1", "$select": "id"}, "events list"
        )

    def fetch(self, remote_id: str) -> SyncEvent | None:
        """The live event (a master with its exdates), or None when gone or cancelled."""
        url = self.graph_base + event_path(remote_id)
        response = self._send(
            "GET", url, params={"$expand": EXPAND_ODOO_ID}, headers=self.request_headers()
        )
        payload = json_or_text(response)
        if response.status_code in (404, 410) or malformed_id(response.status_code, payload):
            return None
        if response.status_code != 200:
            raise error_for(response.status_code, payload, response.headers, "event get")
        event = parse_event(payload, timezone_hint=self.timezone_hint)
        if event.cancelled:
            return None
        if event.recurrence is not None:
            event = self.window.with_exdates(event, self.instances(remote_id))
        return event

    def find_by_odoo_id(self, odoo_id: int) -> SyncEvent | None:
        """The event carrying our extended property with ``odoo_id``, if any."""
        found = self.find_raw_by_odoo_id(odoo_id)
        return None if found is None else from_graph(found, timezone_hint=self.timezone_hint)

    def find_raw_by_odoo_id(self, odoo_id: int) -> dict | None:
        """Graph's JSON of the live event carrying ``odoo_id``, if any."""
        clause = f"singleValueExtendedProperties/Any(ep: ep/id eq '{ODOO_ID_PROPERTY}' and "
        clause += f"ep/value eq '{odoo_id}')"
        params = {"$filter": clause, "$expand": EXPAND_ODOO_ID, "$top": "5"}
        page = self._get_json(f"{self.graph_base}/me/events", params, "events list")
        for item in page.get("value") or ():
            event = from_graph(item, timezone_hint=self.timezone_hint)
            if event is not None and not event.cancelled and event.odoo_id == odoo_id:
                return item
        return None

    # ----------------------------------------------------------------- change notifications

    def subscribe(
        self, notification_url: str, lifecycle_url: str, client_state: str, expiration
    ) -> dict:
        """A subscription to the user's events: Graph validates both URLs (it POSTs a
        ``validationToken`` they must echo) before answering. Returns the subscription."""
        body = {
            "changeType": "created,updated,deleted",
            "notificationUrl": notification_url,
            "lifecycleNotificationUrl": lifecycle_url,
            "resource": "me/events",
            "expirationDateTime": rfc3339_utc(expiration),
            "clientState": client_state,
        }
        return self._subscription_call("POST", "", 201, json=body)

    def renew_subscription(self, subscription_id: str, expiration) -> dict:
        """Move the expiration (this also reauthorizes the subscription)."""
        body = {"expirationDateTime": rfc3339_utc(expiration)}
        return self._subscription_call("PATCH", f"/{subscription_id}", 200, json=body)

    def reauthorize_subscription(self, subscription_id: str) -> None:
        self._subscription_call("POST", f"/{subscription_id}/reauthorize", 204)

    def delete_subscription(self, subscription_id: str) -> None:
        """Delete it; one Graph no longer knows (404) is gone already."""
        self._subscription_call("DELETE", f"/{subscription_id}", 204, 404)

    def _subscription_call(self, method: str, path: str, *expected: int, **kwargs) -> Any:
        response = self._send(method, f"{self.graph_base}/subscriptions{path}", **kwargs)
        payload = json_or_text(response)
        if response.status_code not in expected:
            raise error_for(response.status_code, payload, response.headers, "subscription")
        return payload

    def instances(self, master_id: str, cached: bool = True) -> list[dict]:
        """Raw occurrences and exceptions of a series in the window (cached per client, until
        a push; ``cached=False`` reads them again)."""
        if master_id not in self._instances or not cached:
            url = f"{self.graph_base}{event_path(master_id)}/instances"
            params = {**self.window.query(), "$select": INSTANCE_FIELDS}
            pages = self._pages(url, params, "event instances")
            self._instances[master_id] = [item for page in pages for item in page.get("value", ())]
        return self._instances[master_id]

    def normalized(self, event: SyncEvent) -> SyncEvent:
        """What Outlook keeps of an Odoo event (one reminder, no PUBLIC...); the video link is
        left out: Graph's online meeting is read-only for us."""
        try:
            kept = graph_normalized(event)
        except (MalformedEvent, ValueError):
            kept = event  # not expressible in Outlook: the push will say so
        return kept.replace(video_url="")

    def instance_id(self, master_id: str, original_start, all_day: bool = False) -> str:
        """The id of the occurrence (or exception) of ``master_id`` at ``original_start``; ""
        when the series has none there (deleted, or outside the window)."""
        for raw in self.instances(master_id):
            if same_slot(raw.get("originalStart"), original_start, all_day):
                return str(raw.get("id") or "")
        return ""

    # ----------------------------------------------------------------- push

    def apply(self, ops: Sequence[PushOp]) -> list[PushResult]:
        """Apply ops through ``$batch``; one result per op, in order; never raises for one op.

        Failures are results: ``retryable`` ones (throttling, network, expired grant) stay
        queued, the others (403, 400, malformed event) are final.
        """
        self.new_auth_round()
        results: list[PushResult | None] = [None] * len(ops)
        push = GraphPush(self, ops)
        self.push_parts(ops, push.prepare(results), results)
        push.delete_exdates(results)
        push.read_back_replies(results)
        self._instances.clear()  # series may have changed: read their instances afresh
        return [result or PushResult(op.key) for op, result in zip(ops, results, strict=True)]

    def transaction_id(self, op: PushOp) -> str:
        """Graph's guard against a retried create creating twice, unique per database."""
        return transaction_id(self.transaction_prefix, op.key, op.event.odoo_id)

    def push_success(self, op: PushOp, payload: Any) -> PushResult:
        if op.kind == OpKind.DELETE:
            return PushResult(op.key)
        if op.kind == OpKind.REPLY or not isinstance(payload, dict):
            return PushResult(op.key, event=op.event)  # completed below (_after_push)
        event = from_graph(payload, timezone_hint=op.event.timezone or self.timezone_hint)
        if event is None:  # applied, but the echo is unreadable: keep ours with the new ids
            event = op.event.replace(remote_id=str(payload.get("id") or op.event.remote_id))
        if event.odoo_id is None:
            event = event.replace(odoo_id=op.event.odoo_id)  # Graph echoes it only on $expand
        if op.event.recurrence is not None and event.recurrence is not None:
            event = event.replace(
                recurrence=Recurrence(event.recurrence.rrule, op.event.recurrence.exdates)
            )
        return PushResult(op.key, event=event)


def _midnight(value: dt.datetime) -> dt.datetime:
    # A window on whole days keeps the delta token's window stable within a day.
    return value.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
