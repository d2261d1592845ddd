"""The EWS push: bulk ``CreateItem`` / ``UpdateItem`` / ``DeleteItem``, one result per op.

- Batches: at most ``batch_size`` (100) items per call, one call per kind and meeting-message
  mode; Exchange answers one ResponseMessage per item, in order, so one refused item fails
  alone. exchangelib raises some item errors (``ews_errors.ITEM_ERRORS``) out of the whole
  call instead of returning them as the item's answer; the calls are made through its services
  told to return those too, so one poison item never fails the rest (retrying the call item by item
  would send the others again although Exchange applied them: created twice, or refused for
  their moved change key). A denied item is refused alone.
- Meeting messages: ``PushOp.send_updates == "none"`` (a first or reset sync, or the
  connection's choice) sends ``SendToNone``: EWS can create a meeting with guests without
  e-mailing them. Otherwise ``SendToAllAndSaveCopy`` (EWS has no "external guests only").
- Conflicts: updates carry the change key Odoo last saw with ``ConflictResolution=
  NeverOverwrite``; ``ErrorIrresolvableConflict`` (the item changed in Outlook meanwhile) is a
  conflict result, which the engine answers by fetching the item and merging by policy.
- Replies: the user's answer to an invitation someone else organizes is an ``AcceptItem`` /
  ``TentativelyAcceptItem`` / ``DeclineItem`` made with ``CreateItem`` on the user's calendar
  item (``ReferenceItemId``), ``MessageDisposition=SendAndSaveCopy`` so the organizer gets it
  (https://learn.microsoft.com/en-us/exchange/client-developer/exchange-web-services/how-to-respond-to-meeting-requests-by-using-ews-in-exchange,
  https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/createitem-operation-meeting-request).
  One call per reply: Exchange may answer a response object with several item ids, which
  exchangelib does not tell apart from the next reply's (its issue #886). The result is the
  item read back (gone when declined: Exchange removes a declined meeting).
- Lost answers: a create whose call got no answer may have been applied; its items are looked
  up by the Odoo id they carry before anything is sent again.
- The new item's ``UID`` (iCalUID, which shared meetings are matched by) is not in
  ``CreateItem``'s answer: one ``GetItem`` of the created ids per batch reads it.
- Excluded dates: an EWS ``Recurrence`` holds no exdates, and writing it again on a master
  drops the series' exceptions. A master update leaves its pattern and times out when they did
  not change (the masters are read first, one ``GetItem``), and each slot its exdates gained
  since is a ``DeleteItem`` of that occurrence, addressed by ``OccurrenceItemId``
  (``RecurringMasterId`` + 1-based ``InstanceIndex``; deleting one occurrence is the
  ``DeleteItem`` of a series, given the occurrence's id:
  https://learn.microsoft.com/en-us/exchange/client-developer/exchange-web-services/how-to-delete-appointments-in-a-recurring-series-by-using-ews-in-exchange,
  https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/occurrenceitemid);
  Exchange then lists the slot in the master's ``DeletedOccurrences``. A series created with
  exdates has its occurrences deleted the same way. The master's change key moves with each
  deletion: it is read back (one ``GetItem``) so our own push is not pulled as a change.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

import requests
from exchangelib import CalendarItem
from exchangelib.errors import (
    ErrorAccessDenied,
    ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange,
    ErrorCalendarOccurrenceIsDeletedFromRecurrence,
    ErrorIrresolvableConflict,
    ErrorItemNotFound,
    EWSError,
)
from exchangelib.items import (
    ALL_OCCURRENCES,
    HARD_DELETE,
    NEVER_OVERWRITE,
    SAVE_ONLY,
    SEND_AND_SAVE_COPY,
    SEND_TO_ALL_AND_SAVE_COPY,
    SEND_TO_NONE,
    AcceptItem,
    DeclineItem,
    TentativelyAcceptItem,
)
from exchangelib.properties import OccurrenceItemId, ReferenceItemId
from exchangelib.recurrence import Recurrence as EwsRecurrence

from calendar_sync_base.services.errors import (
    AuthExpired,
    ConfigurationError,
    RemoteRejected,
    SyncError,
)
from calendar_sync_base.services.model import Response, SyncEvent
from calendar_sync_base.services.protocol import OpKind, PushOp, PushResult

from .ews_errors import (
    BULK_CREATE,
    BULK_DELETE,
    BULK_UPDATE,
    answers_the_item,
    error_for,
    is_unknown_outcome,
)
from .ews_mapper import item_values

if TYPE_CHECKING:
    from .ews_client import ExchangeCalendarClient

# The synced fields that rewrite a master's times and pattern, and the item fields they set.
SERIES_FIELDS = frozenset(("start", "stop", "all_day", "timezone", "recurrence"))
SERIES_ITEM_FIELDS = ("start", "end", "is_all_day", "recurrence")
REPLY_ITEMS = {
    Response.ACCEPTED: AcceptItem,
    Response.TENTATIVE: TentativelyAcceptItem,
    Response.DECLINED: DeclineItem,
}
# An occurrence a DeleteItem could not find is gone already: what the exdate asks for.
OCCURRENCE_GONE = (
    ErrorItemNotFound,
    ErrorCalendarOccurrenceIsDeletedFromRecurrence,
    ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange,
)


def send_mode(op: PushOp) -> str:
    return SEND_TO_NONE if op.send_updates == "none" else SEND_TO_ALL_AND_SAVE_COPY


class _StopPush(Exception):
    """The grant or the settings are wrong: no further call can succeed in this push."""

    def __init__(self, error: SyncError):
        super().__init__(str(error))
        self.error = error


class ExchangePush:
    def __init__(self, client: ExchangeCalendarClient):
        self.client = client
        self.account = client.account

    def run(self, ops: Sequence[PushOp]) -> list[PushResult]:
        self.ops = ops
        self.results: list[PushResult | None] = [None] * len(ops)
        groups: dict[tuple[OpKind, str], list[int]] = defaultdict(list)
        for index, op in enumerate(ops):
            groups[(op.kind, send_mode(op))].append(index)
        senders = {
            OpKind.CREATE: self._create,
            OpKind.UPDATE: self._update,
            OpKind.DELETE: self._delete,
            OpKind.REPLY: self._reply,
        }
        try:
            self.masters = self._current_masters()
            for (kind, mode), indices in groups.items():
                for start in range(0, len(indices), self.client.batch_size):
                    senders[kind](indices[start : start + self.client.batch_size], mode)
            self._delete_excluded_occurrences()
        except _StopPush as stop:
            self._fail_rest(stop.error)
        return self.results

    # ----------------------------------------------------------------- plumbing

    def _fail_rest(self, error: SyncError) -> None:
        for index, result in enumerate(self.results):
            if result is None:
                self.results[index] = PushResult(self.ops[index].key, error=error, retryable=True)

    def _send(self, what: str, indices: list[int], call):
        """The per-item answers of one bulk call, or None when the call itself failed (its ops
        then have their result: retryable, since nothing says they were refused)."""
        try:
            return self.client.call.raw(call)
        except (EWSError, requests.RequestException, ConnectionError) as exc:
            if len(indices) == 1 and answers_the_item(exc):
                return [exc]  # exchangelib raises the only item's error instead of returning it
            error = error_for(exc, what, self.client.mailbox)
            if isinstance(error, (AuthExpired, ConfigurationError)):
                raise _StopPush(error) from exc
            if what == "CreateItem" and is_unknown_outcome(exc):
                indices = self._adopt_lost_creates(indices)
            for index in indices:
                self.results[index] = PushResult(self.ops[index].key, error=error, retryable=True)
            return None

    def _bulk(self, service, items: list, **options) -> list:
        """One call of ``service`` (``BULK_*``) for ``items``: an answer per item, in order."""
        call = service(account=self.account, chunk_size=len(items))
        return list(call.call(items=items, **options))

    def _item_failure(self, index: int, answer: Exception, what: str) -> PushResult:
        op = self.ops[index]
        if isinstance(answer, ErrorIrresolvableConflict):
            return PushResult(op.key, conflict=True)
        if isinstance(answer, ErrorAccessDenied):  # this item's, the mailbox is open
            message = f"Exchange denied {what} of this event in {self.client.mailbox}: {answer}"
            return PushResult(op.key, error=RemoteRejected(message, "ErrorAccessDenied"))
        error = error_for(answer, what, self.client.mailbox)
        return PushResult(op.key, error=error, retryable=not isinstance(error, RemoteRejected))

    def _values(self, index: int, for_update: bool):
        """The item's fields, or None with the op's result set when EWS cannot hold it."""
        op = self.ops[index]
        try:
            return item_values(op.event, op.fields, for_update=for_update)
        except ValueError as exc:  # MalformedEvent, Unexpressible
            error = (
                exc if isinstance(exc, RemoteRejected) else RemoteRejected(str(exc), "malformed")
            )
            self.results[index] = PushResult(op.key, error=error)
            return None

    # ----------------------------------------------------------------- creates

    def _create(self, indices: list[int], mode: str) -> None:
        items, sent = [], []
        for index in indices:
            values = self._values(index, for_update=False)
            if values is not None:
                items.append(
                    CalendarItem(account=self.account, folder=self.client.calendar, **values[0])
                )
                sent.append(index)
        if not items:
            return

        def create():
            return self._bulk(
                BULK_CREATE,
                items,
                folder=self.client.calendar,
                message_disposition=SAVE_ONLY,
                send_meeting_invitations=mode,
            )

        answers = self._send("CreateItem", sent, create)
        if answers is None:
            return
        created = {}
        for index, answer in zip(sent, answers, strict=True):
            if isinstance(answer, Exception):
                self.results[index] = self._item_failure(index, answer, "CreateItem")
            else:
                created[index] = answer
        self._store_created(created)

    def _store_created(self, created: dict) -> None:
        """Results of the created items, with the UID Exchange gave them."""
        ids = [(answer.id, answer.changekey) for answer in created.values()]
        try:
            uids = self.client.call(
                "GetItem", lambda: list(self.account.fetch(ids=ids, only_fields=["uid"]))
            )
        except SyncError:
            uids = [None] * len(ids)  # created all the same: the next pull brings the UID
        for (index, answer), read in zip(created.items(), uids, strict=True):
            uid = "" if read is None or isinstance(read, Exception) else read.uid or ""
            event = self.ops[index].event.replace(
                remote_id=answer.id, etag=answer.changekey, ical_uid=uid
            )
            self.results[index] = PushResult(self.ops[index].key, event=event)

    def _adopt_lost_creates(self, indices: list[int]) -> list[int]:
        """The creates of a call left without answer that did not reach Exchange; those that
        did (found by their Odoo id) get their result now."""
        left = []
        for index in indices:
            op = self.ops[index]
            found = None
            if op.event.odoo_id is not None:
                try:
                    found = self.client.find_by_odoo_id(op.event.odoo_id)
                except SyncError:
                    found = None  # Exchange is still unwell: the create stays queued
            if found is None:
                left.append(index)
            else:
                self.results[index] = PushResult(op.key, event=found)
        return left

    # ----------------------------------------------------------------- updates, deletes

    def _update(self, indices: list[int], mode: str) -> None:
        pairs, sent = [], []
        for index in indices:
            op = self.ops[index]
            prepared = self._values(index, for_update=True)
            if prepared is None:
                continue
            values, names = prepared
            if index in self.masters and _same_series(values, self.masters[index]):
                names = [name for name in names if name not in SERIES_ITEM_FIELDS]
            if not names:
                self.results[index] = PushResult(op.key, event=op.event)
                continue
            item = CalendarItem(
                account=self.account,
                folder=self.client.calendar,
                id=op.event.remote_id,
                changekey=op.event.etag or None,
                **values,
            )
            pairs.append((item, names))
            sent.append(index)
        if not pairs:
            return

        def update():
            return self._bulk(
                BULK_UPDATE,
                pairs,
                conflict_resolution=NEVER_OVERWRITE,
                message_disposition=SAVE_ONLY,
                send_meeting_invitations_or_cancellations=mode,
                suppress_read_receipts=True,
            )

        answers = self._send("UpdateItem", sent, update)
        if answers is None:
            return
        for index, answer in zip(sent, answers, strict=True):
            if isinstance(answer, Exception):
                self.results[index] = self._item_failure(index, answer, "UpdateItem")
            else:
                event = self.ops[index].event.replace(etag=answer[1])
                self.results[index] = PushResult(self.ops[index].key, event=event)

    def _delete_call(self, ids: list, mode: str) -> list:
        return self._bulk(
            BULK_DELETE,
            ids,
            delete_type=HARD_DELETE,
            send_meeting_cancellations=mode,
            affected_task_occurrences=ALL_OCCURRENCES,
            suppress_read_receipts=True,
        )

    def _delete(self, indices: list[int], mode: str) -> None:
        ids = [(self.ops[index].event.remote_id, None) for index in indices]

        def delete():
            return self._delete_call(ids, mode)

        answers = self._send("DeleteItem", indices, delete)
        if answers is None:
            return
        for index, answer in zip(indices, answers, strict=True):
            op = self.ops[index]
            if answer is True or isinstance(answer, ErrorItemNotFound):
                self.results[index] = PushResult(op.key)  # gone already: the goal is reached
            else:
                self.results[index] = self._item_failure(index, answer, "DeleteItem")

    # ----------------------------------------------------------------- replies

    def _reply(self, indices: list[int], _mode: str) -> None:
        replied = []
        for index in indices:
            op = self.ops[index]
            answers = {attendee.response for attendee in op.event.attendees}
            kind = next((REPLY_ITEMS[r] for r in answers if r in REPLY_ITEMS), None)
            if kind is None:
                self.results[index] = PushResult(op.key, event=op.event)  # "no answer" stays
                continue
            reply = kind(
                account=self.account,
                reference_item_id=ReferenceItemId(id=op.event.remote_id, changekey=None),
            )
            answer = self._send("CreateItem", [index], lambda r=reply: [r.send(SEND_AND_SAVE_COPY)])
            if answer is not None and isinstance(answer[0], Exception):
                self.results[index] = self._item_failure(index, answer[0], "CreateItem")
            elif answer is not None:
                replied.append(index)
        self._read_back(replied)

    def _read_back(self, indices: list[int]) -> None:
        """Results of replies: the item as Exchange holds it after the answer."""
        if not indices:
            return
        ids = [(self.ops[index].event.remote_id, None) for index in indices]
        try:
            items = self.client.fetch_items(ids)
        except SyncError:
            items = [None] * len(ids)  # answered all the same: the next pull reads the item
        for index, item in zip(indices, items, strict=True):
            op = self.ops[index]
            event = op.event
            if item is not None and not isinstance(item, Exception):
                event = self.client.event_of(item)
            self.results[index] = PushResult(op.key, event=event)

    # ----------------------------------------------------------------- series' exdates

    def _current_masters(self) -> dict[int, CalendarItem]:
        """The series masters whose times or pattern an update may rewrite, as Exchange has
        them now (one ``GetItem``), by op index."""
        indices = [
            index
            for index, op in enumerate(self.ops)
            if op.kind == OpKind.UPDATE
            and _is_series(op.event)
            and op.event.remote_id
            and (op.fields is None or SERIES_FIELDS.intersection(op.fields))
        ]
        if not indices:
            return {}
        try:
            items = self.client.fetch_items([(self.ops[i].event.remote_id, None) for i in indices])
        except SyncError:
            return {}  # the updates themselves will say what is wrong
        return {
            index: item
            for index, item in zip(indices, items, strict=True)
            if not isinstance(item, Exception) and item.type == "RecurringMaster"
        }

    def _excluded_before(self, index: int) -> set | None:
        """The slots Exchange had deleted from the op's series before this push (None:
        unknown, nothing is deleted)."""
        if self.ops[index].kind == OpKind.CREATE:
            return set()
        master = self.masters.get(index)
        if master is None:
            return None
        try:
            recurrence = self.client.event_of(master).recurrence
        except ValueError:  # MalformedEvent: the series cannot be read, leave it alone
            return None
        return set(recurrence.exdates) if recurrence else None

    def _delete_excluded_occurrences(self) -> None:
        """A ``DeleteItem`` of each occurrence whose slot a pushed series' exdates gained,
        then the masters' new change keys."""
        targets: dict[str, list[tuple[int, OccurrenceItemId]]] = defaultdict(list)
        for index, op in enumerate(self.ops):
            result = self.results[index]
            if not (_is_series(op.event) and result and result.ok and result.event):
                continue
            before = self._excluded_before(index)
            if before is None:
                continue
            master_id = result.event.remote_id
            for slot in sorted(set(op.event.recurrence.exdates) - before):
                occurrence = self.client.occurrence_id(master_id, op.event, slot)
                if occurrence is not None:
                    targets[send_mode(op)].append((index, occurrence))
        for mode, occurrences in targets.items():
            for start in range(0, len(occurrences), self.client.batch_size):
                self._delete_occurrences(occurrences[start : start + self.client.batch_size], mode)
        self._read_back_change_keys({index for group in targets.values() for index, _ in group})

    def _delete_occurrences(self, occurrences: list[tuple[int, OccurrenceItemId]], mode) -> None:
        indices = [index for index, _ in occurrences]

        def delete():
            return self._delete_call([occurrence for _, occurrence in occurrences], mode)

        answers = self._send("DeleteItem", indices, delete)
        for index, answer in zip(indices, answers or (), strict=True):
            if answer is not True and not isinstance(answer, OCCURRENCE_GONE):
                self.results[index] = self._item_failure(index, answer, "DeleteItem")

    def _read_back_change_keys(self, indices: set[int]) -> None:
        """The change keys of series whose occurrences were deleted (each deletion moved it)."""
        indices = sorted(i for i in indices if self.results[i].ok)
        if not indices:
            return
        ids = [(self.results[i].event.remote_id, None) for i in indices]
        try:
            items = self.client.call(
                "GetItem", lambda: list(self.account.fetch(ids=ids, only_fields=["subject"]))
            )
        except SyncError:
            return  # the next pull reads the series again, as an unchanged one
        for index, item in zip(indices, items, strict=True):
            if not isinstance(item, Exception):
                event = self.results[index].event.replace(etag=item.changekey)
                self.results[index] = PushResult(self.ops[index].key, event=event)


def _is_series(event: SyncEvent) -> bool:
    return event.recurrence is not None and not event.is_occurrence


def _same_series(values: dict, master: CalendarItem) -> bool:
    """The update sets the master's times and pattern to what Exchange has already."""
    held = {name: getattr(master, name) for name in SERIES_ITEM_FIELDS}
    wanted = {**held, **{name: values[name] for name in SERIES_ITEM_FIELDS if name in values}}
    recurrence = (wanted.pop("recurrence"), held.pop("recurrence"))
    return wanted == held and _pattern_key(recurrence[0]) == _pattern_key(recurrence[1])


def _pattern_key(recurrence: EwsRecurrence | None) -> tuple:
    """A recurrence as compared: Exchange answers a range's start date as a datetime."""
    if recurrence is None:
        return ()
    boundary = recurrence.boundary
    values = [getattr(boundary, field.name) for field in boundary.FIELDS]
    days = [v.date() if isinstance(v, dt.datetime) else v for v in values]
    return (recurrence.pattern, type(boundary), *days)
