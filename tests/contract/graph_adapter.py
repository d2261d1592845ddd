"""The Microsoft Graph connector and the Microsoft emulator behind the contract."""

from __future__ import annotations

import datetime as dt
import re

from calendar_sync_microsoft.services.graph_client import GraphCalendarClient
from calendar_sync_microsoft.services.graph_mapper import ODOO_ID_PROPERTY

from .adapter import EMAIL, NOW, UTC, ZONE, EmulatorAdapter

WINDOWS_ZONE = "Romance Standard Time"


class GraphAdapter(EmulatorAdapter):
    name = "graph"

    def setup(self) -> None:
        self.emulator.reset()
        self.emulator.delta_series_masters = True  # a setting: reset() keeps it
        self.emulator.set_now(NOW)
        self.emulator.add_account(EMAIL, "Alice", time_zone=WINDOWS_ZONE)
        self.tokens = type(self.tokens)(self.emulator, EMAIL)

    def connector(self, **options):
        options.setdefault("window_start", dt.datetime(2029, 11, 1, tzinfo=UTC))
        options.setdefault("window_end", dt.datetime(2031, 1, 1, tzinfo=UTC))
        options.setdefault("timezone_hint", ZONE)
        tokens = options.pop("token_provider", self.tokens)
        return GraphCalendarClient(
            self.session, tokens, graph_base=self.emulator.graph_url, **options
        )

    def insert(self, title, day, *, odoo_id=None, location="", organizer=""):
        body = {
            "subject": title,
            "location": {"displayName": location},
            "start": {"dateTime": f"2030-01-{day:02d}T09:00:00", "timeZone": WINDOWS_ZONE},
            "end": {"dateTime": f"2030-01-{day:02d}T10:00:00", "timeZone": WINDOWS_ZONE},
        }
        if odoo_id is not None:
            body["singleValueExtendedProperties"] = [
                {"id": ODOO_ID_PROPERTY, "value": str(odoo_id)}
            ]
        return self._insert(body, organizer)

    def rename(self, remote_id, title):
        self.emulator.patch_event(EMAIL, remote_id, {"subject": title})

    def read(self, remote_id):
        item = self.emulator.get_event(EMAIL, remote_id)
        if item is None:
            return None
        location = (item.get("location") or {}).get("displayName", "")
        return {"title": item.get("subject", ""), "location": location}

    def count(self):
        return len(self.emulator.events(EMAIL))

    def expire_cursors(self):
        self.emulator.expire_delta_tokens()

    def fail_create_parts(self, status, times):
        return self.emulator.faults.add(status=status, times=times, in_batch=True, method="POST")

    def throttle_part(self, retry_after, nth=1, times=1):
        return self.emulator.faults.mailbox_concurrency(
            times=times, retry_after=retry_after, nth=nth, method="POST"
        )

    def fail_listing_of(self, remote_id):
        # Graph's delta names a deletion with @removed; the client confirms it with a GET.
        return self.emulator.faults.add(
            status=503, times=None, in_batch=True, path_regex=re.escape(remote_id)
        )
