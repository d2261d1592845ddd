"""Neutral objects exchanged between Odoo, the engine and the provider connectors.

Conventions (every mapper relies on them):
- Timed events: ``start``/``stop`` are timezone-aware datetimes in UTC; ``timezone`` is the IANA
  zone the event was written in (recurrences expand in it, so DST shifts are right).
- All-day events: ``start``/``stop`` are ``date`` objects and ``stop`` is EXCLUSIVE, as in
  iCalendar, Google and Graph. Odoo's inclusive ``stop_date`` is converted in the Odoo layer.
- Text fields are never ``None``: empty string means "no value", so diffs compare like with like.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

# Odoo 18 still supports Python 3.10, which has no ``datetime.UTC``.
UTC = dt.timezone.utc  # noqa: UP017


class Response(str, enum.Enum):
    NEEDS_ACTION = "needs_action"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"


class Privacy(str, enum.Enum):
    DEFAULT = "default"
    PUBLIC = "public"
    PRIVATE = "private"
    CONFIDENTIAL = "confidential"


class ShowAs(str, enum.Enum):
    BUSY = "busy"
    FREE = "free"


class Direction(str, enum.Enum):
    """Which way an entity flows; the engine drops changes travelling against it."""

    BOTH = "both"
    TO_REMOTE = "to_remote"
    TO_ODOO = "to_odoo"
    OFF = "off"


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str = ""
    response: Response = Response.NEEDS_ACTION
    optional: bool = False
    resource: bool = False
    organizer: bool = False


@dataclass(frozen=True)
class Reminder:
    minutes: int
    method: str = "popup"  # "popup" | "email"


@dataclass(frozen=True)
class Recurrence:
    """An RRULE line (``FREQ=...``, no ``RRULE:`` prefix, no DTSTART) plus exceptions.

    ``exdates`` hold the original starts of removed occurrences: UTC datetimes for timed
    series, dates for all-day series.
    """

    rrule: str
    exdates: tuple = ()


@dataclass(frozen=True)
class SyncEvent:
    title: str = ""
    start: dt.datetime | dt.date | None = None
    stop: dt.datetime | dt.date | None = None
    all_day: bool = False
    timezone: str = "UTC"
    description: str = ""  # HTML
    location: str = ""
    privacy: Privacy = Privacy.DEFAULT
    show_as: ShowAs = ShowAs.BUSY
    organizer_email: str = ""
    attendees: tuple[Attendee, ...] = ()
    reminders: tuple[Reminder, ...] = ()
    video_url: str = ""
    recurrence: Recurrence | None = None
    # Identity and bookkeeping (never diffed).
    remote_id: str = ""
    ical_uid: str = ""
    etag: str = ""
    odoo_id: int | None = None
    master_remote_id: str = ""  # for an occurrence/exception: its series master
    original_start: dt.datetime | dt.date | None = None  # for an occurrence: its slot
    cancelled: bool = False
    last_modified: dt.datetime | None = None

    def replace(self, **changes: Any) -> SyncEvent:
        return dataclasses.replace(self, **changes)

    @property
    def is_occurrence(self) -> bool:
        return bool(self.master_remote_id)


# The fields a sync compares and carries; identity/bookkeeping fields are excluded on purpose.
SYNCED_FIELDS: tuple[str, ...] = (
    "title",
    "start",
    "stop",
    "all_day",
    "timezone",
    "description",
    "location",
    "privacy",
    "show_as",
    "organizer_email",
    "attendees",
    "reminders",
    "video_url",
    "recurrence",
)


def without_nul(value: Any) -> Any:
    """``value`` (text, tuple or neutral object) without NUL characters in any of its text.

    PostgreSQL cannot store NUL in text, and a remote calendar may hold one: stripped on the
    way in, so one odd title never makes a whole sync fail. Unchanged parts are returned as
    they are (the same objects).
    """
    if isinstance(value, enum.Enum):
        return value
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, tuple):
        cleaned = tuple(without_nul(item) for item in value)
        return value if all(a is b for a, b in zip(cleaned, value, strict=True)) else cleaned
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for item in dataclasses.fields(value):
            old = getattr(value, item.name)
            new = without_nul(old)
            if new is not old:
                changes[item.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


@dataclass(frozen=True)
class SyncContact:
    display_name: str = ""
    email: str = ""
    phone: str = ""
    mobile: str = ""
    company: str = ""
    job_title: str = ""
    street: str = ""
    city: str = ""
    zip: str = ""
    country_code: str = ""
    remote_id: str = ""
    etag: str = ""
    odoo_id: int | None = None
    deleted: bool = False


@dataclass
class ChangeSet:
    """What a connector returns from one incremental listing, or from one page of it."""

    events: list[SyncEvent] = field(default_factory=list)
    next_cursor: str = ""  # set on the last page only
    # Where the listing goes on (``list_page``): the provider's page token, a resume point
    # that outlives the process; empty on the last page.
    next_page: str = ""
    full_resync: bool = False  # the old cursor was refused: this set is a complete listing
    # Remote items that could not be read (one message each, naming the item and field);
    # they are reported, and the rest of the listing is applied.
    unreadable: list[str] = field(default_factory=list)
    # False when a follow-up read (a removal to confirm, a series master) failed transiently:
    # what was read is applied, but ``next_cursor`` must not be stored, so the next listing
    # returns those changes again instead of losing them.
    complete: bool = True
    # Remote id -> a time zone name the provider gave and no zone database knows: the event
    # was read in a fallback zone (its ``timezone``), reported so the guess is not silent.
    unknown_timezones: dict[str, str] = field(default_factory=dict)

    def extend(self, page: ChangeSet) -> None:
        """Add the next page of the same listing; an item listed again keeps its first place
        (series before their exceptions) and its last version."""
        events = {event.remote_id: event for event in self.events}
        events.update((event.remote_id, event) for event in page.events)
        self.events = list(events.values())
        self.next_cursor = page.next_cursor
        self.next_page = page.next_page
        self.unreadable += page.unreadable
        self.complete = self.complete and page.complete
        self.unknown_timezones.update(page.unknown_timezones)
