"""The demo data set: one account and a handful of events around the emulator's "now"."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .store import Account

if TYPE_CHECKING:
    from .server import GoogleEmulator

TIME_ZONE = "Europe/Brussels"


def _at(day: dt.date, hour: int, minute: int = 0) -> dict[str, str]:
    moment = dt.datetime(day.year, day.month, day.day, hour, minute)
    return {"dateTime": moment.isoformat(), "timeZone": TIME_ZONE}


def seed(emulator: GoogleEmulator, email: str = "demo@example.com") -> Account:
    account = emulator.add_account(email, "Demo User", TIME_ZONE)
    if account.primary.events:
        return account
    today = emulator.now().date()
    monday = today - dt.timedelta(days=today.weekday())
    bodies = [
        {
            "summary": "Weekly team meeting",
            "description": "Status round, every Monday.",
            "location": "Room 101",
            "start": _at(monday, 10),
            "end": _at(monday, 11),
            "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=20"],
            "attendees": [
                {"email": email, "responseStatus": "accepted"},
                {"email": "alice@example.org", "displayName": "Alice"},
                {"email": "bob@example.org", "displayName": "Bob", "responseStatus": "tentative"},
            ],
            "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 15}]},
        },
        {
            "summary": "Lunch with a customer",
            "location": "Brasserie du Parc",
            "start": _at(today + dt.timedelta(days=1), 12, 30),
            "end": _at(today + dt.timedelta(days=1), 14),
        },
        {
            "summary": "Company offsite",
            "start": {"date": (today + dt.timedelta(days=7)).isoformat()},
            "end": {"date": (today + dt.timedelta(days=9)).isoformat()},
            "transparency": "transparent",
        },
        {
            "summary": "Dentist",
            "visibility": "private",
            "start": _at(today + dt.timedelta(days=3), 8),
            "end": _at(today + dt.timedelta(days=3), 8, 45),
        },
        {
            "summary": "Project kick-off",
            "description": "Invitation from a partner: organised by someone else.",
            "start": _at(today + dt.timedelta(days=2), 15),
            "end": _at(today + dt.timedelta(days=2), 16),
            "attendees": [
                {"email": "carol@partner.example", "organizer": True, "responseStatus": "accepted"},
                {"email": email},
            ],
        },
    ]
    for body in bodies[:-1]:
        emulator.insert_event(email, body)
    emulator.insert_event(email, bodies[-1], organizer="carol@partner.example")
    return account
