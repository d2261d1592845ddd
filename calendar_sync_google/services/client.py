"""Google Calendar v3 client: the ``CalendarConnector`` for Google.

- Pull: ``events.list`` with ``syncToken`` (incremental) or ``timeMin`` (first sync), paging
  with ``pageToken``; a refused token (410) raises ``CursorExpired``.
- Push: creates / patches / deletes through the batch endpoint (``multipart/mixed``), with
  ``If-Match`` etags so a concurrent remote edit comes back as a conflict instead of being
  overwritten; parts that were throttled or failed transiently are retried on their own.
- The access token travels in the ``Authorization`` header only, never in a URL. A 401 asks the
  credentials provider for a fresh token once, then raises ``AuthExpired``.

``credentials_provider`` is called as ``credentials_provider()`` for the current access token
and ``credentials_provider(force_refresh=True)`` after a 401 (see ``auth.GoogleTokenProvider``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import requests

from calendar_sync_base.services.errors import (
    AuthExpired,
    CursorExpired,
    RemoteRejected,
    SyncError,
    Throttled,
)
from calendar_sync_base.services.http import ResilientSession, parse_retry_after
from calendar_sync_base.services.model import ChangeSet, Reminder, SyncEvent
from calendar_sync_base.services.protocol import OpKind, PushOp, PushResult, every_page

from .mapper import (
    ODOO_ID_PROPERTY,
    MalformedEvent,
    attendee_to_google,
    from_google,
    parse_event,
    reminders_from_overrides,
    reminders_kept,
    to_google,
    unknown_timezone,
)

API_BASE = "https://www.googleapis.com/calendar/v3"
BATCH_URL = "https://www.googleapis.com/batch/calendar/v3"
MAX_BATCH_SIZE = 1000  # calls per batch request allowed by Google's batch guide
MAX_PAGE_SIZE = 2500  # events.list maxResults upper bound
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
DAILY_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
SEND_UPDATES = {"all": "all", "external": "externalOnly", "none": "none"}

CredentialsProvider = Callable[..., str]
_UTC = dt.timezone.utc  # noqa: UP017 - datetime.UTC needs Python 3.11, Odoo 18 runs on 3.10
_RESPONSE_ID = re.compile(r"response-item(\d+)", re.IGNORECASE)


# --------------------------------------------------------------------------- error mapping


def error_details(payload: Any) -> tuple[str, str]:
    """``(reason, message)`` from Google's JSON error body (any shape tolerated)."""
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return "", str(error or payload or "")[:500]
    errors = error.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    reason = first.get("reason") or error.get("status") or ""
    return str(reason), str(error.get("message") or first.get("message") or "")


def is_rate_limited(status: int, payload: Any) -> bool:
    """Short-term throttling: retry after a pause (not the daily ``quotaExceeded``)."""
    return status == 429 or (status == 403 and error_details(payload)[0] in RATE_LIMIT_REASONS)


def is_transient(status: int | None, payload: Any) -> bool:
    """Worth retrying now: no answer at all, throttled, or a server-side failure."""
    return status is None or status >= 500 or is_rate_limited(status, payload)


def error_for(status: int | None, payload: Any, what: str = "") -> SyncError:
    """The neutral error for a failed Google call."""
    reason, message = error_details(payload)
    text = f"Google {what or 'request'} failed ({status or 'no response'} {reason}): {message}"
    if status == 401:
        return AuthExpired(text)
    if status == 410 and reason in ("fullSyncRequired", "updatedMinTooLongAgo", ""):
        return CursorExpired(text)
    if is_rate_limited(status or 0, payload) or reason in DAILY_QUOTA_REASONS:
        return Throttled(text)
    if status is None or status >= 500:
        return SyncError(text)
    return RemoteRejected(text, reason=reason, status=status)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _rate_limit_retry_if(response: requests.Response) -> bool:
    return response.status_code == 403 and is_rate_limited(403, _json(response))


def _needs_calendar_defaults(item: Any) -> bool:
    """True when an event relies on its calendar's zone or default reminders."""
    if not isinstance(item, dict) or item.get("status") == "cancelled":
        return False
    zoned = any(
        isinstance(item.get(key), dict) and item[key].get("timeZone") for key in ("start", "end")
    )
    reminders = item.get("reminders")
    uses_default = not isinstance(reminders, dict) or reminders.get("useDefault", True)
    return not zoned or bool(uses_default)


def _rfc3339(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    return moment.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- batch wire format


@dataclass
class BatchPart:
    """One inner request of a batch."""

    method: str
    path: str  # absolute path with query, e.g. /calendar/v3/calendars/primary/events?...
    body: dict | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class PartResponse:
    """One inner response; ``status`` None when the batch gave no answer for this part."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    payload: Any = None


def encode_batch(parts: Sequence[BatchPart], boundary: str, token: str) -> bytes:
    """``multipart/mixed`` body: one ``application/http`` part per request, ids ``item<n>``."""
    chunks = []
    for index, part in enumerate(parts):
        lines = [
            f"--{boundary}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            f"Content-ID: <item{index}:{token}>",
            "",
            f"{part.method} {part.path} HTTP/1.1",
        ]
        lines += [f"{name}: {value}" for name, value in part.headers.items()]
        body = "" if part.body is None else json.dumps(part.body, separators=(",", ":"))
        if part.body is not None:
            lines.append("Content-Type: application/json; charset=UTF-8")
        lines += ["", body]
        chunks.append("\r\n".join(lines))
    return ("\r\n".join(chunks) + f"\r\n--{boundary}--\r\n").encode("utf-8")


def _boundary(content_type: str) -> str:
    match = re.search(r'boundary="?([^";]+)"?', content_type or "", re.IGNORECASE)
    if not match:
        raise SyncError(f"Google batch answer is not multipart: {content_type!r}")
    return match.group(1)


def _split_head(text: str) -> tuple[list[str], str]:
    """Header lines and the rest, for CRLF or bare LF line endings."""
    text = text.lstrip("\r\n")
    head, sep, rest = text.partition("\r\n\r\n")
    if not sep or "\n\n" in head:
        head, _, rest = text.partition("\n\n")
    return [line.strip() for line in head.splitlines() if line.strip()], rest


def _headers(lines: list[str]) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in lines if ":" in line)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def _parse_part(chunk: str) -> tuple[str, PartResponse]:
    outer_lines, inner = _split_head(chunk)
    content_id = _headers(outer_lines).get("content-id", "")
    inner_lines, body = _split_head(inner)
    if not inner_lines or not inner_lines[0].upper().startswith("HTTP/"):
        return content_id, PartResponse(None, payload=chunk[:200])
    status = int(inner_lines[0].split()[1])
    body = body.strip()
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = body
    return content_id, PartResponse(status, _headers(inner_lines[1:]), payload)


def decode_batch(content_type: str, body: str, count: int) -> list[PartResponse]:
    """Inner responses in request order (matched by ``Content-ID``, else by position)."""
    boundary = _boundary(content_type)
    chunks = body.split(f"--{boundary}")[1:]
    results: list[PartResponse | None] = [None] * count
    position = 0
    for chunk in chunks:
        if chunk.startswith("--") or not chunk.strip():
            continue
        content_id, part = _parse_part(chunk)
        match = _RESPONSE_ID.search(content_id)
        index = int(match.group(1)) if match else position
        if 0 <= index < count and results[index] is None:
            results[index] = part
        position += 1
    return [part or PartResponse(None) for part in results]


# --------------------------------------------------------------------------- client


class GoogleCalendarClient:
    """Google Calendar v3 behind the ``CalendarConnector`` protocol.

    ``skipped`` lists the items of the last ``list_changes`` that could not be mapped
    (``MalformedEvent``, naming event id and field); they are left out of the ``ChangeSet``.
    """

    def __init__(
        self,
        session: ResilientSession,
        credentials_provider: CredentialsProvider,
        api_base: str = API_BASE,
        batch_url: str = BATCH_URL,
        calendar_id: str = "primary",
        window_start: dt.datetime | None = None,
        page_size: int = 250,
        batch_size: int = 50,
    ):
        if batch_size < 1 or page_size < 1:
            raise ValueError("batch_size and page_size must be positive")
        self.session = session
        self.credentials_provider = credentials_provider
        self.api_base = api_base.rstrip("/")
        self.batch_url = batch_url
        self.calendar_id = calendar_id
        self.window_start = window_start
        self.page_size = min(page_size, MAX_PAGE_SIZE)
        self.batch_size = min(batch_size, MAX_BATCH_SIZE)
        self.skipped: list[MalformedEvent] = []
        self.unknown_timezones: dict[str, str] = {}  # of the last listing
        self._defaults: tuple[str, tuple[Reminder, ...]] | None = None
        self._auth_refreshed = False

    # ----------------------------------------------------------------- plumbing

    @property
    def events_url(self) -> str:
        return f"{self.api_base}/calendars/{quote(self.calendar_id, safe='')}/events"

    def event_url(self, remote_id: str) -> str:
        return f"{self.events_url}/{quote(remote_id, safe='')}"

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        """One call with the bearer token; on 401 refresh once, then ``AuthExpired``."""
        response = self._send_with(self.credentials_provider(), method, url, **kwargs)
        if response.status_code != 401:
            return response
        token = self.credentials_provider(force_refresh=True)
        response = self._send_with(token, method, url, **kwargs)
        if response.status_code == 401:
            raise error_for(401, _json(response), what=f"{method} {urlsplit(url).path}")
        return response

    def _send_with(self, token: str, method: str, url: str, **kwargs) -> requests.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
        return self.session.request(
            method, url, headers=headers, retry_if=_rate_limit_retry_if, **kwargs
        )

    def _get_json(self, url: str, params: dict | None = None, what: str = "") -> dict:
        response = self._send("GET", url, params=params)
        payload = _json(response)
        if response.status_code != 200:
            raise error_for(response.status_code, payload, what)
        if not isinstance(payload, dict):
            raise SyncError(f"Google {what}: answer is not a JSON object")
        return payload

    def _pages(self, url: str, params: dict, what: str):
        """Every page of a list call, following ``nextPageToken``."""
        seen: set[str] = set()
        page_token = None
        while True:
            query = {**params, "pageToken": page_token} if page_token else params
            page = self._get_json(url, query, what)
            yield page
            page_token = page.get("nextPageToken")
            if not page_token:
                return
            if page_token in seen:
                raise SyncError(f"Google {what}: page token repeated, stopping")
            seen.add(page_token)

    def _map_page(self, page: dict) -> list[SyncEvent]:
        if page.get("timeZone"):  # list answers carry the calendar's zone and default reminders
            self._defaults = (
                page["timeZone"],
                reminders_from_overrides(page.get("defaultReminders")),
            )
        timezone, reminders = self._defaults or ("UTC", ())
        for item in page.get("items") or ():
            zone = unknown_timezone(item)
            if zone and isinstance(item, dict) and item.get("id"):
                self.unknown_timezones[str(item["id"])] = zone
        mapped = (
            from_google(
                item,
                default_timezone=timezone,
                default_reminders=reminders,
                on_error=self.skipped.append,
            )
            for item in page.get("items") or ()
        )
        return [event for event in mapped if event is not None]

    def calendar_defaults(self) -> tuple[str, tuple[Reminder, ...]]:
        """The calendar's IANA zone and default reminders (``calendarList.get``); cached."""
        if self._defaults is None:
            url = f"{self.api_base}/users/me/calendarList/{quote(self.calendar_id, safe='')}"
            entry = self._get_json(url, what="calendarList.get")
            self._defaults = (
                entry.get("timeZone") or "UTC",
                reminders_from_overrides(entry.get("defaultReminders")),
            )
        return self._defaults

    def owner_email(self) -> str:
        """The e-mail address of the account signed in: the id of its primary calendar."""
        entry = self._get_json(f"{self.api_base}/users/me/calendarList/primary", what="owner")
        return entry.get("id", "") if entry.get("primary") else ""

    def _defaults_for(self, item: Any) -> tuple[str, tuple[Reminder, ...]]:
        """Calendar defaults, asked for only when ``item`` depends on them."""
        if self._defaults is not None or not _needs_calendar_defaults(item):
            return self._defaults or ("UTC", ())
        return self.calendar_defaults()

    # ----------------------------------------------------------------- pull

    def list_changes(self, cursor: str) -> ChangeSet:
        """Changes since ``cursor``; ``""`` lists the whole window (``full_resync=True``)."""
        return every_page(self, cursor, "Google events.list")

    def list_page(self, cursor: str, page_token: str = "") -> ChangeSet:
        """One page of ``list_changes``. Google wants the first page's query again with its
        ``pageToken``, so ``cursor`` is the listing's, whichever page is asked for, and
        ``next_page`` holds the window the listing started with (a process resuming later
        would compute another one)."""
        self.skipped = []
        self.unknown_timezones = {}
        params: dict[str, Any] = {"maxResults": self.page_size, "showDeleted": "true"}
        if cursor:
            params["syncToken"] = cursor  # no timeMin: Google forbids it with syncToken
        elif self.window_start is not None:
            params["timeMin"] = _rfc3339(self.window_start)
        if page_token:
            params.update(parse_qsl(page_token))
        page = self._get_json(self.events_url, params, "events.list")
        next_page = ""
        if page.get("nextPageToken"):
            resume = {"timeMin": params.get("timeMin"), "pageToken": page["nextPageToken"]}
            next_page = urlencode({name: value for name, value in resume.items() if value})
        return ChangeSet(
            events=self._map_page(page),
            next_cursor=page.get("nextSyncToken") or "",
            next_page=next_page,
            full_resync=not cursor,
            unreadable=[str(problem) for problem in self.skipped],
            unknown_timezones=self.unknown_timezones,
        )

    def fetch(self, remote_id: str) -> SyncEvent | None:
        """The live event, or None when it is gone (404/410 or cancelled)."""
        response = self._send("GET", self.event_url(remote_id))
        payload = _json(response)
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise error_for(response.status_code, payload, "events.get")
        if isinstance(payload, dict) and payload.get("status") == "cancelled":
            return None
        timezone, reminders = self._defaults_for(payload)
        return parse_event(payload, default_timezone=timezone, default_reminders=reminders)

    def instances(
        self,
        master_id: str,
        *,
        time_min: dt.datetime | None = None,
        time_max: dt.datetime | None = None,
    ) -> list[SyncEvent]:
        """Occurrences of a series (cancelled ones included), optionally within a window."""
        params: dict[str, Any] = {"maxResults": self.page_size, "showDeleted": "true"}
        if time_min is not None:
            params["timeMin"] = _rfc3339(time_min)
        if time_max is not None:
            params["timeMax"] = _rfc3339(time_max)
        self.skipped = []
        url = f"{self.event_url(master_id)}/instances"
        pages = self._pages(url, params, "events.instances")
        return [event for page in pages for event in self._map_page(page)]

    def normalized(self, event: SyncEvent) -> SyncEvent:
        """What Google keeps of an Odoo event: at most 5 reminders, and no video link (its
        conference data is Google's own, read-only for us)."""
        return event.replace(video_url="", reminders=reminders_kept(event.reminders))

    def instance_id(self, master_remote_id: str, original_start, all_day: bool) -> str:
        """Google names an occurrence after its series and its original start (in UTC)."""
        if all_day:
            return f"{master_remote_id}_{original_start:%Y%m%d}"
        return f"{master_remote_id}_{original_start.astimezone(_UTC):%Y%m%dT%H%M%SZ}"

    def find_by_odoo_id(self, odoo_id: int) -> SyncEvent | None:
        """The live event carrying ``extendedProperties.private.odoo_id``, if any."""
        params = {"privateExtendedProperty": f"{ODOO_ID_PROPERTY}={odoo_id}", "maxResults": 10}
        page = self._get_json(self.events_url, params, "events.list")
        for event in self._map_page(page):
            if not event.cancelled and event.odoo_id == odoo_id:
                return event
        return None

    # ----------------------------------------------------------------- notifications

    def watch(self, address: str, token: str) -> dict:
        """Open an ``events.watch`` channel: Google POSTs to ``address`` (https) on every
        change of the calendar, with ``token`` in ``X-Goog-Channel-Token``. Returns the
        channel (``id``, ``resourceId``, ``expiration`` in ms since the epoch)."""
        body = {"id": str(uuid.uuid4()), "type": "web_hook", "address": address, "token": token}
        response = self._send("POST", f"{self.events_url}/watch", json=body)
        payload = _json(response)
        if response.status_code != 200 or not isinstance(payload, dict):
            raise error_for(response.status_code, payload, "events.watch")
        return payload

    def stop_channel(self, channel_id: str, resource_id: str) -> None:
        """``channels.stop``; a channel Google no longer knows (404) is stopped already."""
        body = {"id": channel_id, "resourceId": resource_id}
        response = self._send("POST", f"{self.api_base}/channels/stop", json=body)
        if response.status_code not in (200, 204, 404):
            raise error_for(response.status_code, _json(response), "channels.stop")

    # ----------------------------------------------------------------- push

    def apply(self, ops: Sequence[PushOp]) -> list[PushResult]:
        """Apply ops in batches of ``batch_size``; one result per op, in order.

        Never raises for one op: failures are results (``retryable`` ones stay queued). When
        the grant is gone, the ops not applied yet get ``AuthExpired`` (retryable) and the
        results already obtained are kept, so no remote id is lost.
        """
        results: list[PushResult | None] = [None] * len(ops)
        self._auth_refreshed = False
        try:
            for start in range(0, len(ops), self.batch_size):
                indices = range(start, min(start + self.batch_size, len(ops)))
                self._apply_chunk(ops, list(indices), results)
        except AuthExpired as exc:
            for index, result in enumerate(results):
                if result is None:
                    results[index] = PushResult(ops[index].key, error=exc, retryable=True)
        return results

    def _prepare(self, ops: Sequence[PushOp], indices: list[int], results: list) -> list:
        pending = []
        for index in indices:
            try:
                pending.append((index, self._batch_part(ops[index])))
            except MalformedEvent as exc:
                results[index] = PushResult(ops[index].key, error=exc)
            except AuthExpired:
                raise
            except SyncError as exc:  # a reply could not read the event: try again next run
                results[index] = PushResult(ops[index].key, error=exc, retryable=True)
        return pending

    def _apply_chunk(self, ops: Sequence[PushOp], indices: list[int], results: list) -> None:
        pending = self._prepare(ops, indices, results)
        attempt = 0
        while pending:
            answers = self._send_batch([part for _, part in pending])
            retry, reauth = self._settle(ops, pending, answers, results)
            if reauth:
                self._refresh_once()
            again = [(index, part) for index, part in pending if index in reauth]
            if retry:
                exhausted = attempt >= self.session.max_retries
                if not exhausted:
                    self.session.sleep(self._part_delay(retry, pending, answers, attempt))
                    attempt += 1
                still = self._recover_unknown_creates(ops, retry, pending, answers, results)
                if exhausted:
                    self._give_up(ops, [index for index, _ in still], answers, pending, results)
                else:
                    again += still
            pending = sorted(again, key=lambda pair: pair[0])

    def _refresh_once(self) -> None:
        """Parts answered 401: one fresh token per ``apply``, then the grant is gone."""
        if self._auth_refreshed:
            raise AuthExpired("Google refused a freshly refreshed access token")
        self._auth_refreshed = True
        self.credentials_provider(force_refresh=True)

    def _settle(self, ops, pending, answers, results) -> tuple[list[int], set[int]]:
        """Record final outcomes; return the indices to retry and those answered 401."""
        retry, reauth = [], set()
        for (index, _), answer in zip(pending, answers, strict=True):
            if answer.status == 401:
                reauth.add(index)
                continue
            outcome = self._outcome(ops[index], answer)
            if outcome is None:
                retry.append(index)
            else:
                results[index] = outcome
        return retry, reauth

    def _part_delay(self, retry, pending, answers, attempt) -> float:
        by_index = {index: answer for (index, _), answer in zip(pending, answers, strict=True)}
        hints = [parse_retry_after(by_index[i].headers.get("retry-after")) for i in retry]
        hinted = [h for h in hints if h is not None]
        delay = max(hinted) if hinted else self.session.backoff_delay(attempt)
        return min(delay, self.session.backoff_max)

    def _give_up(self, ops, retry, answers, pending, results) -> None:
        """Retries exhausted: the parts stay queued (``retryable``), never silently dropped."""
        by_index = {index: answer for (index, _), answer in zip(pending, answers, strict=True)}
        for index in retry:
            answer = by_index[index]
            error = error_for(answer.status, answer.payload, ops[index].kind.value)
            results[index] = PushResult(ops[index].key, error=error, retryable=True)

    def _recover_unknown_creates(self, ops, retry, pending, answers, results) -> list:
        """A create that may have been applied is looked up by its odoo_id before resending."""
        by_index = {
            index: (part, answer) for (index, part), answer in zip(pending, answers, strict=True)
        }
        still = []
        for index in retry:
            part, answer = by_index[index]
            op = ops[index]
            unknown = answer.status is None or (answer.status >= 500 and answer.status != 503)
            if op.kind == OpKind.CREATE and unknown and op.event.odoo_id is not None:
                found = self._lookup_quietly(op.event.odoo_id)
                if found is not None:
                    results[index] = PushResult(op.key, event=found)
                    continue
            still.append((index, part))
        return still

    def _lookup_quietly(self, odoo_id: int) -> SyncEvent | None:
        try:
            return self.find_by_odoo_id(odoo_id)
        except AuthExpired:
            raise
        except (SyncError, requests.RequestException):
            return None  # the service is still unwell: the create stays pending

    def _batch_part(self, op: PushOp) -> BatchPart:
        path = urlsplit(self.events_url).path
        query = "?" + urlencode({"sendUpdates": SEND_UPDATES.get(op.send_updates, "none")})
        headers = {"If-Match": op.event.etag} if op.event.etag else {}
        if op.kind == OpKind.CREATE:
            return BatchPart("POST", path + query, to_google(op.event))
        target = f"{path}/{quote(op.event.remote_id, safe='')}{query}"
        if not op.event.remote_id:
            raise MalformedEvent("", "remote_id", f"{op.kind.value} needs the remote id")
        if op.kind == OpKind.DELETE:
            return BatchPart("DELETE", target, None, headers)
        if op.kind == OpKind.REPLY:
            return self._reply_part(op, target)
        body = to_google(op.event, for_patch=True, fields=op.fields)
        if "attendees" in body:
            body["attendees"] = self._attendees_kept(op.event.remote_id, body["attendees"])
        return BatchPart("PATCH", target, body, headers)

    def _attendees_kept(self, remote_id: str, attendees: list[dict]) -> list[dict]:
        """The guest list to send, with Google's own entry for every guest still invited.

        Google replaces the whole list: the entries of those who stay carry what Odoo has no
        field for (their comment, extra guests, role) and their answer, which is theirs.
        """
        try:
            item = self._get_json(self.event_url(remote_id), None, "events.get")
        except RemoteRejected:
            return attendees  # gone or not ours: the PATCH itself says so
        current = {
            str(raw.get("email", "")).lower(): raw
            for raw in item.get("attendees") or ()
            if isinstance(raw, dict)
        }
        return [current.get(attendee["email"].lower(), attendee) for attendee in attendees]

    def _reply_part(self, op: PushOp, target: str) -> BatchPart:
        """PATCH only the attendee list, as Google has it now, with the user's answer in it.

        Anything else in the body would be a change of the organizer's event, which Google
        refuses to an attendee (403 forbiddenForNonOrganizer).
        """
        item = self._get_json(self.event_url(op.event.remote_id), None, "events.get")
        answers = {a.email.lower(): attendee_to_google(a) for a in op.event.attendees}
        attendees = []
        for raw in item.get("attendees") or []:
            answer = answers.get(str(raw.get("email", "")).lower())
            attendees.append({**raw, "responseStatus": answer["responseStatus"]} if answer else raw)
        headers = {"If-Match": item["etag"]} if item.get("etag") else {}
        return BatchPart("PATCH", target, {"attendees": attendees}, headers)

    def _send_batch(self, parts: list[BatchPart]) -> list[PartResponse]:
        """POST one batch; a transport failure or an unreadable answer leaves every part
        without answer (status None), which the caller treats as "outcome unknown"."""
        token = uuid.uuid4().hex
        boundary = f"batch_{token}"
        body = encode_batch(parts, boundary, token)
        headers = {"Content-Type": f"multipart/mixed; boundary={boundary}"}
        try:
            response = self._send("POST", self.batch_url, data=body, headers=headers)
        except requests.RequestException:
            return [PartResponse(None) for _ in parts]
        if response.status_code != 200:
            payload = _json(response)
            return [
                PartResponse(response.status_code, dict(response.headers), payload) for _ in parts
            ]
        try:
            text = response.content.decode("utf-8", errors="replace")  # no charset on multipart
            return decode_batch(response.headers.get("Content-Type", ""), text, len(parts))
        except (SyncError, ValueError, IndexError):
            return [PartResponse(None) for _ in parts]

    def _outcome(self, op: PushOp, answer: PartResponse) -> PushResult | None:
        """The final result of one part, or None to send it again."""
        status, payload = answer.status, answer.payload
        if status is not None and 200 <= status < 300:
            return self._success(op, payload)
        if op.kind == OpKind.DELETE and status in (404, 410):
            return PushResult(op.key)  # already gone: the goal is reached
        if status == 412:
            return PushResult(op.key, conflict=True)
        if status == 409 and op.kind == OpKind.CREATE and op.event.remote_id:
            return self._existing_create(op)
        if is_transient(status, payload):
            return None
        error = error_for(status, payload, op.kind.value)
        retryable = isinstance(error, (Throttled, AuthExpired))
        return PushResult(op.key, error=error, retryable=retryable)

    def _success(self, op: PushOp, payload: Any) -> PushResult:
        if op.kind == OpKind.DELETE:
            return PushResult(op.key)
        event = from_google(payload, default_timezone=op.event.timezone)
        if event is None:  # applied, but the echo is unreadable: keep ours with the new ids
            ids = payload if isinstance(payload, dict) else {}
            event = op.event.replace(
                remote_id=ids.get("id") or op.event.remote_id, etag=ids.get("etag") or ""
            )
        return PushResult(op.key, event=event)

    def _existing_create(self, op: PushOp) -> PushResult:
        """409 on a create with a client-chosen id: ours from an earlier attempt, or a clash."""
        existing = self.fetch(op.event.remote_id)
        if existing is not None and existing.odoo_id in (None, op.event.odoo_id):
            return PushResult(op.key, event=existing)
        error = RemoteRejected(
            f"Google event id {op.event.remote_id} is already used by another event",
            reason="duplicate",
            status=409,
        )
        return PushResult(op.key, error=error)
