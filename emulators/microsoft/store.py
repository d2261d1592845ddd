"""Mailboxes and their events: series masters, occurrences, exceptions, ids and change keys.

An occurrence is never stored: it is computed from its master's recurrence. Changing one makes
an exception (``Override``: the changed members only); deleting one adds its key to
``cancelled``. Occurrence ids embed the master's id and the occurrence's original start, as
Exchange's do, so they are stable and decodable.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from . import errors, events, recurrence, timezones

ID_PREFIX = b"\x00\x03\x24\x00"  # base64 "AAMkA...": what Exchange ids look like
MASTER_RAW_SIZE = 32
OCCURRENCE_MARK = b"\x07"
ICAL_PREFIX = "040000008200E00074C5B7101A82E008"
UTC = dt.timezone.utc


# -- ids and keys ----------------------------------------------------------------------------


def new_raw_id() -> bytes:
    return ID_PREFIX + secrets.token_bytes(MASTER_RAW_SIZE - len(ID_PREFIX))


def encode_id(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def occurrence_id(master_raw: bytes, key: dt.datetime) -> str:
    stamp = int(key.timestamp()).to_bytes(8, "big", signed=True)
    return encode_id(master_raw + OCCURRENCE_MARK + stamp)


def decode_id(event_id: str) -> tuple[str, dt.datetime | None]:
    """(master id, occurrence key or None); raises ErrorInvalidIdMalformed."""
    text = unquote(event_id).strip().replace("+", "-").replace("/", "_")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise errors.malformed_id() from None
    if not raw.startswith(ID_PREFIX) or len(raw) not in (MASTER_RAW_SIZE, MASTER_RAW_SIZE + 9):
        raise errors.malformed_id()
    master_id = encode_id(raw[:MASTER_RAW_SIZE])
    if len(raw) == MASTER_RAW_SIZE:
        return master_id, None
    if raw[MASTER_RAW_SIZE : MASTER_RAW_SIZE + 1] != OCCURRENCE_MARK:
        raise errors.malformed_id()
    stamp = int.from_bytes(raw[MASTER_RAW_SIZE + 1 :], "big", signed=True)
    return master_id, dt.datetime.fromtimestamp(stamp, UTC)


def new_change_key() -> str:
    return base64.b64encode(secrets.token_bytes(22)).decode("ascii")


def derived_key(*parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).digest()[:22]
    return base64.b64encode(digest).decode("ascii")


# -- data ------------------------------------------------------------------------------------


@dataclass
class Override:
    """An exception: what differs from the series for one occurrence."""

    props: dict[str, Any]
    change_key: str
    created: dt.datetime
    modified: dt.datetime
    extended: dict[str, dict[str, Any]] = field(default_factory=dict)
    response_status: dict[str, str] | None = None


@dataclass
class StoredEvent:
    """A single event or a series master, as stored in a mailbox."""

    id: str
    raw: bytes
    props: dict[str, Any]
    organizer: dict[str, str]
    is_organizer: bool
    response_status: dict[str, str]
    created: dt.datetime
    modified: dt.datetime
    change_key: str
    seq: int  # last change anywhere in the series (delta looks at it)
    uid: str  # 32 hex digits, the iCalUId's global object id
    join_url: str | None = None
    is_cancelled: bool = False
    extended: dict[str, dict[str, Any]] = field(default_factory=dict)  # lower id -> {id, value}
    exceptions: dict[dt.datetime, Override] = field(default_factory=dict)
    cancelled: set[dt.datetime] = field(default_factory=set)
    deleted: bool = False

    @property
    def is_series(self) -> bool:
        return bool(self.props.get("recurrence"))


@dataclass
class Instance:
    """What a client sees: a single event, a series master, an occurrence or an exception."""

    event: StoredEvent
    key: dt.datetime | None  # occurrence key (original start, UTC); None: the stored event
    props: dict[str, Any]
    start: dt.datetime  # aware UTC
    end: dt.datetime
    override: Override | None = None

    @property
    def kind(self) -> str:
        if self.key is not None:
            return "exception" if self.override is not None else "occurrence"
        return "seriesMaster" if self.event.is_series else "singleInstance"

    @property
    def id(self) -> str:
        if self.key is None:
            return self.event.id
        return occurrence_id(self.event.raw, self.key)

    @property
    def change_key(self) -> str:
        if self.key is None:
            return self.event.change_key
        if self.override is not None:
            return derived_key(self.event.change_key, self.override.change_key)
        return derived_key(self.event.change_key, self.key.isoformat())

    @property
    def extended(self) -> dict[str, dict[str, Any]]:
        if self.override is None:
            return self.event.extended
        return {**self.event.extended, **self.override.extended}

    @property
    def response_status(self) -> dict[str, str]:
        if self.override is not None and self.override.response_status is not None:
            return self.override.response_status
        return self.event.response_status


# -- timing ----------------------------------------------------------------------------------


def interval(props: dict[str, Any], mailbox_zone: str) -> tuple[dt.datetime, dt.datetime]:
    """Aware UTC (start, end). All-day events are dates: placed in the mailbox's zone."""
    if props.get("isAllDay"):
        zone = timezones.zone(mailbox_zone)
        start = timezones.parse_local(props["start"]["dateTime"]).replace(tzinfo=zone)
        end = timezones.parse_local(props["end"]["dateTime"]).replace(tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)
    start = timezones.to_utc(props["start"]["dateTime"], props["start"]["timeZone"])
    end = timezones.to_utc(props["end"]["dateTime"], props["end"]["timeZone"])
    return start, end


def occurrence_key(props: dict[str, Any], local_start: dt.datetime, zone_name: str):
    """The key (and originalStart) of an occurrence: its UTC start, or its date at 00:00Z for
    all-day series."""
    if props.get("isAllDay"):
        return dt.datetime.combine(local_start.date(), dt.time(0), UTC)
    return local_start.replace(tzinfo=timezones.zone(zone_name)).astimezone(UTC)


# -- mailbox ---------------------------------------------------------------------------------


class Mailbox:
    """One user's calendar. Methods run under the emulator's lock."""

    def __init__(
        self,
        email: str,
        display_name: str,
        time_zone: str,
        oid: str,
        now: Callable[[], dt.datetime],
        next_seq: Callable[[], int],
        horizon_days: int = 730,
    ):
        self.email = email
        self.display_name = display_name or email.split("@", maxsplit=1)[0]
        self.time_zone = time_zone
        self.oid = oid
        self.now = now
        self.next_seq = next_seq
        self.horizon_days = horizon_days
        self.events: dict[str, StoredEvent] = {}  # id -> event, creation order
        self.calendar_id = encode_id(ID_PREFIX + hashlib.sha256(email.encode()).digest()[:28])
        # Told of every change: (mailbox, event, "created" | "updated" | "deleted").
        self.on_change: Callable[[Mailbox, StoredEvent, str], None] | None = None

    # -- lookups ---------------------------------------------------------------------------

    def stored(self, event_id: str) -> StoredEvent:
        master_id, _key = decode_id(event_id)
        event = self.events.get(master_id)
        if event is None or event.deleted:
            raise errors.not_found()
        return event

    def find(self, event_id: str) -> Instance:
        """The instance an id names (404 when unknown, deleted or a cancelled occurrence)."""
        master_id, key = decode_id(event_id)
        event = self.events.get(master_id)
        if event is None or event.deleted:
            raise errors.not_found()
        if key is None:
            return self.instance(event)
        if not event.is_series or key in event.cancelled:
            raise errors.not_found()
        found = self._occurrence_at(event, key)
        if found is None:
            raise errors.not_found()
        return found

    def instance(self, event: StoredEvent) -> Instance:
        start, end = interval(event.props, self.time_zone)
        return Instance(event, None, event.props, start, end)

    def listed(self) -> list[Instance]:
        """What /me/events lists: single events and series masters."""
        return [self.instance(e) for e in self.events.values() if not e.deleted]

    # -- expansion -------------------------------------------------------------------------

    def _series_zone(self, event: StoredEvent) -> str:
        return event.props["recurrence"]["range"]["recurrenceTimeZone"]

    def _local_start(self, event: StoredEvent) -> dt.datetime:
        """The master's start on the series zone's wall clock."""
        start = event.props["start"]
        local = timezones.parse_local(start["dateTime"])
        if event.props.get("isAllDay"):
            return local
        zone = timezones.zone(self._series_zone(event))
        return (
            timezones.to_utc(start["dateTime"], start["timeZone"])
            .astimezone(zone)
            .replace(tzinfo=None)
        )

    def occurrences(
        self,
        event: StoredEvent,
        window: tuple[dt.datetime, dt.datetime] | None = None,
        include_cancelled: bool = False,
    ) -> Iterator[Instance]:
        """Occurrences and exceptions of a series overlapping ``window`` (default: all, up to
        ``horizon_days`` from now for unbounded series)."""
        zone_name = self._series_zone(event)
        zone = timezones.zone(zone_name)
        limit = window[1] if window else self.now() + dt.timedelta(days=self.horizon_days)
        # One day of margin: all-day occurrences are compared in the mailbox's zone.
        until = (limit + dt.timedelta(days=1)).astimezone(zone).replace(tzinfo=None)
        local_start = self._local_start(event)
        for local in recurrence.occurrence_starts(
            event.props["recurrence"], local_start.time(), until
        ):
            key = occurrence_key(event.props, local, zone_name)
            if key in event.cancelled and not include_cancelled:
                continue
            instance = self._build_occurrence(event, key, local, zone_name)
            if window is None or (instance.start < window[1] and instance.end > window[0]):
                yield instance

    def _occurrence_at(self, event: StoredEvent, key: dt.datetime) -> Instance | None:
        zone_name = self._series_zone(event)
        zone = timezones.zone(zone_name)
        until = (key + dt.timedelta(days=2)).astimezone(zone).replace(tzinfo=None)
        local_start = self._local_start(event)
        for local in recurrence.occurrence_starts(
            event.props["recurrence"], local_start.time(), until
        ):
            if occurrence_key(event.props, local, zone_name) == key:
                return self._build_occurrence(event, key, local, zone_name)
        return None

    def _build_occurrence(self, event, key, local: dt.datetime, zone_name: str) -> Instance:
        master_start, master_end = interval(event.props, self.time_zone)
        props = {k: v for k, v in event.props.items() if k != "recurrence"}
        if event.props.get("isAllDay"):
            days = (master_end - master_start).days or 1
            start_zone = event.props["start"]["timeZone"]
            props["start"] = {"dateTime": timezones.format_local(local), "timeZone": start_zone}
            end_local = local + dt.timedelta(days=days)
            props["end"] = {"dateTime": timezones.format_local(end_local), "timeZone": start_zone}
        else:
            aware = local.replace(tzinfo=timezones.zone(zone_name))
            end_local = (aware + (master_end - master_start)).astimezone(aware.tzinfo)
            props["start"] = {"dateTime": timezones.format_local(aware), "timeZone": zone_name}
            props["end"] = {"dateTime": timezones.format_local(end_local), "timeZone": zone_name}
        override = event.exceptions.get(key)
        if override is not None:
            props.update(override.props)
        start, end = interval(props, self.time_zone)
        return Instance(event, key, props, start, end, override)

    def expanded(self, window: tuple[dt.datetime, dt.datetime]) -> list[Instance]:
        """calendarView: single events, occurrences and exceptions overlapping ``window``."""
        found: list[Instance] = []
        for event in self.events.values():
            found.extend(self.event_instances(event, window))
        found.sort(key=lambda i: (i.start, i.end, i.id))
        return found

    def event_instances(self, event: StoredEvent, window) -> list[Instance]:
        """The instances of one stored event (its occurrences if a series) in ``window``."""
        if event.deleted:
            return []
        if event.is_series:
            return list(self.occurrences(event, window))
        instance = self.instance(event)
        if instance.start < window[1] and instance.end > window[0]:
            return [instance]
        # A zero-length event at the window's start still belongs to it.
        if instance.start == instance.end and window[0] <= instance.start < window[1]:
            return [instance]
        return []

    # -- changes ---------------------------------------------------------------------------

    def touch(self, event: StoredEvent, master_changed: bool = True) -> None:
        event.seq = self.next_seq()
        event.modified = self.now()
        if master_changed:
            event.change_key = new_change_key()
        self._changed(event, "deleted" if event.deleted else "updated")

    def _changed(self, event: StoredEvent, change: str) -> None:
        if self.on_change is not None:
            self.on_change(self, event, change)

    def create(self, body: dict[str, Any], organizer: dict[str, str] | None = None) -> StoredEvent:
        props = events.check_types(events.clean_body(body))
        duplicate = self._same_transaction(props.get("transactionId"))
        if duplicate is not None:
            return duplicate
        extended = props.pop("singleValueExtendedProperties", None) or []
        if "start" not in props or "end" not in props:
            start, end = events.default_times(self.now(), self.time_zone)
            props.setdefault("start", start)
            props.setdefault("end", end)
        events.normalize_recurrence(props)
        events.check_times(props)
        own = organizer is None or organizer["address"].lower() == self.email.lower()
        now = self.now()
        raw = new_raw_id()
        event = StoredEvent(
            id=encode_id(raw),
            raw=raw,
            props=_with_defaults(props),
            organizer={"name": self.display_name, "address": self.email} if own else organizer,
            is_organizer=own,
            response_status={
                "response": "organizer" if own else "notResponded",
                "time": timezones.NO_TIME,
            },
            created=now,
            modified=now,
            change_key=new_change_key(),
            seq=self.next_seq(),
            uid=secrets.token_hex(16).upper(),
        )
        if not own:
            _ensure_attendee(event.props, self.email, self.display_name)
        _apply_extended(event.extended, extended)
        self._online_meeting(event)
        self._align_series_start(event)
        self.events[event.id] = event
        self._changed(event, "created")
        return event

    def update(
        self,
        event_id: str,
        body: dict[str, Any],
        *,
        as_user: bool = False,
        attendee_edit: str = "forbid",
        if_match: str | None = None,
    ) -> Instance:
        instance = self.find(event_id)
        _check_if_match(instance, if_match)
        changes = events.check_types(events.clean_body(body))
        event = instance.event
        if not event.is_organizer and not as_user:
            organizer_side = set(changes) - events.ATTENDEE_SIDE
            if organizer_side and attendee_edit != "allow":
                raise errors.access_denied()
        extended = changes.pop("singleValueExtendedProperties", None)
        if instance.key is None:
            self._update_stored(event, changes, extended)
        else:
            self._update_occurrence(event, instance.key, changes, extended)
        return self.find(instance.id)

    def _update_stored(self, event: StoredEvent, changes, extended) -> None:
        merged = {**event.props, **changes}
        if "recurrence" in changes:
            events.normalize_recurrence(merged)
        events.check_times(merged)
        timing_changed = any(merged.get(k) != event.props.get(k) for k in events.TIME_FIELDS)
        event.props = _with_defaults(merged)
        if extended is not None:
            _apply_extended(event.extended, extended)
        if timing_changed:
            # Outlook drops a series' exceptions when its time or pattern changes.
            event.exceptions.clear()
            event.cancelled.clear()
            self._align_series_start(event)
        self._online_meeting(event)
        self.touch(event)

    def _update_occurrence(self, event: StoredEvent, key, changes, extended) -> None:
        if "recurrence" in changes:
            raise errors.GraphError(
                400,
                "ErrorInvalidRequest",
                "Your request can't be completed. An occurrence cannot have a recurrence.",
            )
        candidate = {**self._occurrence_at(event, key).props, **changes}
        events.check_times(candidate)
        override = self._override(event, key)
        override.props.update(changes)
        if extended is not None:
            _apply_extended(override.extended, extended)
        self._touch_override(event, override)

    def _override(self, event: StoredEvent, key: dt.datetime) -> Override:
        """The exception of ``event`` at ``key`` (created on first change)."""
        override = event.exceptions.get(key)
        if override is None:
            now = self.now()
            override = Override({}, new_change_key(), now, now)
            event.exceptions[key] = override
        return override

    def _touch_override(self, event: StoredEvent, override: Override) -> None:
        override.change_key = new_change_key()
        override.modified = self.now()
        self.touch(event, master_changed=False)

    def delete(self, event_id: str) -> None:
        instance = self.find(event_id)
        event = instance.event
        if instance.key is None:
            event.deleted = True
        else:
            event.cancelled.add(instance.key)
            event.exceptions.pop(instance.key, None)
        # Exchange keeps a series' deleted occurrences on its master, so deleting one changes
        # the master (new changeKey; Graph notifies an update of the master alone:
        # microsoft-graph-docs#5520), and with it every occurrence's derived key.
        self.touch(event)

    def respond(self, event_id: str, response: str) -> None:
        """The user answers an invitation (accepted / tentativelyAccepted / declined)."""
        instance = self.find(event_id)
        event = instance.event
        if event.is_organizer:
            raise errors.GraphError(
                400,
                "ErrorInvalidRequest",
                "Your request can't be completed. You can't respond to a meeting you organized.",
            )
        status = {"response": response, "time": timezones.format_offset(self.now())}
        if instance.key is None:
            event.response_status = status
            _set_attendee_status(event.props, self.email, status)
            self.touch(event)
            return
        override = self._override(event, instance.key)
        override.response_status = status
        override.props["attendees"] = copy.deepcopy(instance.props.get("attendees") or [])
        _set_attendee_status(override.props, self.email, status)
        self._touch_override(event, override)

    def set_attendee_response(self, event_id: str, address: str, response: str) -> Instance:
        """An attendee's answer reached the organizer (Python API)."""
        if response not in events.RESPONSES:
            raise ValueError(f"unknown response {response!r}")
        instance = self.find(event_id)
        event = instance.event
        status = {"response": response, "time": timezones.format_offset(self.now())}
        attendees = _with_status(instance.props, address, status)
        if instance.key is None:
            event.props["attendees"] = attendees
            self.touch(event)
        else:
            override = self._override(event, instance.key)
            override.props["attendees"] = attendees
            self._touch_override(event, override)
        return self.find(instance.id)

    def cancel_meeting(self, event_id: str) -> None:
        """The organizer cancelled: the attendee's copy stays, marked isCancelled."""
        instance = self.find(event_id)
        instance.event.is_cancelled = True
        self.touch(instance.event)

    # -- helpers ---------------------------------------------------------------------------

    def _same_transaction(self, transaction_id: str | None) -> StoredEvent | None:
        """Graph's documented use of ``transactionId``: a retried POST carrying the same id
        returns the event created the first time instead of a duplicate."""
        if not transaction_id:
            return None
        for event in self.events.values():
            if not event.deleted and event.props.get("transactionId") == transaction_id:
                return event
        return None

    def _online_meeting(self, event: StoredEvent) -> None:
        if event.props.get("isOnlineMeeting") and not event.join_url:
            thread = secrets.token_hex(24)
            event.join_url = (
                f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{thread}%40thread.v2/0"
                f"?context=%7b%22Tid%22%3a%22emulator%22%2c%22Oid%22%3a%22{self.oid}%22%7d"
            )
            event.props["onlineMeetingProvider"] = "teamsForBusiness"

    def _align_series_start(self, event: StoredEvent) -> None:
        """Outlook moves a series' start to its first occurrence."""
        if not event.is_series:
            return
        first = next(iter(self._first_occurrences(event)), None)
        if first is None:
            return
        event.props["start"], event.props["end"] = first.props["start"], first.props["end"]
        if not event.props.get("isAllDay"):
            # keep the zone the client used for the master's start/end
            zone_name = event.props["recurrence"]["range"]["recurrenceTimeZone"]
            event.props["start"]["timeZone"] = zone_name
            event.props["end"]["timeZone"] = zone_name

    def _first_occurrences(self, event: StoredEvent) -> Iterator[Instance]:
        saved_exceptions, saved_cancelled = event.exceptions, event.cancelled
        event.exceptions, event.cancelled = {}, set()
        try:
            yield from self.occurrences(event, None)
        finally:
            event.exceptions, event.cancelled = saved_exceptions, saved_cancelled


def _with_defaults(props: dict[str, Any]) -> dict[str, Any]:
    out = dict(props)
    out.setdefault("subject", "")
    out.setdefault("body", {"contentType": "html", "content": ""})
    out.setdefault("isAllDay", False)
    out.setdefault("location", events._location({}))
    if "location" in props and "locations" not in props:
        name = out["location"].get("displayName")
        out["locations"] = [out["location"]] if name else []
    out.setdefault("locations", [])
    out.setdefault("attendees", [])
    out.setdefault("sensitivity", "normal")
    out.setdefault("showAs", "busy")
    out.setdefault("importance", "normal")
    out.setdefault("isReminderOn", True)
    out.setdefault("reminderMinutesBeforeStart", 15)
    out.setdefault("categories", [])
    out.setdefault("isOnlineMeeting", False)
    out.setdefault("onlineMeetingProvider", "unknown")
    out.setdefault("recurrence", None)
    out.setdefault("responseRequested", True)
    out.setdefault("allowNewTimeProposals", True)
    out.setdefault("hideAttendees", False)
    out.setdefault("transactionId", None)
    return out


def _apply_extended(target: dict[str, dict[str, Any]], items: list[dict[str, Any]]) -> None:
    for item in items:
        key = item["id"].lower()
        if item.get("value") is None:
            target.pop(key, None)
        else:
            target[key] = {"id": item["id"], "value": item["value"]}


def _check_if_match(instance: Instance, if_match: str | None) -> None:
    if not if_match or if_match.strip() == "*":
        return
    value = if_match.strip()
    if value.startswith("W/"):
        value = value[2:]
    if value.strip('"') != instance.change_key:
        raise errors.GraphError(
            412,
            "ErrorIrresolvableConflict",
            "The send or update operation could not be performed because the change key passed "
            "in the request does not match the current change key for the item.",
        )


def _ensure_attendee(props: dict[str, Any], email: str, name: str) -> None:
    attendees = props.setdefault("attendees", [])
    if any(a["emailAddress"]["address"].lower() == email.lower() for a in attendees):
        return
    attendees.append(
        {
            "type": "required",
            "status": {"response": "none", "time": timezones.NO_TIME},
            "emailAddress": {"name": name, "address": email},
        }
    )


def _set_attendee_status(props: dict[str, Any], address: str, status: dict) -> bool:
    found = False
    for attendee in props.get("attendees") or []:
        if attendee["emailAddress"]["address"].lower() == address.lower():
            attendee["status"] = dict(status)
            found = True
    return found


def _with_status(props: dict[str, Any], address: str, status: dict) -> list[dict]:
    attendees = copy.deepcopy(props.get("attendees") or [])
    if not _set_attendee_status({"attendees": attendees}, address, status):
        raise KeyError(f"{address} is not an attendee")
    return attendees


def ical_uid(event: StoredEvent, occurrence_date: dt.date | None) -> str:
    """Exchange's Global Object ID in hex: the instance date (zero for the series), creation
    time, reserved bytes, size, then the event's own 16 bytes."""
    date_hex = "00000000"
    if occurrence_date is not None:
        date_hex = f"{occurrence_date.year:04X}{occurrence_date.month:02X}{occurrence_date.day:02X}"
    ticks = int((event.created - dt.datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10**7)
    created_hex = ticks.to_bytes(8, "little").hex().upper()
    return f"{ICAL_PREFIX}{date_hex}{created_hex}{'0' * 16}10000000{event.uid}"
