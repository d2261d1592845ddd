"""Google Calendar v3 client: the ``CalendarConnector`` for Google.

- Pull: ``events.list`` with ``syncToken`` (incremental) or ``timeMin`` (first sync), paging
  with ``pageToken``; a refused token (410) raises ``CursorExpired``.
- Push: creates / patches / deletes through the batch endpoint (``multipart/mixed``), with
  ``If-Match`` etags so a concurrent remote edit comes back as a conflict instead of being
  overwritten; the toolkit's loop (``calendar_sync_base.services.batch``) retries throttled or
  failed parts on their own and finds creates whose answer was lost.
- The access token travels in the ``Authorization`` header only, never in a URL. A 401 asks the
  token provider for a fresh token once (``auth.GoogleTokenProvider``), then ``AuthExpired``.

This module keeps what is Google's own: its error reasons, the batch wire format
(``batch_format``), and the mapping (``mapper``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import requests

from calendar_sync_base.services.batch import BatchingClient, BatchPart, PartResponse
from calendar_sync_base.services.errors import (
    AuthExpired,
    CursorExpired,
    RemoteRejected,
    SyncError,
    Throttled,
)
from calendar_sync_base.services.http import ResilientSession
from calendar_sync_base.services.model import ChangeSet, Reminder, SyncEvent
from calendar_sync_base.services.protocol import OpKind, PushOp, PushResult, every_page
from calendar_sync_base.services.rest import TokenProvider, json_or_text
from calendar_sync_base.services.timeutil import UTC, rfc3339_utc

from .batch_format import decode_batch, encode_batch
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


# --------------------------------------------------------------------------- client


class GoogleCalendarClient(BatchingClient):
    """Google Calendar v3 behind the ``CalendarConnector`` protocol.

    ``skipped`` lists the items of the last ``list_changes`` that could not be mapped
    (``MalformedEvent``, naming event id and field); they are left out of the ``ChangeSet``.
    """

    service = "Google"

    def __init__(
        self,
        session: ResilientSession,
        token_provider: TokenProvider,
        api_base: str = API_BASE,
        batch_url: str = BATCH_URL,
        calendar_id: str = "primary",
        window_start: dt.datetime | None = None,
        page_size: int = 250,
        batch_size: int = 50,
    ):
        if batch_size < 1 or page_size < 1:
            raise ValueError("batch_size and page_size must be positive")
        super().__init__(session, token_provider)
        self.api_base = api_base.rstrip("/")
        self.batch_url = batch_url
        self.calendar_id = calendar_id
        self.window_start = window_start
        self.page_size = min(page_size, MAX_PAGE_SIZE)
        self.batch_size = min(batch_size, MAX_BATCH_SIZE)
        self.skipped: list[MalformedEvent] = []
        self.unknown_timezones: dict[str, str] = {}  # of the last listing
        self._defaults: tuple[str, tuple[Reminder, ...]] | None = None

    # ----------------------------------------------------------------- plumbing

    @property
    def events_url(self) -> str:
        return f"{self.api_base}/calendars/{quote(self.calendar_id, safe='')}/events"

    def event_url(self, remote_id: str) -> str:
        return f"{self.events_url}/{quote(remote_id, safe='')}"

    def error_for(self, status, payload, headers=None, what: str = "") -> SyncError:
        return error_for(status, payload, what)

    def retry_if(self, response: requests.Response) -> bool:
        return response.status_code == 403 and is_rate_limited(403, json_or_text(response))

    def next_page_link(self, page: dict) -> str:
        return page.get("nextPageToken") or ""

    def page_request(self, link: str, url: str, params: dict | None) -> tuple[str, dict]:
        return url, {**(params or {}), "pageToken": link}  # the first page's query again

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
            params["timeMin"] = rfc3339_utc(self.window_start)
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
        payload = json_or_text(response)
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
            params["timeMin"] = rfc3339_utc(time_min)
        if time_max is not None:
            params["timeMax"] = rfc3339_utc(time_max)
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
        return f"{master_remote_id}_{original_start.astimezone(UTC):%Y%m%dT%H%M%SZ}"

    def find_by_odoo_id(self, odoo_id: int) -> SyncEvent | None:
        """The live event carrying ``extendedProperties.private.odoo_id``, if any."""
        found = self.find_raw_by_odoo_id(odoo_id)
        if found is None:
            return None
        timezone, reminders = self._defaults_for(found)
        return parse_event(found, default_timezone=timezone, default_reminders=reminders)

    def find_raw_by_odoo_id(self, odoo_id: int) -> dict | None:
        """Google's JSON of the live event carrying ``odoo_id``, if any."""
        params = {"privateExtendedProperty": f"{ODOO_ID_PROPERTY}={odoo_id}", "maxResults": 10}
        page = self._get_json(self.events_url, params, "events.list")
        for item in page.get("items") or ():
            event = from_google(item)
            if event is not None and not event.cancelled and event.odoo_id == odoo_id:
                return item
        return None

    # ----------------------------------------------------------------- notifications

    def watch(self, address: str, token: str) -> dict:
        """Open an ``events.watch`` channel: Google POSTs to ``address`` (https) on every
        change of the calendar, with ``token`` in ``X-Goog-Channel-Token``. Returns the
        channel (``id``, ``resourceId``, ``expiration`` in ms since the epoch)."""
        body = {"id": str(uuid.uuid4()), "type": "web_hook", "address": address, "token": token}
        response = self._send("POST", f"{self.events_url}/watch", json=body)
        payload = json_or_text(response)
        if response.status_code != 200 or not isinstance(payload, dict):
            raise error_for(response.status_code, payload, "events.watch")
        return payload

    def stop_channel(self, channel_id: str, resource_id: str) -> None:
        """``channels.stop``; a channel Google no longer knows (404) is stopped already."""
        body = {"id": channel_id, "resourceId": resource_id}
        response = self._send("POST", f"{self.api_base}/channels/stop", json=body)
        if response.status_code not in (200, 204, 404):
            raise error_for(response.status_code, json_or_text(response), "channels.stop")

    # ----------------------------------------------------------------- push

    def apply(self, ops: Sequence[PushOp]) -> list[PushResult]:
        """Apply ops in batches of ``batch_size``; one result per op, in order.

        Never raises for one op: failures are results (``retryable`` ones stay queued). Each
        batch's ops are prepared (some read the event first) just before it is sent. When the
        grant is gone, the ops not applied yet get ``AuthExpired`` (retryable) and the results
        already obtained are kept, so no remote id is lost.
        """
        results: list[PushResult | None] = [None] * len(ops)
        self.new_auth_round()
        for start in range(0, len(ops), self.batch_size):
            indices = range(start, min(start + self.batch_size, len(ops)))
            prepared = self.prepared_parts(ops, indices, self._batch_part, results, MalformedEvent)
            self.push_parts(ops, prepared, results)
        return results

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

    def batch_request(self, parts: Sequence[BatchPart]) -> tuple[str, bytes, str]:
        token = uuid.uuid4().hex
        boundary = f"batch_{token}"
        return (
            self.batch_url,
            encode_batch(parts, boundary, token),
            (f"multipart/mixed; boundary={boundary}"),
        )

    def batch_answers(self, response: requests.Response, count: int) -> list[PartResponse]:
        text = response.content.decode("utf-8", errors="replace")  # no charset on multipart
        return decode_batch(response.headers.get("Content-Type", ""), text, count)

    def is_transient(self, answer: PartResponse) -> bool:
        return is_transient(answer.status, answer.payload)

    def push_success(self, op: PushOp, payload: Any) -> PushResult:
        if op.kind == OpKind.DELETE:
            return PushResult(op.key)
        event = from_google(payload, default_timezone=op.event.timezone)
        if event is None:  # applied, but the echo is unreadable: keep ours with the new ids
            ids = payload if isinstance(payload, dict) else {}
            event = op.event.replace(
                remote_id=ids.get("id") or op.event.remote_id, etag=ids.get("etag") or ""
            )
        return PushResult(op.key, event=event)

    def push_outcome(self, op: PushOp, answer: PartResponse) -> PushResult:
        if answer.status == 409 and op.kind == OpKind.CREATE and op.event.remote_id:
            return self._existing_create(op)
        return super().push_outcome(op, answer)

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
