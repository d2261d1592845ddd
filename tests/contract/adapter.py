"""What the connector contract needs from a provider: ``ProviderAdapter``.

A provider joins the contract suite (``contract.ConnectorContract``) with one adapter over its
emulator and a test class giving the ``adapter`` fixture (see README.md). The adapter speaks
the emulator's own language (its seeding calls, its fault injection); the contract only
speaks the engine's (``CalendarConnector``, ``SyncEvent``, ``PushOp``).
"""

from __future__ import annotations

import datetime as dt

from calendar_sync_base.services.http import ResilientSession
from calendar_sync_base.services.model import SyncEvent

from ..conftest import TokenProvider

EMAIL = "alice@example.com"
UTC = dt.timezone.utc  # noqa: UP017 - the code under test must run on Python 3.10
# The contract's events are in January 2030, the emulators' clock in December 2029.
NOW = "2029-12-01T00:00:00Z"
ZONE = "Europe/Brussels"


class ProviderAdapter:
    """One provider's emulator behind the contract. ``session`` sends (its ``sleep`` records
    the delays instead of waiting); ``tokens`` is the token provider the connector gets (it
    counts forced refreshes; ``tokens.revoked`` makes every token refused)."""

    name = ""

    def __init__(self, emulator, session: ResilientSession):
        self.emulator = emulator
        self.session = session
        self.tokens = TokenProvider(emulator, EMAIL)

    # ----------------------------------------------------------------- the connector

    def connector(self, **options):
        """The connector against the emulator, with the session and ``tokens``; ``options``
        are the connector's own (``page_size``, ``batch_size``, ``token_provider``)."""
        raise NotImplementedError

    # ----------------------------------------------------------------- the remote calendar

    def insert(
        self, title: str, day: int, *, odoo_id: int | None = None, location: str = "",
        organizer: str = "",
    ) -> str:  # fmt: skip
        """Create an event remotely (09:00-10:00 Brussels on ``day`` January 2030), as a user
        or an earlier push would (``odoo_id`` in the provider's private property); its id."""
        raise NotImplementedError

    def rename(self, remote_id: str, title: str) -> None:
        raise NotImplementedError

    def delete(self, remote_id: str) -> None:
        raise NotImplementedError

    def read(self, remote_id: str) -> dict | None:
        """``{"title", "location"}`` of the remote event as the provider stores it, None when
        it is gone."""
        raise NotImplementedError

    def count(self) -> int:
        """How many live events the calendar holds."""
        raise NotImplementedError

    # ----------------------------------------------------------------- what goes wrong

    def expire_cursors(self) -> None:
        """The provider refuses every cursor handed out so far (Google 410, Graph delta)."""
        raise NotImplementedError

    def expire_access_tokens(self) -> None:
        raise NotImplementedError

    def fail_create_parts(self, status: int, times: int | None):
        """Create parts of a push answered ``status`` (after being applied when the outcome
        is unknown: the change is there, the answer is not), ``times`` times (None: always)."""
        raise NotImplementedError

    def throttle_part(self, retry_after: float, nth: int = 1, times: int | None = 1):
        """Write parts from the ``nth`` one answered 429 with ``Retry-After``, ``times``
        times (None: always)."""
        raise NotImplementedError

    def fail_listing_of(self, remote_id: str):
        """Until ``restore``: reading the change of ``remote_id`` in a listing fails with a
        persistent 503 (wherever the provider reads it: the listing or a follow-up read)."""
        raise NotImplementedError

    def restore(self, fault) -> None:
        self.emulator.faults.remove(fault)

    # ----------------------------------------------------------------- pushes

    def timed(self, title: str, day: int, odoo_id: int | None = None) -> SyncEvent:
        """A neutral event of the user's as Odoo would push it (09:00-10:00 Brussels)."""
        start = dt.datetime(2030, 1, day, 8, tzinfo=UTC)
        return SyncEvent(
            title=title,
            start=start,
            stop=start + dt.timedelta(hours=1),
            timezone=ZONE,
            organizer_email=EMAIL,
            odoo_id=odoo_id,
        )


class EmulatorAdapter(ProviderAdapter):
    """What the adapters over this repository's emulators (``emulators.base``) share."""

    def teardown(self) -> None:
        self.emulator.reset()
        self.emulator.set_now(None)

    def _insert(self, body: dict, organizer: str) -> str:
        extra = {"organizer": organizer} if organizer else {}
        return self.emulator.insert_event(EMAIL, body, **extra)["id"]

    def delete(self, remote_id):
        self.emulator.delete_event(EMAIL, remote_id)

    def expire_access_tokens(self):
        self.emulator.expire_access_tokens()
