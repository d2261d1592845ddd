"""The Google connector and the Google Calendar emulator behind the contract."""

from __future__ import annotations

import datetime as dt

from calendar_sync_google.services.client import GoogleCalendarClient

from .adapter import EMAIL, NOW, UTC, ZONE, EmulatorAdapter

EVENTS_LIST = r"/calendar/v3/calendars/[^/]+/events$"


class GoogleAdapter(EmulatorAdapter):
    name = "google"

    def setup(self) -> None:
        self.emulator.reset()
        self.emulator.set_now(NOW)
        self.emulator.add_account(EMAIL, time_zone=ZONE)
        self.tokens = type(self.tokens)(self.emulator, EMAIL)

    def connector(self, **options):
        options.setdefault("window_start", dt.datetime(2029, 11, 1, tzinfo=UTC))
        tokens = options.pop("token_provider", self.tokens)
        return GoogleCalendarClient(
            self.session,
            tokens,
            api_base=self.emulator.url + "/calendar/v3",
            batch_url=self.emulator.url + "/batch/calendar/v3",
            **options,
        )

    def insert(self, title, day, *, odoo_id=None, location="", organizer=""):
        body = {
            "summary": title,
            "location": location,
            "start": {"dateTime": f"2030-01-{day:02d}T09:00:00+01:00", "timeZone": ZONE},
            "end": {"dateTime": f"2030-01-{day:02d}T10:00:00+01:00", "timeZone": ZONE},
        }
        if odoo_id is not None:
            body["extendedProperties"] = {"private": {"odoo_id": str(odoo_id)}}
        return self._insert(body, organizer)

    def rename(self, remote_id, title):
        self.emulator.patch_event(EMAIL, remote_id, {"summary": title})

    def read(self, remote_id):
        item = self.emulator.get_event(EMAIL, remote_id)
        if item is None or item.get("status") == "cancelled":
            return None
        return {"title": item.get("summary", ""), "location": item.get("location", "")}

    def count(self):
        return sum(1 for e in self.emulator.events(EMAIL) if e.get("status") != "cancelled")

    def expire_cursors(self):
        self.emulator.expire_sync_tokens()

    def fail_create_parts(self, status, times):
        return self.emulator.faults.backend_error(times=times, status=status, method="POST")

    def throttle_part(self, retry_after, nth=1, times=1):
        return self.emulator.faults.rate_limit(
            times=times, status=429, method="POST", nth=nth, retry_after=retry_after
        )

    def fail_listing_of(self, remote_id):
        # Google names a deletion in the listing itself: the listing's pages fail.
        return self.emulator.faults.backend_error(
            times=None, status=503, method="GET", path_regex=EVENTS_LIST
        )
