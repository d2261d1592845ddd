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
- ``@removed`` ids are checked with a GET: Graph also reports events that merely left the window
  (or changed outside it) as removed. Gone ones come back ``cancelled``. A removed id that
  cannot be tied to a series (a deleted occurrence or a whole deleted series: Graph names only
  occurrence ids) makes the client re-read the series the caller knows (``series_ids``), so
  the deletion reaches Odoo as a new exdate or a cancelled master.
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
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from calendar_sync_base.services.errors import (
    AuthExpired,
    CursorExpired,
    RemoteRejected,
    SyncError,
    Throttled,
)
from calendar_sync_base.services.http import ResilientSession, parse_retry_after
from calendar_sync_base.services.model import UTC, ChangeSet, Recurrence, Response, SyncEvent
from calendar_sync_base.services.protocol import OpKind, PushOp, PushResult, every_page
from calendar_sync_base.services.recurrence import expand, parse_rrule
from calendar_sync_base.services.timeutil import aware_utc

from .graph_mapper import (
    EXPAND_ODOO_ID,
    GRAPH_PROPERTIES,
    ODOO_ID_PROPERTY,
    MalformedEvent,
    from_graph,
    graph_normalized,
    occurrence_slot,
    parse_event,
    parse_graph_datetime,
    to_graph,
    transaction_id,
    unknown_timezone,
)
from .timezones import to_windows

GRAPH_BASE = "https://graph.microsoft.com/v1.0"
MAX_BATCH_SIZE = 20  # Graph's limit of requests per $batch
ALL_DAY_SLACK = dt.timedelta(hours=15)  # an all-day slot's midnight in any zone vs UTC
DEFAULT_WINDOW_BACK = dt.timedelta(days=365)
DEFAULT_WINDOW_AHEAD = dt.timedelta(days=730)
CURSOR_EXPIRED_CODES = frozenset(
    {"syncstatenotfound", "resyncrequired", "syncstateinvalid", "errorinvalidsyncstatedata"}
)
CONFLICT_CODES = frozenset({"errorirresolvableconflict"})
REPLY_ACTIONS = {
    Response.ACCEPTED: "accept",
    Response.TENTATIVE: "tentativelyAccept",
    Response.DECLINED: "decline",
}
# Only what the exdate computation needs from a series' instances.
INSTANCE_FIELDS = "id,type,originalStart,isCancelled,start,end,isAllDay,seriesMasterId"
# A series expanded for its exdates is cut here: an endless daily rule from long ago must not
# make one sync expand forever.
EXPANSION_LIMIT = 50_000

_QUERY_SAFE = "$(),'=:/"
# The synced fields whose change rewrites a series master's times or pattern.
SERIES_TIMING_FIELDS = frozenset(
    name for name, properties in GRAPH_PROPERTIES.items() if "recurrence" in properties
)

TokenProvider = Callable[..., str]


# --------------------------------------------------------------------------- errors


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
    retry_after = parse_retry_after(_header(headers, "Retry-After"))
    if status == 401:
        return AuthExpired(text)
    if status == 410 or code.casefold() in CURSOR_EXPIRED_CODES:
        return CursorExpired(text)
    if status == 429 or (status in (503, 504) and retry_after is not None):
        return Throttled(text)
    if status is None or status >= 500:
        return SyncError(text)
    return RemoteRejected(text, reason=code, status=status)


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    wanted = name.casefold()
    for key, value in dict(headers).items():
        if str(key).casefold() == wanted:
            return str(value)
    return None


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _iso(moment: dt.datetime) -> str:
    return aware_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _malformed_id(status: int | None, payload: Any) -> bool:
    """An id Graph says cannot exist (garbage stored, or from another mailbox)."""
    return status == 400 and error_details(payload)[0].casefold() == "errorinvalididmalformed"


def _quote_id(remote_id: str) -> str:
    return quote(remote_id, safe="=")


def _query(params: dict[str, str]) -> str:
    """A query string for a ``$batch`` URL: OData punctuation kept, spaces as %20."""
    return "&".join(f"{key}={quote(str(value), safe=_QUERY_SAFE)}" for key, value in params.items())


# --------------------------------------------------------------------------- $batch


@dataclass
class BatchPart:
    """One request inside a ``$batch``; ``url`` is relative to the version root."""

    method: str
    url: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def as_json(self, part_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"id": part_id, "method": self.method, "url": self.url}
        headers = dict(self.headers)
        if self.body is not None:
            headers.setdefault("Content-Type", "application/json")
            out["body"] = self.body
        if headers:
            out["headers"] = headers
        return out


@dataclass
class PartResponse:
    """One answer; ``status`` None when the batch gave none for this part."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    payload: Any = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def decode_batch(payload: Any, count: int) -> list[PartResponse]:
    """Answers in request order, matched by id (Graph does not promise the order)."""
    answers: list[PartResponse] = [PartResponse(None) for _ in range(count)]
    responses = payload.get("responses") if isinstance(payload, dict) else None
    for raw in responses if isinstance(responses, list) else ():
        if not isinstance(raw, dict):
            continue
        try:
            index = int(raw.get("id"))
            status = int(raw.get("status"))
        except (TypeError, ValueError):
            continue
        if 0 <= index < count:
            headers = raw.get("headers") if isinstance(raw.get("headers"), dict) else {}
            answers[index] = PartResponse(status, dict(headers), raw.get("body"))
    return answers


# --------------------------------------------------------------------------- client


class GraphCalendarClient:
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
        if batch_size < 1 or page_size < 1:
            raise ValueError("batch_size and page_size must be positive")
        self.session = session
        self.token_provider = token_provider
        self.graph_base = graph_base.rstrip("/")
        now = (clock or (lambda: dt.datetime.now(UTC)))()
        self.window_start = aware_utc(window_start) or _midnight(now - DEFAULT_WINDOW_BACK)
        self.window_end = aware_utc(window_end) or _midnight(
            max(now, self.window_start) + DEFAULT_WINDOW_AHEAD
        )
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        self.page_size = page_size
        self.batch_size = min(batch_size, MAX_BATCH_SIZE)
        self.timezone_header = timezone_header
        self.timezone_hint = timezone_hint
        self.series_ids = series_ids
        self.linked_ids = linked_ids
        self.transaction_prefix = transaction_prefix
        self.skipped: list[MalformedEvent] = []
        self.incomplete = False  # the last listing left changes to read again (transient)
        self.unknown_timezones: dict[str, str] = {}  # of the last listing
        self._instances: dict[str, list[dict]] = {}  # master id -> raw instances (window)
        self._auth_refreshed = False

    # ----------------------------------------------------------------- plumbing

    @property
    def _origin(self) -> str:
        parts = urlsplit(self.graph_base)
        return f"{parts.scheme}://{parts.netloc}"

    def _prefer(self, page: bool = False) -> dict[str, str]:
        prefer = [f'outlook.timezone="{self.timezone_header}"']
        if page:
            prefer.append(f"odata.maxpagesize={self.page_size}")
        return {"Prefer": ", ".join(prefer)}

    def _absolute(self, link: str) -> str:
        """A link Graph gave (absolute) or a stored cursor (relative to ``graph_base``)."""
        if link.startswith(("https://", "http://")):
            if not link.startswith(self._origin + "/"):
                raise SyncError(f"Microsoft Graph link to another host refused: {link[:80]}")
            return link
        return self.graph_base + (link if link.startswith("/") else "/" + link)

    def _relative(self, link: str) -> str:
        return link[len(self.graph_base) :] if link.startswith(self.graph_base + "/") else link

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        """One call with the bearer token; on 401 refresh once, then ``AuthExpired``."""
        response = self._send_with(self.token_provider(), method, url, **kwargs)
        if response.status_code != 401:
            return response
        response = self._send_with(self.token_provider(force_refresh=True), method, url, **kwargs)
        if response.status_code == 401:
            raise error_for(401, _json(response), response.headers, f"{method} {url[:80]}")
        return response

    def _send_with(self, token: str, method: str, url: str, **kwargs) -> requests.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
        return self.session.request(method, url, headers=headers, **kwargs)

    def _get_json(self, url: str, params: dict | None, what: str, page: bool = False) -> dict:
        response = self._send("GET", url, params=params, headers=self._prefer(page))
        payload = _json(response)
        if response.status_code != 200:
            raise error_for(response.status_code, payload, response.headers, what)
        if not isinstance(payload, dict):
            raise SyncError(f"Microsoft Graph {what}: answer is not a JSON object")
        return payload

    def _pages(self, url: str, params: dict | None, what: str):
        """Every page of a collection, following ``@odata.nextLink`` (same host only)."""
        seen: set[str] = set()
        while True:
            page = self._get_json(url, params, what, page=True)
            yield page
            link = page.get("@odata.nextLink")
            if not link:
                return
            if link in seen:
                raise SyncError(f"Microsoft Graph {what}: next link repeated, stopping")
            seen.add(link)
            url, params = self._absolute(link), None

    # ----------------------------------------------------------------- pull

    def list_changes(self, cursor: str) -> ChangeSet:
        """Changes since ``cursor`` (a stored delta link); ``""`` lists the whole window."""
        return every_page(self, cursor, "Microsoft Graph calendarView delta")

    def list_page(self, cursor: str, page_token: str = "") -> ChangeSet:
        """One page of ``list_changes``; ``page_token`` is a page's ``@odata.nextLink``
        (relative to ``graph_base``, like the cursor), so ``cursor`` only says whether the
        listing is a full one. The series seen on the page are read with it."""
        self.skipped = []
        self.incomplete = False
        self.unknown_timezones = {}
        self._instances = {}
        url, params = self._listing_start(cursor, page_token)
        page = self._get_json(url, params, "calendarView delta", page=True)
        items: dict[str, Any] = {}
        for item in page.get("value") or ():
            key = item.get("id") if isinstance(item, dict) else None
            if not isinstance(key, str) or not key:
                self.skipped.append(MalformedEvent("", "id", "missing in a delta item"))
                continue
            items.pop(key, None)  # the last version seen wins
            items[key] = item
        events = _Listing(self).collect(list(items.values()))
        return ChangeSet(
            events=events,
            next_cursor=self._relative(page.get("@odata.deltaLink") or ""),
            next_page=self._relative(page.get("@odata.nextLink") or ""),
            full_resync=not cursor,
            unreadable=[str(problem) for problem in self.skipped],
            complete=not self.incomplete,
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
        return url, {"startDateTime": _iso(self.window_start), "endDateTime": _iso(self.window_end)}

    def check_access(self) -> None:
        """One light read of the user's calendar (an event id at most): raises the engine's
        error when the stored grant or the mailbox does not allow it."""
        self._get_json(
            f"{self.graph_base}/me/events", {"$top": "1", "$select": "id"}, "events list"
        )

    def fetch(self, remote_id: str) -> SyncEvent | None:
        """The live event (a master with its exdates), or None when gone or cancelled."""
        url = f"{self.graph_base}/me/events/{_quote_id(remote_id)}"
        response = self._send(
            "GET", url, params={"$expand": EXPAND_ODOO_ID}, headers=self._prefer()
        )
        payload = _json(response)
        if response.status_code in (404, 410) or _malformed_id(response.status_code, payload):
            return None
        if response.status_code != 200:
            raise error_for(response.status_code, payload, response.headers, "event get")
        event = parse_event(payload, timezone_hint=self.timezone_hint)
        if event.cancelled:
            return None
        if event.recurrence is not None:
            event = self._with_exdates(event, self.instances(remote_id))
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
            "expirationDateTime": _iso(expiration),
            "clientState": client_state,
        }
        return self._subscription_call("POST", "", 201, json=body)

    def renew_subscription(self, subscription_id: str, expiration) -> dict:
        """Move the expiration (this also reauthorizes the subscription)."""
        body = {"expirationDateTime": _iso(expiration)}
        return self._subscription_call("PATCH", f"/{subscription_id}", 200, json=body)

    def reauthorize_subscription(self, subscription_id: str) -> None:
        self._subscription_call("POST", f"/{subscription_id}/reauthorize", 204)

    def delete_subscription(self, subscription_id: str) -> None:
        """Delete it; one Graph no longer knows (404) is gone already."""
        self._subscription_call("DELETE", f"/{subscription_id}", 204, 404)

    def _subscription_call(self, method: str, path: str, *expected: int, **kwargs) -> Any:
        response = self._send(method, f"{self.graph_base}/subscriptions{path}", **kwargs)
        payload = _json(response)
        if response.status_code not in expected:
            raise error_for(response.status_code, payload, response.headers, "subscription")
        return payload

    def instances(self, master_id: str) -> list[dict]:
        """Raw occurrences and exceptions of a series in the window (cached per client)."""
        if master_id not in self._instances:
            url = f"{self.graph_base}/me/events/{_quote_id(master_id)}/instances"
            params = {
                "startDateTime": _iso(self.window_start),
                "endDateTime": _iso(self.window_end),
                "$select": INSTANCE_FIELDS,
            }
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
            if _same_slot(raw.get("originalStart"), original_start, all_day):
                return str(raw.get("id") or "")
        return ""

    def _with_exdates(self, master: SyncEvent, instances: list[dict]) -> SyncEvent:
        """The master with exdates: slots its rule gives in the window that Outlook lacks."""
        try:
            expected = self._expected_slots(master)
        except ValueError:
            return master
        present = _present_slots(instances, master.all_day)
        missing = [slot for slot in expected if _slot_key(slot, master.all_day) not in present]
        return master.replace(
            recurrence=Recurrence(rrule=master.recurrence.rrule, exdates=tuple(missing))
        )

    def _expected_slots(self, master: SyncEvent) -> list:
        spec = parse_rrule(master.recurrence.rrule)
        end = self.window_end.date() if master.all_day else self.window_end
        slots = expand(
            spec,
            master.start,
            master.timezone,
            window_end=end,
            limit=EXPANSION_LIMIT,
        )
        if master.all_day:
            return [slot for slot in slots if slot >= self.window_start.date()]
        # An occurrence that still runs at the window start is listed by Graph too.
        duration = master.stop - master.start
        return [slot for slot in slots if slot + duration > self.window_start]

    # ----------------------------------------------------------------- $batch engine

    def _send_batch(self, parts: list[BatchPart]) -> list[PartResponse]:
        """POST one ``$batch``; a failed envelope answers every part with its status (None
        when no answer came at all: "outcome unknown")."""
        body = {"requests": [part.as_json(str(i)) for i, part in enumerate(parts)]}
        url = f"{self.graph_base}/$batch"
        try:
            response = self._send_with(
                self.token_provider(), "POST", url, data=json.dumps(body),
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
        except requests.RequestException:
            return [PartResponse(None) for _ in parts]
        payload = _json(response)
        if response.status_code != 200:
            headers = dict(response.headers)
            return [PartResponse(response.status_code, headers, payload) for _ in parts]
        return decode_batch(payload, len(parts))

    def execute(
        self,
        parts: Sequence[BatchPart],
        recover: Callable[[int, PartResponse], PartResponse | None] | None = None,
    ) -> list[PartResponse]:
        """Send ``parts`` in ``$batch`` chunks; final answers in order, never raises.

        Throttled and failed-transiently parts are sent again (alone, in new chunks) after the
        longest ``Retry-After`` among them, up to the session's ``max_retries``. ``recover``
        may settle a part whose outcome is unknown before it is sent again. Parts answered
        401 are sent once more after one token refresh per ``apply``; after that (or when the
        refresh itself fails) they stay 401.
        """
        answers: list[PartResponse] = [PartResponse(None) for _ in parts]
        pending = list(range(len(parts)))
        attempt = 0
        while pending:
            answered: set[int] = set()
            try:
                for start in range(0, len(pending), self.batch_size):
                    chunk = pending[start : start + self.batch_size]
                    got = self._send_batch([parts[i] for i in chunk])
                    for index, answer in zip(chunk, got, strict=True):
                        answers[index] = answer
                        answered.add(index)
            except SyncError as exc:  # no token to send with: the rest cannot go out now
                status = 401 if isinstance(exc, AuthExpired) else None
                for index in pending:
                    if index not in answered:
                        answers[index] = PartResponse(status, {}, {"error": {"message": str(exc)}})
                return answers
            pending = self._next_round(answers, pending, attempt, recover)
            attempt += 1
        return answers

    def _next_round(self, answers, pending, attempt, recover) -> list[int]:
        reauth = [i for i in pending if answers[i].status == 401]
        retry = [i for i in pending if is_transient(answers[i].status)]
        again: list[int] = []
        if reauth and self._refresh_once():
            again += reauth
        if retry and attempt < self.session.max_retries:
            self.session.sleep(self._part_delay([answers[i] for i in retry], attempt))
            for index in retry:
                settled = recover(index, answers[index]) if recover is not None else None
                if settled is not None:
                    answers[index] = settled
                else:
                    again.append(index)
        return sorted(again)

    def _refresh_once(self) -> bool:
        """One forced refresh per ``apply`` / listing; False when it was used or failed."""
        if self._auth_refreshed:
            return False
        self._auth_refreshed = True
        try:
            self.token_provider(force_refresh=True)
        except SyncError:  # revoked, or the identity platform is down: the parts stay 401
            return False
        return True

    def _part_delay(self, answers: list[PartResponse], attempt: int) -> float:
        hints = [parse_retry_after(_header(a.headers, "Retry-After")) for a in answers]
        hinted = [hint for hint in hints if hint is not None]
        delay = max(hinted) if hinted else self.session.backoff_delay(attempt)
        return min(delay, self.session.backoff_max)

    def batch_get(self, paths: Sequence[str], params: dict | None = None) -> list[PartResponse]:
        """GET several resources (paths relative to the version root) in ``$batch`` chunks."""
        query = "?" + _query(params) if params else ""
        parts = [BatchPart("GET", path + query, headers=self._prefer()) for path in paths]
        self._auth_refreshed = False
        return self.execute(parts)

    # ----------------------------------------------------------------- push

    def apply(self, ops: Sequence[PushOp]) -> list[PushResult]:
        """Apply ops through ``$batch``; one result per op, in order; never raises for one op.

        Failures are results: ``retryable`` ones (throttling, network, expired grant) stay
        queued, the others (403, 400, malformed event) are final.
        """
        self._auth_refreshed = False
        results: list[PushResult | None] = [None] * len(ops)
        prepared = _Push(self, ops, results).prepare()
        answers = self.execute([part for _, part in prepared], _Recovery(self, ops, prepared))
        for (index, _part), answer in zip(prepared, answers, strict=True):
            results[index] = self._outcome(ops[index], answer)
        self._after_push(ops, results)
        self._instances.clear()  # series may have changed: read their instances afresh
        return [result or PushResult(op.key) for op, result in zip(ops, results, strict=True)]

    def _transaction_id(self, op: PushOp) -> str:
        return transaction_id(self.transaction_prefix, op.key, op.event.odoo_id)

    def _outcome(self, op: PushOp, answer: PartResponse) -> PushResult:
        status, payload = answer.status, answer.payload
        if answer.ok:
            return self._success(op, payload)
        code = error_details(payload)[0].casefold()
        if op.kind == OpKind.DELETE and status in (404, 410):
            return PushResult(op.key)  # already gone: the goal is reached
        if status == 412 or (status == 409 and code in CONFLICT_CODES):
            return PushResult(op.key, conflict=True)
        error = error_for(status, payload, answer.headers, f"{op.kind.value}")
        retryable = is_transient(status) or isinstance(error, (Throttled, AuthExpired))
        return PushResult(op.key, error=error, retryable=retryable)

    def _success(self, op: PushOp, payload: Any) -> PushResult:
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

    def _after_push(self, ops: Sequence[PushOp], results: list) -> None:
        """Exdates of pushed series become deleted occurrences; replies are read back."""
        _ExdatePush(self).run(ops, results)
        replied = [
            i for i, op in enumerate(ops) if op.kind == OpKind.REPLY and results[i] is not None
        ]
        replied = [i for i in replied if results[i].ok and results[i].event is ops[i].event]
        if not replied:
            return
        paths = [f"/me/events/{_quote_id(ops[i].event.remote_id)}" for i in replied]
        for index, answer in zip(replied, self.batch_get(paths), strict=True):
            if answer.ok:
                event = from_graph(answer.payload, timezone_hint=self.timezone_hint)
                results[index] = PushResult(ops[index].key, event=event or ops[index].event)
            elif answer.status in (404, 410):  # declined and removed by Exchange
                results[index] = PushResult(ops[index].key, event=ops[index].event)


# --------------------------------------------------------------------------- helpers


def _midnight(value: dt.datetime) -> dt.datetime:
    # A window on whole days keeps the delta token's window stable within a day.
    return value.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _slot_value(raw: Any):
    try:
        parsed = parse_graph_datetime(raw)
    except ValueError:
        return None
    return aware_utc(parsed)


def _slot_key(slot, all_day: bool):
    """What identifies a neutral slot: its UTC instant, or its day for all-day series."""
    if all_day or not isinstance(slot, dt.datetime):
        return slot.date() if isinstance(slot, dt.datetime) else slot
    return aware_utc(slot)


def _present_slots(instances: list[dict], all_day: bool) -> set:
    """The slots Outlook still has, as ``_slot_key``s: parsed once, so finding the missing
    ones costs one lookup per expected slot (a long daily series has a thousand)."""
    present = set()
    for raw in instances:
        if not isinstance(raw, dict) or raw.get("isCancelled"):
            continue
        value = _slot_value(raw.get("originalStart"))
        if value is None:
            continue
        if not all_day:
            present.add(value)
            continue
        # Outlook's all-day slot is local midnight: within 15 hours of the UTC midnight.
        for day in ((value - ALL_DAY_SLACK).date(), (value + ALL_DAY_SLACK).date()):
            if abs(value - dt.datetime.combine(day, dt.time(), UTC)) < ALL_DAY_SLACK:
                present.add(day)
    return present


def _same_slot(raw: Any, slot, all_day: bool) -> bool:
    """Does Graph's ``originalStart`` (UTC instant) name the neutral slot ``slot``?"""
    value = _slot_value(raw) if not isinstance(raw, dt.datetime) else aware_utc(raw)
    if value is None or slot is None:
        return False
    if all_day or not isinstance(slot, dt.datetime):
        day = slot.date() if isinstance(slot, dt.datetime) else slot
        # Outlook's all-day slot is local midnight: within a day of the UTC midnight.
        return abs(value - dt.datetime.combine(day, dt.time(), UTC)) < ALL_DAY_SLACK
    return value == aware_utc(slot)


class _Listing:
    """Turns the items of one delta listing into masters, exceptions and removals."""

    def __init__(self, client: GraphCalendarClient):
        self.client = client
        self.events: dict[str, SyncEvent] = {}
        self.masters: set[str] = set()
        self.occurrences: dict[str, tuple[str, Any]] = {}  # id -> (master id, its slot)
        self.removed: list[str] = []

    def _map(self, item: Any) -> SyncEvent | None:
        zone = unknown_timezone(item)
        if zone and item.get("id"):
            self.client.unknown_timezones[str(item["id"])] = zone
        return from_graph(
            item, timezone_hint=self.client.timezone_hint, on_error=self.client.skipped.append
        )

    def collect(self, items: list[Any]) -> list[SyncEvent]:
        for item in items:
            self._classify(item)
        unresolved = self._check_removed()
        if unresolved and self.client.series_ids is not None:
            self.masters.update(str(rid) for rid in self.client.series_ids() if rid)
        masters = self._fetch_masters(sorted(self.masters))
        # Masters first, so their exceptions find them.
        return masters + [e for e in self.events.values() if e.remote_id not in self.masters]

    def _classify(self, item: dict) -> None:
        rid = item["id"]
        if "@removed" in item:
            self.removed.append(rid)
            return
        kind = item.get("type")
        master = item.get("seriesMasterId")
        if kind == "seriesMaster":
            self.masters.add(rid)
            return
        if kind in ("occurrence", "exception") and isinstance(master, str) and master:
            self.masters.add(master)
            if kind == "occurrence" and not item.get("isCancelled"):
                self.occurrences[rid] = (master, occurrence_slot(item))
                return  # a plain occurrence says nothing its master does not
        event = self._map(item)
        if event is not None:
            self.events[rid] = event

    def _check_removed(self) -> bool:
        """Confirm removals (Graph also reports events that only left the window); True when
        some could not be tied to a series."""
        if not self.removed:
            return False
        answers = self.client.batch_get(
            [f"/me/events/{_quote_id(rid)}" for rid in self.removed],
            {"$expand": EXPAND_ODOO_ID},
        )
        gone = []
        for rid, answer in zip(self.removed, answers, strict=True):
            if answer.ok and isinstance(answer.payload, dict):
                self._classify(answer.payload)  # still there: moved, not deleted
                continue
            if answer.status not in (404, 410):
                self._unread(rid, "@removed", f"could not be checked ({answer.status})", answer)
                continue
            self.events[rid] = self._removed_event(rid)
            gone.append(rid)
        # A deleted single event or exception the caller has linked is resolved by its id;
        # only the others (deleted plain occurrences, whole series) need the series re-read.
        untied = [rid for rid in gone if rid not in self.occurrences]
        known = set(self.client.linked_ids(untied)) if untied and self.client.linked_ids else set()
        return any(rid not in known for rid in untied)

    def _unread(self, rid: str, what: str, problem: str, answer: PartResponse) -> None:
        """An item a follow-up request could not read: read again by the next listing when
        the failure was transient (the cursor stays), reported as unreadable otherwise."""
        if is_transient(answer.status):
            self.client.incomplete = True
        else:
            self.client.skipped.append(MalformedEvent(rid, what, problem))

    def _removed_event(self, rid: str) -> SyncEvent:
        hint = self.client.timezone_hint or "UTC"
        master, original = self.occurrences.get(rid, ("", None))
        if master:
            self.masters.add(master)
        return SyncEvent(
            remote_id=rid,
            cancelled=True,
            timezone=hint,
            master_remote_id=master,
            original_start=original,
        )

    def _fetch_masters(self, ids: list[str]) -> list[SyncEvent]:
        if not ids:
            return []
        client = self.client
        paths = []
        for rid in ids:
            paths.append(f"/me/events/{_quote_id(rid)}?" + _query({"$expand": EXPAND_ODOO_ID}))
            window = {
                "startDateTime": _iso(client.window_start),
                "endDateTime": _iso(client.window_end),
                "$select": INSTANCE_FIELDS,
                "$top": str(max(client.page_size, 100)),
            }
            paths.append(f"/me/events/{_quote_id(rid)}/instances?" + _query(window))
        answers = client.batch_get(paths)
        masters = []
        for position, rid in enumerate(ids):
            master, instances = answers[2 * position], answers[2 * position + 1]
            event = self._master_event(rid, master, instances)
            if event is not None:
                masters.append(event)
        return masters

    def _master_event(self, rid: str, master: PartResponse, instances: PartResponse):
        client = self.client
        if master.status in (404, 410):
            return SyncEvent(remote_id=rid, cancelled=True, timezone=client.timezone_hint or "UTC")
        if not master.ok:
            self._unread(rid, "seriesMaster", f"could not be read ({master.status})", master)
            return None
        event = self._map(master.payload)
        if event is None or event.recurrence is None or event.cancelled:
            return event
        raw = self._instance_items(instances)
        if raw is None and is_transient(instances.status):
            client.incomplete = True  # read again, with its exdates, by the next listing
            return None
        if raw is None:
            return event  # its exdates could not be read: left as they are known
        client._instances[rid] = raw
        return client._with_exdates(event, raw)

    def _instance_items(self, answer: PartResponse) -> list[dict] | None:
        if not answer.ok or not isinstance(answer.payload, dict):
            return None
        items = list(answer.payload.get("value") or ())
        link = answer.payload.get("@odata.nextLink")
        if link:
            pages = self.client._pages(self.client._absolute(link), None, "event instances")
            items += [item for page in pages for item in page.get("value", ())]
        return items


class _Push:
    """Turns ops into ``$batch`` parts (or final results for ops that cannot go out)."""

    def __init__(self, client: GraphCalendarClient, ops: Sequence[PushOp], results: list):
        self.client = client
        self.ops = ops
        self.results = results

    def prepare(self) -> list[tuple[int, BatchPart]]:
        masters = self._current_masters()
        prepared = []
        for index, op in enumerate(self.ops):
            try:
                part = self._part(op, masters)
            except MalformedEvent as exc:
                self.results[index] = PushResult(op.key, error=exc)
                continue
            except AuthExpired as exc:
                self.results[index] = PushResult(op.key, error=exc, retryable=True)
                continue
            except (SyncError, requests.RequestException) as exc:
                self.results[index] = PushResult(op.key, error=_as_sync_error(exc), retryable=True)
                continue
            if isinstance(part, PushResult):
                self.results[index] = part
            else:
                prepared.append((index, part))
        return prepared

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
        answers = self.client.batch_get([f"/me/events/{_quote_id(rid)}" for rid in ids])
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
            body["transactionId"] = self.client._transaction_id(op)
            return BatchPart("POST", "/me/events", body, self.client._prefer())
        target = self._target(op)
        if not target:
            if op.kind == OpKind.DELETE:
                return PushResult(op.key)  # the occurrence is not there: nothing to delete
            raise MalformedEvent(event.remote_id, "remote_id", f"{op.kind.value}: no remote event")
        path = f"/me/events/{_quote_id(target)}"
        headers = dict(self.client._prefer())
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


def _if_match(etag: str) -> str:
    return etag if etag.startswith(("W/", '"')) else f'W/"{etag}"'


def _as_sync_error(exc: Exception) -> SyncError:
    return exc if isinstance(exc, SyncError) else SyncError(f"Microsoft Graph unreachable: {exc}")


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


class _Recovery:
    """Before a create whose outcome is unknown is sent again: is it there already?"""

    def __init__(self, client: GraphCalendarClient, ops: Sequence[PushOp], prepared: list):
        self.client = client
        self.ops = ops
        self.indices = [index for index, _ in prepared]

    def __call__(self, position: int, answer: PartResponse) -> PartResponse | None:
        op = self.ops[self.indices[position]]
        unknown = answer.status is None or (answer.status >= 500 and answer.status != 503)
        if op.kind != OpKind.CREATE or not unknown or op.event.odoo_id is None:
            return None
        try:
            found = self.client.find_raw_by_odoo_id(op.event.odoo_id)
        except (SyncError, requests.RequestException):
            return None  # the service is still unwell (or the grant is gone): send it again
        return None if found is None else PartResponse(201, {}, found)


class _ExdatePush:
    """After series were pushed: delete the occurrences their exdates name."""

    def __init__(self, client: GraphCalendarClient):
        self.client = client

    def run(self, ops: Sequence[PushOp], results: list) -> None:
        targets = []
        for op, result in zip(ops, results, strict=True):
            event = result.event if result is not None and result.ok else None
            if _pushed_series_with_exdates(op, event):
                targets.append((event.remote_id, op.event))
        ids = []
        for master_id, event in targets:
            self.client._instances.pop(master_id, None)  # the push changed the series
            try:
                instances = self.client.instances(master_id)
            except (SyncError, requests.RequestException):
                continue  # the next pull shows what Outlook has
            for raw in instances:
                if any(
                    _same_slot(raw.get("originalStart"), slot, event.all_day)
                    for slot in event.recurrence.exdates
                ):
                    ids.append(str(raw.get("id")))
        if ids:
            parts = [BatchPart("DELETE", f"/me/events/{_quote_id(rid)}") for rid in ids]
            self.client.execute(parts)


def _pushed_series_with_exdates(op: PushOp, event: SyncEvent | None) -> bool:
    """A series just created or updated whose excluded dates Outlook still has to drop."""
    if op.kind not in (OpKind.CREATE, OpKind.UPDATE) or event is None or not event.remote_id:
        return False
    recurrence = op.event.recurrence
    return not op.event.is_occurrence and recurrence is not None and bool(recurrence.exdates)
