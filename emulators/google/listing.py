"""events.list / events.instances: filters, expansion, paging, sync tokens, rendering.

Paging is by cursor, not offset: a page token remembers the sort key of the last item sent and
the change counter value at the first page (``upto``). Events changed while a client pages are
left out of that listing and come back through the next sync token, which is ``upto`` -- so
nothing is lost or duplicated however the calendar changes between pages.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from .discovery import parse_datetime
from .errors import GoogleError, bad_request
from .recurrence import When, parse_when, render_when
from .store import EventStore, StoredEvent, overlaps

DEFAULT_MAX_RESULTS = 250
MAX_RESULTS = 2500
# Parameters that may not accompany syncToken (events.list reference).
SYNC_FORBIDDEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
# Parameters that do not change the result set (ignored when checking page tokens).
NOT_IN_SIGNATURE = {
    "pageToken",
    "maxResults",
    "fields",
    "prettyPrint",
    "alt",
    "access_token",
    "oauth_token",
    "key",
    "quotaUser",
    "userIp",
    "calendarId",
}


def encode_token(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(text: str) -> dict[str, Any] | None:
    try:
        padded = text + "=" * (-len(text) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError):
        return None
    return data if isinstance(data, dict) else None


def _query_part(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters that shape the result set."""
    return {k: v for k, v in params.items() if k not in NOT_IN_SIGNATURE}


def signature(params: dict[str, Any]) -> str:
    text = json.dumps(_query_part(params), sort_keys=True, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def with_page_query(params: dict[str, Any]) -> dict[str, Any]:
    """A page request that repeats only ``pageToken`` gets its query back from the token, as
    Google's tokens carry it (Odoo's google_calendar sends nothing else for the next pages).
    A request that repeats the query must repeat it unchanged (checked by ``_page_state``)."""
    token = params.get("pageToken")
    if not token or _query_part(params):
        return params
    carried = (decode_token(token) or {}).get("a")
    return {**carried, **params} if isinstance(carried, dict) else params


# -- rendering -------------------------------------------------------------------------------


def render(
    event: StoredEvent,
    display_zone: str | None = None,
    max_attendees: int | None = None,
    minimal: bool = False,
) -> dict[str, Any]:
    """The resource as sent to clients. ``minimal``: a cancelled entry in a list, reduced to
    what Google guarantees (id; recurringEventId + originalStartTime for instances)."""
    if minimal and event.cancelled:
        return _minimal(event)
    resource = copy.deepcopy(event.resource)
    if display_zone:
        for key in ("start", "end", "originalStartTime"):
            when = parse_when(resource.get(key))
            if when is not None:
                resource[key] = render_when(when, display_zone)
    attendees = resource.get("attendees")
    if max_attendees is not None and attendees and len(attendees) > max_attendees:
        resource["attendees"] = attendees[:max_attendees]
        resource["attendeesOmitted"] = True
    return resource


def _minimal(event: StoredEvent) -> dict[str, Any]:
    out = {
        "kind": "calendar#event",
        "etag": event.resource["etag"],
        "id": event.id,
        "status": "cancelled",
    }
    if event.master_id:
        out["recurringEventId"] = event.master_id
        out["originalStartTime"] = copy.deepcopy(event.resource["originalStartTime"])
    return out


# -- query -----------------------------------------------------------------------------------


@dataclass
class Query:
    single_events: bool = False
    show_deleted: bool = False
    order_by: str | None = None
    time_min: dt.datetime | None = None
    time_max: dt.datetime | None = None
    updated_min: dt.datetime | None = None
    ical_uid: str | None = None
    q: str | None = None
    private: list[str] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    since: int | None = None  # incremental: change counter of the sync token
    upto: int = 0
    after_key: tuple | None = None
    max_results: int = DEFAULT_MAX_RESULTS

    @property
    def include_deleted(self) -> bool:
        return self.show_deleted or self.since is not None or self.updated_min is not None


def check_combinations(params: dict[str, Any]) -> None:
    """The parameter combinations the events.list reference forbids -> 400 invalid."""
    if "syncToken" in params:
        for name in SYNC_FORBIDDEN:
            if name in params:
                raise bad_request(f"The parameter {name} cannot be used with syncToken.")
        if params.get("showDeleted") is False:
            raise bad_request("The parameter showDeleted=false cannot be used with syncToken.")
    if params.get("orderBy") == "startTime" and not params.get("singleEvents"):
        raise bad_request("The requested ordering is not available for the particular query.")
    time_min, time_max = _time(params, "timeMin"), _time(params, "timeMax")
    if time_min and time_max and time_max <= time_min:
        raise GoogleError(400, "timeRangeEmpty", "The specified time range is empty.")


def _time(params: dict[str, Any], name: str) -> dt.datetime | None:
    value = params.get(name)
    return parse_datetime(value) if value else None


def build_query(params: dict[str, Any], store: EventStore, sync: dict | None) -> Query:
    page = _page_state(params)
    query = Query(
        single_events=bool(params.get("singleEvents")),
        show_deleted=bool(params.get("showDeleted")),
        order_by=params.get("orderBy"),
        time_min=_time(params, "timeMin"),
        time_max=_time(params, "timeMax"),
        updated_min=_time(params, "updatedMin"),
        ical_uid=params.get("iCalUID"),
        q=params.get("q"),
        private=list(params.get("privateExtendedProperty") or []),
        shared=list(params.get("sharedExtendedProperty") or []),
        event_types=list(params.get("eventTypes") or []),
        since=sync["q"] if sync else None,
        upto=page["u"] if page else store.calendar.last_seq,
        after_key=tuple(page["k"]) if page else None,
        max_results=min(params.get("maxResults", DEFAULT_MAX_RESULTS), MAX_RESULTS),
    )
    return query


def _page_state(params: dict[str, Any]) -> dict[str, Any] | None:
    token = params.get("pageToken")
    if not token:
        return None
    data = decode_token(token)
    if not data or data.get("p") != 1 or data.get("s") != signature(params):
        raise bad_request("Invalid page token value.")
    return data


# -- sync tokens -----------------------------------------------------------------------------


def new_sync_token(store: EventStore, upto: int, now: dt.datetime) -> str:
    calendar = store.calendar
    data = {"c": calendar.id, "q": upto, "g": calendar.token_generation, "i": int(now.timestamp())}
    return encode_token(data)


def check_sync_token(
    token: str, store: EventStore, now: dt.datetime, ttl: float | None
) -> dict[str, Any]:
    data = decode_token(token)
    if not data or not isinstance(data.get("q"), int):
        raise bad_request("Invalid sync token value.")
    calendar = store.calendar
    expired = (
        data.get("c") != calendar.id
        or data.get("g") != calendar.token_generation
        or (ttl is not None and now.timestamp() - data.get("i", 0) > ttl)
    )
    if expired:
        raise full_sync_required()
    return data


def full_sync_required() -> GoogleError:
    return GoogleError(
        410,
        "fullSyncRequired",
        "Sync token is no longer valid, a full sync is required.",
    )


# -- listing ---------------------------------------------------------------------------------


def list_events(
    store: EventStore,
    params: dict[str, Any],
    now: dt.datetime,
    token_ttl: float | None = None,
) -> dict[str, Any]:
    params = with_page_query(params)
    check_combinations(params)
    sync = None
    if params.get("syncToken"):
        sync = check_sync_token(params["syncToken"], store, now, token_ttl)
    query = build_query(params, store, sync)
    rows = _collect(store, query)
    page, more = _page(rows, query)
    items = [
        render(event, params.get("timeZone"), params.get("maxAttendees"), minimal=True)
        for _, event in page
    ]
    response = _envelope(store, items, params)
    if more:
        response["nextPageToken"] = _next_page_token(page[-1][0], query, params)
    else:
        response["nextSyncToken"] = new_sync_token(store, query.upto, now)
    return response


def list_instances(store: EventStore, master: StoredEvent, params: dict[str, Any]) -> dict:
    params = with_page_query(params)
    time_min, time_max = _time(params, "timeMin"), _time(params, "timeMax")
    page = _page_state(params)
    query = Query(
        show_deleted=bool(params.get("showDeleted")),
        time_min=time_min,
        time_max=time_max,
        upto=page["u"] if page else store.calendar.last_seq,
        after_key=tuple(page["k"]) if page else None,
        max_results=min(params.get("maxResults", DEFAULT_MAX_RESULTS), MAX_RESULTS),
        order_by="startTime",
    )
    instances = store.expand(master, time_min, time_max) if master.is_master else [master]
    original = params.get("originalStart")
    rows = [
        (_key(event, query), event)
        for event in instances
        if (query.show_deleted or not event.cancelled)
        and (not original or _same_start(event, original))
    ]
    rows.sort(key=lambda row: row[0])
    page_rows, more = _page(rows, query)
    items = [
        render(event, params.get("timeZone"), params.get("maxAttendees")) for _, event in page_rows
    ]
    response = _envelope(store, items, params)
    if more:
        response["nextPageToken"] = _next_page_token(page_rows[-1][0], query, params)
    return response


def _same_start(event: StoredEvent, original: str) -> bool:
    when = parse_when(event.resource.get("originalStartTime"))
    moment = parse_datetime(original)
    if when is None:
        return False
    if when.all_day:
        return original == when.date.isoformat()
    return moment is not None and moment == when.datetime


def _envelope(store: EventStore, items: list[dict], params: dict[str, Any]) -> dict[str, Any]:
    calendar = store.calendar
    updated = max((e.resource["updated"] for e in calendar.events.values()), default=None)
    response = {
        "kind": "calendar#events",
        "etag": f'"p{calendar.last_seq:015d}"',
        "summary": calendar.summary,
        "description": calendar.description,
        "updated": updated or "1970-01-01T00:00:00.000Z",
        "timeZone": params.get("timeZone") or calendar.time_zone,
        "accessRole": "owner",
        "defaultReminders": copy.deepcopy(calendar.default_reminders),
        "items": items,
    }
    return response


def _next_page_token(last_key: tuple, query: Query, params: dict[str, Any]) -> str:
    carried = _query_part(params)
    if "maxResults" in params:
        carried["maxResults"] = params["maxResults"]
    data = {"p": 1, "k": list(last_key), "u": query.upto, "s": signature(params), "a": carried}
    return encode_token(data)


def _page(rows: list[tuple[tuple, StoredEvent]], query: Query):
    if query.after_key is not None:
        rows = [row for row in rows if row[0] > query.after_key]
    return rows[: query.max_results], len(rows) > query.max_results


def _collect(store: EventStore, query: Query) -> list[tuple[tuple, StoredEvent]]:
    found: dict[str, StoredEvent] = {}
    for event in store.calendar.events.values():
        if event.seq > query.upto or (query.since is not None and event.seq <= query.since):
            continue
        if not _matches(event, query):
            continue
        for item in _expand_for(store, event, query):
            found[item.id] = item
    rows = [(_key(event, query), event) for event in found.values()]
    rows.sort(key=lambda row: row[0])
    return rows


def _expand_for(store: EventStore, event: StoredEvent, query: Query) -> list[StoredEvent]:
    """What one stored event contributes to the listing."""
    incremental = query.since is not None
    if query.single_events:
        if event.master_id and _live_master(store, event.master_id) and not incremental:
            return []  # emitted by its master's expansion
        if event.is_master and not event.deleted:
            window = (None, None) if incremental else (query.time_min, query.time_max)
            return [i for i in store.expand(event, *window) if _visible(i, query)]
    if not _visible(event, query):
        return []
    if incremental or not (query.time_min or query.time_max):
        return [event]
    if event.is_master and not event.deleted:
        return [event] if store.expand(event, query.time_min, query.time_max) else []
    return [event] if overlaps(event, query.time_min, query.time_max) else []


def _live_master(store: EventStore, master_id: str) -> bool:
    master = store.stored(master_id)
    return master is not None and not master.deleted and master.is_master


def _visible(event: StoredEvent, query: Query) -> bool:
    if event.deleted:
        return query.include_deleted
    if not event.cancelled:
        return True
    if event.master_id:  # a cancelled instance: listed unless expanded (events.list docs)
        return query.include_deleted or not query.single_events
    return query.include_deleted


def _matches(event: StoredEvent, query: Query) -> bool:
    resource = event.resource
    if query.updated_min and _updated(resource) < query.updated_min:
        return False
    if query.ical_uid and resource.get("iCalUID") != query.ical_uid:
        return False
    if query.event_types and resource.get("eventType", "default") not in query.event_types:
        return False
    if not _properties_match(resource, "private", query.private):
        return False
    if not _properties_match(resource, "shared", query.shared):
        return False
    return not query.q or _text_match(resource, query.q)


def _updated(resource: dict[str, Any]) -> dt.datetime:
    return parse_datetime(resource["updated"])


def _properties_match(resource: dict[str, Any], scope: str, filters: list[str]) -> bool:
    values = (resource.get("extendedProperties") or {}).get(scope) or {}
    for item in filters:
        name, sep, value = item.partition("=")
        if not sep or values.get(name) != value:
            return False
    return True


def _text_match(resource: dict[str, Any], q: str) -> bool:
    parts = [resource.get(key, "") for key in ("summary", "description", "location")]
    for person in [resource.get("organizer") or {}, *(resource.get("attendees") or [])]:
        parts += [person.get("email", ""), person.get("displayName", "")]
    haystack = " ".join(parts).lower()
    return all(term in haystack for term in q.lower().split())


def _key(event: StoredEvent, query: Query) -> tuple:
    start = event.start()
    start_key = start.utc().isoformat() if isinstance(start, When) else ""
    if query.order_by == "startTime":
        return (start_key, event.id)
    if query.order_by == "updated":
        return (event.resource.get("updated", ""), event.id)
    return (event.seq, start_key, event.id)
