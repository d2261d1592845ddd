import collections
import datetime as dt
import logging
import re

from odoo.tests import HttpCase, new_test_user

from emulators.google import GoogleEmulator
from emulators.microsoft import MicrosoftEmulator, trusting

__all__ = ["BuiltinSyncCase", "GoogleEmulator", "MicrosoftEmulator", "trusting"]

_logger = logging.getLogger(__name__)

REMOTE_EVENTS = 300  # more than one page of Google's default 250, six of Odoo's Graph 50


class BuiltinSyncCase(HttpCase):
    """Odoo's own sync module against an emulator: HttpCase because its requests go out in
    post-commit hooks that open a new cursor, which only the registry's test mode makes the
    test's own transaction."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(
            cls.env,
            login="builtin_alice",
            email="alice@example.com",
            name="Alice",
            tz="Europe/Brussels",
            groups="base.group_user",
        )
        cls.guest = cls.env["res.partner"].create({"name": "Bob", "email": "bob@example.org"})
        cls.now = dt.datetime.now().replace(microsecond=0, second=0, minute=0)

    def assertNoRefusal(self, emulator, expected=()):
        """Every request the module made was accepted, except the (status, path regex) pairs
        the scenario provoked on purpose (an expired sync token). Logs what the module sent."""
        sent = collections.Counter(
            (
                request.method,
                re.sub(r"/events/[^/?]+", "/events/{id}", request.path),
                request.status,
            )
            for request in emulator.requests
        )
        _logger.info(
            "%s: %d requests: %s",
            self._testMethodName,
            sum(sent.values()),
            ", ".join(
                f"{method} {path} {status} x{n}"
                for (method, path, status), n in sorted(sent.items())
            ),
        )
        refused = [
            (request.status, request.method, request.path)
            for request in emulator.requests
            if request.status >= 400
            and not any(
                status == request.status and re.search(path, request.path)
                for status, path in expected
            )
        ]
        self.assertEqual(refused, [], "the emulator refused requests of Odoo's own module")

    def odoo_event(self, name, hours_from_now=24, **values):
        start = self.now + dt.timedelta(hours=hours_from_now)
        return (
            self.env["calendar.event"]
            .with_user(self.user)
            .create(
                {
                    "name": name,
                    "start": start,
                    "stop": start + dt.timedelta(hours=1),
                    "partner_ids": [(6, 0, [self.user.partner_id.id, self.guest.id])],
                    **values,
                }
            )
        )

    def events_named(self, name, active=True):
        return (
            self.env["calendar.event"]
            .with_context(active_test=False)
            .search([("name", "=", name), ("active", "=", active)])
        )
