"""Reading Graph's calendarView delta: one page's items become masters, exceptions and
removals, and a series' excluded dates are the slots its rule gives that Outlook lacks.

See ``graph_client`` for what the listing promises; this module holds how it is done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from calendar_sync_base.services.batch import PartResponse
from calendar_sync_base.services.model import UTC, Recurrence, SyncEvent
from calendar_sync_base.services.recurrence import expand, parse_rrule
from calendar_sync_base.services.timeutil import aware_utc, parse_rfc3339, rfc3339_utc

from .graph_batch import event_path, graph_query
from .graph_errors import is_transient
from .graph_mapper import (
    EXPAND_ODOO_ID,
    MalformedEvent,
    from_graph,
    occurrence_slot,
    unknown_timezone,
)

if TYPE_CHECKING:
    from .graph_client import GraphCalendarClient

ALL_DAY_SLACK = dt.timedelta(hours=15)  # an all-day slot's midnight in any zone vs UTC
# Only what the exdate computation needs from a series' instances.
INSTANCE_FIELDS = "id,type,originalStart,isCancelled,start,end,isAllDay,seriesMasterId"
# A series expanded for its exdates is cut here: an endless daily rule from long ago must not
# make one sync expand forever.
EXPANSION_LIMIT = 50_000


@dataclass(frozen=True)
class Window:
    """The span a delta listing covers (aware UTC bounds)."""

    start: dt.datetime
    end: dt.datetime

    def query(self) -> dict[str, str]:
        return {"startDateTime": rfc3339_utc(self.start), "endDateTime": rfc3339_utc(self.end)}

    def with_exdates(self, master: SyncEvent, instances: list[dict]) -> SyncEvent:
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
        end = self.end.date() if master.all_day else self.end
        slots = expand(
            spec,
            master.start,
            master.timezone,
            window_end=end,
            limit=EXPANSION_LIMIT,
        )
        if master.all_day:
            return [slot for slot in slots if slot >= self.start.date()]
        # An occurrence that still runs at the window start is listed by Graph too.
        duration = master.stop - master.start
        return [slot for slot in slots if slot + duration > self.start]


def _slot_value(raw: Any):
    try:
        parsed = parse_rfc3339(raw)
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


def same_slot(raw: Any, slot, all_day: bool) -> bool:
    """Does Graph's ``originalStart`` (UTC instant) name the neutral slot ``slot``?"""
    value = _slot_value(raw) if not isinstance(raw, dt.datetime) else aware_utc(raw)
    if value is None or slot is None:
        return False
    if all_day or not isinstance(slot, dt.datetime):
        day = slot.date() if isinstance(slot, dt.datetime) else slot
        # Outlook's all-day slot is local midnight: within a day of the UTC midnight.
        return abs(value - dt.datetime.combine(day, dt.time(), UTC)) < ALL_DAY_SLACK
    return value == aware_utc(slot)


class DeltaListing:
    """Turns the items of one delta page into masters, exceptions and removals.

    What it met on the way is the caller's to report: ``skipped`` (items that cannot be
    mapped), ``unknown_timezones``, ``incomplete`` (a follow-up read failed transiently: keep
    the cursor) and ``instances`` (the raw instances read per master, for ``instance_id``).
    ``window_start`` / ``window_end`` bound the instances read and the exdates computed.
    """

    def __init__(self, client: GraphCalendarClient):
        self.client = client
        self.skipped: list[MalformedEvent] = []
        self.unknown_timezones: dict[str, str] = {}
        self.incomplete = False
        self.instances: dict[str, list[dict]] = {}
        self.events: dict[str, SyncEvent] = {}
        self.masters: set[str] = set()
        self.occurrences: dict[str, tuple[str, Any]] = {}  # id -> (master id, its slot)
        self.removed: list[str] = []

    def _map(self, item: Any) -> SyncEvent | None:
        zone = unknown_timezone(item)
        if zone and item.get("id"):
            self.unknown_timezones[str(item["id"])] = zone
        return from_graph(
            item, timezone_hint=self.client.timezone_hint, on_error=self.skipped.append
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
            [event_path(rid) for rid in self.removed],
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
            self.incomplete = True
        else:
            self.skipped.append(MalformedEvent(rid, what, problem))

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
            paths.append(f"{event_path(rid)}?" + graph_query({"$expand": EXPAND_ODOO_ID}))
            window = {
                **client.window.query(),
                "$select": INSTANCE_FIELDS,
                "$top": str(max(client.page_size, 100)),
            }
            paths.append(f"{event_path(rid)}/instances?" + graph_query(window))
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
            self.incomplete = True  # read again, with its exdates, by the next listing
            return None
        if raw is None:
            return event  # its exdates could not be read: left as they are known
        self.instances[rid] = raw
        return client.window.with_exdates(event, raw)

    def _instance_items(self, answer: PartResponse) -> list[dict] | None:
        if not answer.ok or not isinstance(answer.payload, dict):
            return None
        items = list(answer.payload.get("value") or ())
        link = answer.payload.get("@odata.nextLink")
        if link:
            pages = self.client.follow_pages(link, "event instances")
            items += [item for page in pages for item in page.get("value", ())]
        return items
