"""The demo data set: one mailbox and a handful of events around the emulator's "now"."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .store import Mailbox

if TYPE_CHECKING:
    from .server import MicrosoftEmulator

TIME_ZONE = "Romance Standard Time"  # Brussels, Paris, Madrid, Copenhagen


def _at(day: dt.date, hour: int, minute: int = 0) -> dict[str, str]:
    moment = dt.datetime(day.year, day.month, day.day, hour, minute)
    return {"dateTime": moment.isoformat(), "timeZone": TIME_ZONE}


def _person(address: str, name: str, response: str = "none", kind: str = "required") -> dict:
    return {
        "type": kind,
        "status": {"response": response},
        "emailAddress": {"address": address, "name": name},
    }


def seed(emulator: MicrosoftEmulator, email: str = "demo@example.com") -> Mailbox:
    mailbox = emulator.add_account(email, "Demo User", TIME_ZONE)
    if mailbox.events:
        return mailbox
    today = emulator.now().date()
    monday = today - dt.timedelta(days=today.weekday())
    weekly = emulator.insert_event(
        email,
        {
            "subject": "Weekly team meeting",
            "body": {"contentType": "html", "content": "<p>Status round, every Monday.</p>"},
            "location": {"displayName": "Room 101"},
            "start": _at(monday, 10),
            "end": _at(monday, 11),
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
                "range": {
                    "type": "numbered",
                    "startDate": monday.isoformat(),
                    "numberOfOccurrences": 20,
                },
            },
            "attendees": [
                _person("alice@example.org", "Alice", "accepted"),
                _person("bob@example.org", "Bob", "tentativelyAccepted", "optional"),
                _person("room101@example.com", "Room 101", "accepted", "resource"),
            ],
            "reminderMinutesBeforeStart": 15,
        },
    )
    # The third occurrence moved by an hour: an exception.
    third = emulator.instances(email, weekly["id"])[2]
    start = dt.date.fromisoformat(third["start"]["dateTime"][:10])
    emulator.patch_event(email, third["id"], {"start": _at(start, 11), "end": _at(start, 12)})
    emulator.insert_event(
        email,
        {
            "subject": "Lunch with a customer",
            "location": {"displayName": "Brasserie du Parc"},
            "start": _at(today + dt.timedelta(days=1), 12, 30),
            "end": _at(today + dt.timedelta(days=1), 14),
            "isOnlineMeeting": False,
        },
    )
    emulator.insert_event(
        email,
        {
            "subject": "Company offsite",
            "isAllDay": True,
            "showAs": "oof",
            "start": {
                "dateTime": f"{today + dt.timedelta(days=7)}T00:00:00",
                "timeZone": TIME_ZONE,
            },
            "end": {"dateTime": f"{today + dt.timedelta(days=9)}T00:00:00", "timeZone": TIME_ZONE},
        },
    )
    emulator.insert_event(
        email,
        {
            "subject": "Dentist",
            "sensitivity": "private",
            "start": _at(today + dt.timedelta(days=3), 8),
            "end": _at(today + dt.timedelta(days=3), 8, 45),
        },
    )
    emulator.insert_event(
        email,
        {
            "subject": "Project kick-off",
            "body": {"contentType": "html", "content": "<p>Invitation from a partner.</p>"},
            "start": _at(today + dt.timedelta(days=2), 15),
            "end": _at(today + dt.timedelta(days=2), 16),
            "isOnlineMeeting": True,
            "attendees": [_person(email, "Demo User")],
        },
        organizer={"name": "Carol", "address": "carol@partner.example"},
    )
    return mailbox
