"""The EWS connector (exchangelib) and the EWS emulator behind the contract.

EWS is SOAP over NTLM / Basic: no bearer token, no batch parts. The contract's notions map
as follows: a bulk call is the "batch" (EWS throttles whole calls with ``ErrorServerBusy`` and
its ``BackOffMilliseconds``, never single items), a dropped connection is the lost answer of a
create, a failing ``SyncFolderItems`` is the listing that cannot read a change.
"""

from __future__ import annotations

import datetime as dt

from exchangelib import CalendarItem, EWSDateTime, EWSTimeZone
from exchangelib.items import SEND_TO_NONE

from calendar_sync_exchange.services.ews_account import build_account
from calendar_sync_exchange.services.ews_client import ExchangeCalendarClient
from calendar_sync_exchange.services.ews_mapper import ODOO_ID_FIELD, register_odoo_id_property
from tests.emulators.ews_support import PASSWORDS, account
from tests.exchange.conftest import settings_for

from .adapter import EMAIL, UTC, ZONE, ProviderAdapter


class EwsAdapter(ProviderAdapter):
    name = "ews"

    def __init__(self, emulator, session):  # pylint: disable=super-init-not-called
        self.emulator = emulator
        self.session = session
        self.tokens = None  # Basic / NTLM credentials, no token provider

    def setup(self) -> None:
        self.emulator.reset()
        self.emulator.add_mailbox(
            "admin@example.com", PASSWORDS["admin@example.com"], can_impersonate=True
        )
        for smtp in (EMAIL, "bob@example.com"):
            self.emulator.add_mailbox(smtp, PASSWORDS[smtp])
        register_odoo_id_property()
        self.mailbox = account(self.emulator)  # the user's Outlook, on the other side

    def teardown(self) -> None:
        self.emulator.reset()

    def connector(self, **options):
        options.pop("token_provider", None)
        options.setdefault("window_start", dt.datetime(2029, 11, 1, tzinfo=UTC))
        client = ExchangeCalendarClient(
            build_account(settings_for(self.emulator, EMAIL)),
            timezone_hint=ZONE,
            sleep=self.session.sleep,
            **options,
        )
        client.call.max_retries = self.session.max_retries
        return client

    # ----------------------------------------------------------------- the remote calendar

    def insert(self, title, day, *, odoo_id=None, location="", organizer=""):
        start = EWSDateTime(2030, 1, day, 9, tzinfo=EWSTimeZone(ZONE))
        item = CalendarItem(
            account=self.mailbox,
            folder=self.mailbox.calendar,
            subject=title,
            location=location or None,
            start=start,
            end=start + dt.timedelta(hours=1),
            **({ODOO_ID_FIELD: str(odoo_id)} if odoo_id is not None else {}),
        )
        item.save(send_meeting_invitations=SEND_TO_NONE)
        return item.id

    def _item(self, remote_id):
        found = [i for i in self.mailbox.calendar.all() if i.id == remote_id]
        return found[0] if found else None

    def rename(self, remote_id, title):
        item = self._item(remote_id)
        item.subject = title
        item.save(update_fields=["subject"], send_meeting_invitations=SEND_TO_NONE)

    def delete(self, remote_id):
        self._item(remote_id).delete(send_meeting_cancellations=SEND_TO_NONE)

    def read(self, remote_id):
        item = self._item(remote_id)
        if item is None:
            return None
        return {"title": item.subject or "", "location": item.location or ""}

    def count(self):
        return self.mailbox.calendar.all().count()

    # ----------------------------------------------------------------- what goes wrong

    def expire_cursors(self):
        self.emulator.invalidate_sync_states(EMAIL)

    def fail_create_parts(self, status, times):
        # A CreateItem whose connection drops: its outcome is unknown to the client.
        return self.emulator.faults.add(drop_connection=True, operation="CreateItem", times=times)

    def throttle_part(self, retry_after, nth=1, times=1):  # pylint: disable=unused-argument
        # EWS throttles a whole call, never one item of it: ``nth`` has no EWS meaning.
        return self.emulator.faults.server_busy(
            back_off_ms=int(retry_after * 1000), times=times, operation="CreateItem"
        )

    def fail_listing_of(self, remote_id):  # pylint: disable=unused-argument
        # SyncFolderItems reports a deletion itself: the listing call is what fails.
        return self.emulator.faults.add(status=500, times=None, operation="SyncFolderItems")
