"""In-memory accounts, calendars and events, with Google's change semantics.

Every change to an event takes the next value of one emulator-wide counter (``seq``): etags,
sync tokens and page cursors are all derived from it, so they change on every write even when
the emulator clock is frozen.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import events as ev
from .errors import GoogleError, bad_request, not_found
from .recurrence import When, occurrences, parse_when, render_when

BASE32HEX_ALPHABET = "0123456789abcdefghijklmnopqrstuv"
DEFAULT_REMINDERS = [{"method": "popup", "minutes": 10}]


def new_event_id() -> str:
    return "".join(secrets.choice(BASE32HEX_ALPHABET) for _ in range(26))


def rfc3339_millis(value: dt.datetime) -> str:
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass
class StoredEvent:
    resource: dict[str, Any]  # the public resource (kind, etag, id, ...)
    seq: int  # counter value of the last change
    deleted: bool = False  # deleted by the user (a cancelled exception is not "deleted")
    # Fields the client may not see as changed when only these differ (reminders).
    updated_at: dt.datetime | None = None

    @property
    def id(self) -> str:
        return self.resource["id"]

    @property
    def cancelled(self) -> bool:
        return self.deleted or self.resource.get("status") == "cancelled"

    @property
    def is_master(self) -> bool:
        return bool(self.resource.get("recurrence"))

    @property
    def master_id(self) -> str | None:
        return self.resource.get("recurringEventId")

    def start(self) -> When:
        return parse_when(self.resource.get("start") or self.resource.get("originalStartTime"))

    def end(self) -> When:
        return parse_when(self.resource.get("end")) or self.start()


@dataclass
class Calendar:
    id: str
    owner: str
    summary: str
    time_zone: str = "UTC"
    primary: bool = False
    description: str = ""
    default_reminders: list[dict[str, Any]] = field(
        default_factory=lambda: copy.deepcopy(DEFAULT_REMINDERS)
    )
    events: dict[str, StoredEvent] = field(default_factory=dict)
    token_generation: int = 0
    last_seq: int = 0

    def resource(self) -> dict[str, Any]:
        return {
            "kind": "calendar#calendar",
            "etag": f'"{self.last_seq or 1:016d}"',
            "id": self.id,
            "summary": self.summary,
            "description": self.description,
            "timeZone": self.time_zone,
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }

    def list_entry(self) -> dict[str, Any]:
        entry = {
            **self.resource(),
            "kind": "calendar#calendarListEntry",
            "colorId": "14",
            "backgroundColor": "#9fe1e7",
            "foregroundColor": "#000000",
            "selected": True,
            "accessRole": "owner",
            "defaultReminders": copy.deepcopy(self.default_reminders),
            "notificationSettings": {
                "notifications": [
                    {"type": "eventCreation", "method": "email"},
                    {"type": "eventChange", "method": "email"},
                    {"type": "eventCancellation", "method": "email"},
                    {"type": "eventResponse", "method": "email"},
                ]
            },
        }
        if self.primary:
            entry["primary"] = True
        return entry


@dataclass
class Account:
    email: str
    display_name: str = ""
    time_zone: str = "UTC"
    calendars: dict[str, Calendar] = field(default_factory=dict)

    @property
    def primary(self) -> Calendar:
        return self.calendars[self.email]

    def calendar(self, calendar_id: str) -> Calendar:
        """Resolve ``primary`` and owned calendar ids; 404 otherwise."""
        key = self.email if calendar_id == "primary" else calendar_id
        try:
            return self.calendars[key]
        except KeyError:
            raise not_found() from None


class EventStore:
    """Event operations of one calendar (shared by the HTTP API and the Python API)."""

    def __init__(
        self,
        calendar: Calendar,
        now: Callable[[], dt.datetime],
        next_seq: Callable[[], int],
        horizon_days: int = 730,
        max_instances: int = 2500,
        enforce_organizer: bool = True,
    ):
        self.calendar = calendar
        self.now = now
        self.next_seq = next_seq
        self.horizon_days = horizon_days
        self.max_instances = max_instances
        self.enforce_organizer = enforce_organizer

    # -- reading -----------------------------------------------------------------------------

    def stored(self, event_id: str) -> StoredEvent | None:
        return self.calendar.events.get(event_id)

    def find(self, event_id: str) -> StoredEvent:
        """A stored event, or an unmodified instance generated from its master; 404 else."""
        found = self.calendar.events.get(event_id)
        if found is not None:
            return found
        instance = self.generated_instance(event_id)
        if instance is None:
            raise not_found()
        return instance

    def generated_instance(self, instance_id: str) -> StoredEvent | None:
        master_id, sep, suffix = instance_id.rpartition("_")
        master = self.calendar.events.get(master_id) if sep else None
        if master is None or master.deleted or not master.is_master:
            return None
        for when in self.occurrences(master, until=None):
            if when.id_suffix() == suffix:
                return self.make_instance(master, when)
            if when.id_suffix() > suffix and len(when.id_suffix()) == len(suffix):
                return None
        return None

    def occurrences(self, master: StoredEvent, until: dt.datetime | None) -> Iterator[When]:
        horizon = self.now() + dt.timedelta(days=self.horizon_days)
        limit_until = min(until, horizon) if until else horizon
        lines = master.resource.get("recurrence") or []
        yield from occurrences(lines, master.start(), limit_until, self.max_instances)

    def make_instance(self, master: StoredEvent, when: When) -> StoredEvent:
        resource = copy.deepcopy(master.resource)
        resource.pop("recurrence", None)
        resource["id"] = f"{master.id}_{when.id_suffix()}"
        resource["recurringEventId"] = master.id
        resource["originalStartTime"] = render_when(when)
        resource["start"] = render_when(when)
        resource["end"] = render_when(_shift_end(master, when))
        return StoredEvent(resource, master.seq, master.deleted, master.updated_at)

    def exceptions_of(self, master_id: str) -> dict[str, StoredEvent]:
        return {
            event.id: event
            for event in self.calendar.events.values()
            if event.master_id == master_id
        }

    def expand(
        self,
        master: StoredEvent,
        time_min: dt.datetime | None = None,
        time_max: dt.datetime | None = None,
    ) -> list[StoredEvent]:
        """Instances of ``master`` overlapping [time_min, time_max), exceptions applied
        (cancelled ones included: callers filter)."""
        exceptions = self.exceptions_of(master.id)
        result = []
        for when in self.occurrences(master, until=time_max):
            instance_id = f"{master.id}_{when.id_suffix()}"
            instance = exceptions.pop(instance_id, None) or self.make_instance(master, when)
            if overlaps(instance, time_min, time_max):
                result.append(instance)
        result.extend(e for e in exceptions.values() if overlaps(e, time_min, time_max))
        return result

    # -- writing -----------------------------------------------------------------------------

    def _commit(self, resource: dict[str, Any], previous: StoredEvent | None) -> StoredEvent:
        seq = self.next_seq()
        now = self.now()
        resource["kind"] = "calendar#event"
        resource["etag"] = f'"{3_000_000_000_000_000 + seq}"'
        significant = previous is None or _significant_change(previous.resource, resource)
        updated_at = now if significant else (previous.updated_at or now)
        resource["updated"] = rfc3339_millis(updated_at)
        link = ev.hangout_link(resource)
        if link:
            resource["hangoutLink"] = link
        else:
            resource.pop("hangoutLink", None)
        stored = StoredEvent(_ordered(resource), seq, previous.deleted if previous else False)
        stored.updated_at = updated_at
        self.calendar.events[stored.id] = stored
        self.calendar.last_seq = seq
        return stored

    def insert(
        self,
        body: dict[str, Any],
        conference_version: int = 0,
        organizer: dict[str, Any] | None = None,
    ) -> StoredEvent:
        body = ev.require_object(body)
        event_id = ev.validate_id(body["id"]) if body.get("id") is not None else new_event_id()
        if event_id in self.calendar.events:
            raise GoogleError(409, "duplicate", "The requested identifier already exists.")
        organizer = organizer or self._self_organizer()
        resource = ev.validate(body, self.calendar.owner, organizer["email"])
        ev.apply_conference(resource, {}, conference_version)
        resource.pop("originalStartTime", None)
        now = rfc3339_millis(self.now())
        resource.update(
            id=event_id,
            status=resource.get("status", "confirmed"),
            htmlLink=self._html_link(event_id),
            created=now,
            creator=dict(organizer),
            organizer=dict(organizer),
            iCalUID=resource.get("iCalUID") or f"{event_id}@google.com",
            sequence=resource.get("sequence", 0),
            eventType=resource.get("eventType", "default"),
        )
        return self._commit(resource, None)

    def import_event(
        self, body: dict[str, Any], conference_version: int, organizer: dict[str, Any] | None
    ) -> StoredEvent:
        """events.import: Google keeps one event per iCalUID in a calendar, so importing a
        known iCalUID again updates that event instead of adding a second one."""
        existing = next(
            (
                event
                for event in self.calendar.events.values()
                if not event.deleted
                and not event.master_id
                and event.resource.get("iCalUID") == body["iCalUID"]
            ),
            None,
        )
        if existing is None:
            return self.insert(body, conference_version, organizer)
        return self._replace(existing, body, conference_version, imported=True)

    def _self_organizer(self) -> dict[str, Any]:
        return {"email": self.calendar.owner, "self": True}

    def _html_link(self, event_id: str) -> str:
        return f"https://www.google.com/calendar/event?eid={event_id}"

    def patch(self, event_id: str, body: dict[str, Any], conference_version: int = 0):
        current = self._writable_target(event_id)
        merged = ev.merge_patch(ev.writable_part(current.resource), ev.require_object(body))
        return self._replace(current, merged, conference_version)

    def update(self, event_id: str, body: dict[str, Any], conference_version: int = 0):
        current = self._writable_target(event_id)
        body = dict(ev.require_object(body))
        if "reminders" not in body:
            body["reminders"] = {"useDefault": True}
        if current.master_id:
            body.setdefault("originalStartTime", current.resource["originalStartTime"])
        return self._replace(current, body, conference_version)

    def delete(self, event_id: str) -> StoredEvent:
        current = self.find(event_id)
        if current.cancelled:
            raise GoogleError(410, "deleted", "Resource has been deleted")
        self._check_organizer(current, None)
        resource = copy.deepcopy(current.resource)
        resource["status"] = "cancelled"
        stored = self._commit(resource, current)
        if not current.master_id:
            stored.deleted = True
        if current.is_master:
            self._cancel_exceptions(current.id)
        return stored

    def _cancel_exceptions(self, master_id: str) -> None:
        for exception in self.exceptions_of(master_id).values():
            if not exception.deleted:
                resource = copy.deepcopy(exception.resource)
                resource["status"] = "cancelled"
                self._commit(resource, exception).deleted = True

    def _writable_target(self, event_id: str) -> StoredEvent:
        current = self.find(event_id)
        if current.deleted:
            raise GoogleError(410, "deleted", "Resource has been deleted")
        return current

    def _replace(
        self,
        current: StoredEvent,
        body: dict[str, Any],
        conference_version: int,
        imported: bool = False,
    ):
        organizer = current.resource.get("organizer") or self._self_organizer()
        candidate = dict(body)
        if current.master_id:  # an instance keeps its identity
            candidate["originalStartTime"] = current.resource["originalStartTime"]
            candidate.pop("recurrence", None)
        resource = ev.validate(candidate, self.calendar.owner, organizer["email"])
        ev.apply_conference(resource, current.resource, conference_version)
        if not imported:  # an import writes the calendar owner's private copy
            self._check_organizer(current, resource)
        self._check_sequence(current, resource)
        for key in ("id", "htmlLink", "created", "creator", "organizer", "recurringEventId"):
            if key in current.resource:
                resource[key] = copy.deepcopy(current.resource[key])
        resource["iCalUID"] = current.resource["iCalUID"]
        resource.setdefault("status", "confirmed")
        resource.setdefault("eventType", current.resource.get("eventType", "default"))
        return self._commit(resource, current)

    def _check_organizer(self, current: StoredEvent, resource: dict[str, Any] | None) -> None:
        if not self.enforce_organizer or (current.resource.get("organizer") or {}).get(
            "self", True
        ):
            return
        before = ev.writable_part(current.resource)
        if resource is not None:
            after = ev.writable_part(resource)
            for key in ("id", "iCalUID", "eventType", "sequence"):
                after.pop(key, None)
                if key in before:
                    after[key] = before[key]
            if ev.attendee_only_change(before, after, self.calendar.owner):
                return
        raise GoogleError(
            403,
            "forbiddenForNonOrganizer",
            "Shared properties can only be changed by the organizer of the event.",
            domain="calendar",
        )

    def _check_sequence(self, current: StoredEvent, resource: dict[str, Any]) -> None:
        old = current.resource.get("sequence", 0)
        if "sequence" in resource and resource["sequence"] < old:
            raise bad_request(
                "Invalid sequence value. The specified sequence number is below the current "
                "sequence number of the resource."
            )
        bump = any(current.resource.get(f) != resource.get(f) for f in ev.SEQUENCE_FIELDS)
        resource["sequence"] = max(resource.get("sequence", old), old + (1 if bump else 0))


def overlaps(event: StoredEvent, time_min: dt.datetime | None, time_max: dt.datetime | None):
    """timeMin bounds the end (exclusive), timeMax bounds the start (exclusive)."""
    start, end = event.start(), event.end()
    if start is None:
        return True
    if time_max is not None and start.utc() >= time_max:
        return False
    if time_min is None:
        return True
    end_utc = end.utc() if end else start.utc()
    return end_utc > time_min or (end_utc == start.utc() and start.utc() >= time_min)


def _shift_end(master: StoredEvent, when: When) -> When:
    start, end = master.start(), master.end()
    if when.all_day:
        return When(date=when.date + (end.date - start.date), time_zone=end.time_zone)
    moved = when.datetime + (end.datetime - start.datetime)
    return When(datetime=moved, time_zone=end.time_zone)


def _significant_change(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Changing reminders does not change ``updated`` (Calendar API behaviour)."""
    ignore = {"reminders", "etag", "updated", "kind"}
    keys = (set(before) | set(after)) - ignore
    return any(before.get(key) != after.get(key) for key in keys)


_ORDER = (
    "kind",
    "etag",
    "id",
    "status",
    "htmlLink",
    "created",
    "updated",
    "summary",
    "description",
    "location",
    "colorId",
    "creator",
    "organizer",
    "start",
    "end",
    "endTimeUnspecified",
    "recurrence",
    "recurringEventId",
    "originalStartTime",
    "transparency",
    "visibility",
    "iCalUID",
    "sequence",
    "attendees",
    "hangoutLink",
    "conferenceData",
    "extendedProperties",
    "reminders",
    "eventType",
)


def _ordered(resource: dict[str, Any]) -> dict[str, Any]:
    """Google's field order (cosmetic: easier to read logs and demo output)."""
    head = {key: resource[key] for key in _ORDER if key in resource}
    return head | {key: value for key, value in resource.items() if key not in head}
