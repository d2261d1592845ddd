"""Exchange Server through EWS (exchangelib): the ``CalendarConnector`` for Exchange.

- Pull: ``SyncFolderItems`` on the mailbox's calendar, one call per page
  (``MaxChangesReturned``), ids only; the items created or changed are then read with one
  ``GetItem`` per page (Exchange's ``SyncFolderItems``, like ``FindItem``, does not return
  every property, bodies and attendee lists among them), and the exceptions of the series seen
  with one more. The sync state is the cursor; the state of a page not the last is the page
  token, so a listing resumes where it stopped. A refused state (``ErrorInvalidSyncStateData``)
  is ``CursorExpired``: the engine lists everything again and re-links without duplicates.
- Series: ``SyncFolderItems`` reports masters only. A master's ``DeletedOccurrences`` are its
  exdates; its ``ModifiedOccurrences`` are read and listed after it as exceptions.
- Push: ``ews_push.ExchangePush`` (bulk ``CreateItem`` / ``UpdateItem`` / ``DeleteItem``).
- ``ErrorServerBusy`` is retried after its back-off within the deadline (``ews_errors``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from exchangelib import Account, CalendarItem
from exchangelib.errors import (
    ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange,
    ErrorItemNotFound,
)
from exchangelib.items import ID_ONLY
from exchangelib.properties import OccurrenceItemId
from exchangelib.services import SyncFolderItems

from calendar_sync_base.services.model import UTC, ChangeSet, Recurrence, SyncEvent
from calendar_sync_base.services.protocol import PushOp, PushResult, every_page
from calendar_sync_base.services.recurrence import expand
from calendar_sync_microsoft.services.graph_mapper import MalformedEvent
from calendar_sync_microsoft.services.timezones import to_iana

from .ews_account import server_version
from .ews_errors import BusyRetry
from .ews_mapper import (
    ODOO_ID_FIELD,
    ews_normalized,
    from_ews,
    register_odoo_id_property,
    unknown_timezone,
)
from .ews_push import ExchangePush

MAX_PAGE_SIZE = 512  # MaxChangesReturned upper bound
MAX_BATCH_SIZE = 100  # items per CreateItem / UpdateItem / DeleteItem / GetItem call


def _utc(value: dt.datetime) -> dt.datetime:
    return dt.datetime.fromtimestamp(value.timestamp(), UTC)


class ExchangeCalendarClient:
    """One mailbox's calendar behind the ``CalendarConnector`` protocol.

    ``timezone_hint``: the user's IANA zone (picks among IANA zones sharing a Windows zone,
    and reads items whose zone is unknown). ``window_start``: a full listing leaves out what
    ended before it (incremental listings report every change, as for Google and Graph).
    """

    def __init__(
        self,
        account: Account,
        *,
        timezone_hint: str = "",
        window_start: dt.datetime | None = None,
        page_size: int = 100,
        batch_size: int = MAX_BATCH_SIZE,
        deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if page_size < 1 or batch_size < 1:
            raise ValueError("page_size and batch_size must be positive")
        register_odoo_id_property()
        self.account = account
        self.mailbox = account.primary_smtp_address
        self.timezone_hint = (to_iana(timezone_hint) or "UTC") if timezone_hint else ""
        self.window_start = window_start
        self.page_size = min(page_size, MAX_PAGE_SIZE)
        self.batch_size = min(batch_size, MAX_BATCH_SIZE)
        self.call = BusyRetry(self.mailbox, deadline, clock, sleep)
        self._calendar = None

    @property
    def calendar(self):
        """The mailbox's Calendar folder (one ``GetFolder``, remembered)."""
        if self._calendar is None:
            self._calendar = self.call("GetFolder", lambda: self.account.calendar)
        return self._calendar

    def server_version(self) -> str:
        """The server's version, after one light request (Settings and Sync Console)."""
        _ = self.calendar  # the first answer carries ServerVersionInfo
        return server_version(self.account)

    # ----------------------------------------------------------------- pull

    def list_changes(self, cursor: str) -> ChangeSet:
        return every_page(self, cursor, "Exchange SyncFolderItems")

    def list_page(self, cursor: str, page_token: str = "") -> ChangeSet:
        """One ``SyncFolderItems`` page from ``page_token`` (a sync state), else ``cursor``."""
        state = page_token or cursor or None
        service = SyncFolderItems(account=self.account)

        def one_page():
            return list(
                service.call(
                    folder=self.calendar,
                    shape=ID_ONLY,
                    additional_fields=set(),
                    sync_state=state,
                    ignore=None,
                    max_changes_returned=self.page_size,
                    sync_scope=None,
                )
            )

        changes = self.call("SyncFolderItems", one_page)
        listing = _Listing(self, full=not cursor)
        events = listing.pull(changes)
        # exchangelib notes that Exchange may repeat a state without IncludesLastItemInRange.
        last = service.includes_last_item_in_range or service.sync_state == state
        return ChangeSet(
            events=events,
            next_cursor=service.sync_state if last else "",
            next_page="" if last else service.sync_state,
            full_resync=not cursor,
            unreadable=listing.unreadable,
            unknown_timezones=listing.unknown_timezones,
        )

    def fetch_items(self, ids: Sequence[tuple[str, str | None]]) -> list:
        """``GetItem`` of ``ids`` (all properties and the Odoo id), in batches; an item that
        failed is its exception, in place."""
        found: list = []
        for start in range(0, len(ids), self.batch_size):
            chunk = list(ids[start : start + self.batch_size])
            found += self.call("GetItem", lambda c=chunk: list(self.account.fetch(ids=c)))
        return found

    def event_of(self, item: CalendarItem, master_id: str = "") -> SyncEvent:
        """The neutral event of an item read with ``GetItem``; a master carries its exdates."""
        event = from_ews(
            item, timezone_hint=self.timezone_hint, master_id=master_id, owner=self.mailbox
        )
        if event.recurrence is None or not item.deleted_occurrences:
            return event
        exdates = tuple(_slot(occurrence.start, event) for occurrence in item.deleted_occurrences)
        return event.replace(recurrence=Recurrence(event.recurrence.rrule, exdates=exdates))

    def fetch(self, remote_id: str) -> SyncEvent | None:
        """The live item (a series with its exdates, an occurrence naming its series)."""
        [item] = self.fetch_items([(remote_id, None)])
        if isinstance(item, ErrorItemNotFound):
            return None
        if isinstance(item, Exception):
            raise self.call("GetItem", lambda: _reraise(item))
        master_id = ""
        if item.type in ("Occurrence", "Exception"):
            master = item.recurring_master()
            self.call("GetItem", master.refresh)
            master_id = master.id
        return self.event_of(item, master_id)

    def find_by_odoo_id(self, odoo_id: int) -> SyncEvent | None:
        """The item carrying our Odoo id (a create whose answer was lost), if any."""
        query = self.calendar.filter(**{ODOO_ID_FIELD: str(odoo_id)}).only("id", "changekey")
        found = self.call("FindItem", lambda: list(query))
        items = self.fetch_items([(item.id, item.changekey) for item in found])
        events = [self.event_of(item) for item in items if not isinstance(item, Exception)]
        return next((event for event in events if event.odoo_id == odoo_id), None)

    # ----------------------------------------------------------------- occurrences

    def instance_id(  # pylint: disable=unused-argument
        self, master_remote_id: str, original_start, all_day: bool
    ) -> str | None:
        """The item id of the occurrence of a series due at ``original_start``: a modified
        occurrence's own id, else the occurrence at its index in the pattern (EWS addresses
        occurrences by ``RecurringMasterId`` + 1-based ``InstanceIndex``). ``all_day`` is the
        series' own flag, read from the master here."""
        [master] = self.fetch_items([(master_remote_id, None)])
        if isinstance(master, Exception) or master.type != "RecurringMaster":
            return None
        series = self.event_of(master)
        for modified in master.modified_occurrences or ():
            if _slot(modified.original_start, series) == original_start:
                return modified.id
        if original_start in (series.recurrence.exdates if series.recurrence else ()):
            return None
        index = _instance_index(series, original_start)
        if index is None:
            return None
        occurrence = master.occurrence(index)
        try:
            self.call.raw(occurrence.refresh)
        except (ErrorItemNotFound, ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange):
            return None
        return occurrence.id

    def occurrence_id(
        self, master_id: str, series: SyncEvent, original_start
    ) -> OccurrenceItemId | None:
        """The ``OccurrenceItemId`` of the series' occurrence due at ``original_start``."""
        index = _instance_index(series, original_start)
        if index is None:
            return None
        return OccurrenceItemId(id=master_id, changekey=None, instance_index=index)

    # ----------------------------------------------------------------- push

    def apply(self, ops: Sequence[PushOp]) -> list[PushResult]:
        """Bulk creates, updates and deletes; one result per op, in order (``ews_push``)."""
        return ExchangePush(self).run(ops)

    def normalized(self, event: SyncEvent) -> SyncEvent:
        return ews_normalized(event)


def _reraise(exc: Exception):
    raise exc


def _slot(value: dt.datetime, event: SyncEvent):
    """An occurrence's start as the neutral model keeps slots: UTC, or the local date of an
    all-day series."""
    if event.all_day:
        return _utc(value).astimezone(ZoneInfo(event.timezone)).date()
    return _utc(value)


def _instance_index(series: SyncEvent, original_start) -> int | None:
    """The 1-based position of ``original_start`` in the series' pattern (deleted slots count)."""
    bound = original_start + dt.timedelta(days=1)
    slots = expand(series.recurrence.rrule, series.start, series.timezone, window_end=bound)
    return slots.index(original_start) + 1 if original_start in slots else None


class _Listing:
    """Turns one ``SyncFolderItems`` page into neutral events."""

    def __init__(self, client: ExchangeCalendarClient, full: bool):
        self.client = client
        self.full = full
        self.unreadable: list[str] = []
        self.unknown_timezones: dict[str, str] = {}

    def pull(self, changes: list) -> list[SyncEvent]:
        removed = [item.id for kind, item in changes if kind == "delete"]
        changed = {
            item.id: item.changekey for kind, item in changes if kind in ("create", "update")
        }
        items = self.client.fetch_items(list(changed.items()))
        events: list[SyncEvent] = [self._removed(rid) for rid in removed]
        masters = []
        for rid, item in zip(changed, items, strict=True):
            if isinstance(item, ErrorItemNotFound):
                events.append(self._removed(rid))  # deleted since the page was listed
            elif isinstance(item, Exception):
                self.unreadable.append(f"Exchange item {rid}: {item}")
            elif self._in_window(item):
                event = self._event(item)
                events += [event] if event else []
                masters += [item] if event and item.modified_occurrences else []
        return events + self._exceptions(masters)

    def _exceptions(self, masters: list[CalendarItem]) -> list[SyncEvent]:
        """The modified occurrences of the page's series, read with one ``GetItem``."""
        owners = [(m.id, o.id, o.changekey) for m in masters for o in m.modified_occurrences]
        items = self.client.fetch_items([(rid, key) for _, rid, key in owners])
        events = []
        for (master_id, rid, _), item in zip(owners, items, strict=True):
            if isinstance(item, Exception):
                self.unreadable.append(f"Exchange exception {rid} of {master_id}: {item}")
            else:
                events += [self._event(item, master_id)]
        return [event for event in events if event]

    def _removed(self, rid: str) -> SyncEvent:
        return SyncEvent(remote_id=rid, cancelled=True, timezone=self.client.timezone_hint or "UTC")

    def _in_window(self, item: CalendarItem) -> bool:
        start = self.client.window_start
        if not self.full or start is None:
            return True
        last = item.last_occurrence if item.type == "RecurringMaster" else item
        end = getattr(last, "end", None)
        if end is None:
            return True  # a series without end, or an unreadable one: keep it
        if isinstance(end, dt.datetime):
            return _utc(end) >= start
        return end >= start.date()

    def _event(self, item: CalendarItem, master_id: str = "") -> SyncEvent | None:
        if unknown_timezone(item):
            self.unknown_timezones[item.id] = "a Windows time zone CLDR does not know"
        try:
            return self.client.event_of(item, master_id)
        except MalformedEvent as exc:
            self.unreadable.append(str(exc))
            return None
