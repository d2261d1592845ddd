from odoo.tests import TransactionCase, tagged

from emulators.ews import EwsEmulator

from .common import point_odoo_at

SERVICE = "admin@localhost"
AUTODISCOVER = "/autodiscover/autodiscover.svc"
DISCOVERED = "calendar_sync_exchange.discovered_ews_url"


@tagged("post_install", "-at_install")
class TestExchangeAutodiscover(TransactionCase):
    """No EWS URL, autodiscover on: Test Connection finds the server from the administrator's
    address (domain ``localhost``: the emulator over https on port 443, its CA trusted
    through the CA bundle; no DNS server needed) and keeps the URL for the syncs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.ews = EwsEmulator(tls=True, port=443).start()
        except OSError as exc:
            raise cls.skipException(f"port 443 is not free ({exc}): autodiscover uses it") from exc
        cls.addClassCleanup(cls.ews.stop)
        cls.ews.add_mailbox(SERVICE, "service-pw", "Service", can_impersonate=True)
        point_odoo_at(cls.env, cls.ews)
        cls.params = cls.env["ir.config_parameter"].sudo()
        for key, value in {
            "ews_url": False,
            "username": SERVICE,
            "password": "service-pw",
            "autodiscover": True,
            "ca_bundle": cls.ews.ca_path,
        }.items():
            cls.params.set_param(f"calendar_sync_exchange.{key}", value)

    def test_connection(self):
        return (
            self.env["res.config.settings"]
            .create({})
            .action_calendar_sync_exchange_test_connection()["params"]
        )

    def autodiscover_requests(self):
        return [r for r in self.ews.requests if r.path == AUTODISCOVER and r.status == 200]

    def test_test_connection_autodiscovers_and_keeps_the_ews_url(self):
        self.env.user.email = SERVICE
        asked_before = len(self.autodiscover_requests())
        answer = self.test_connection()
        self.assertEqual(answer["type"], "success", answer["message"])
        self.assertEqual(self.params.get_param(DISCOVERED), self.ews.endpoint)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.calendar_sync_exchange_discovered_url, self.ews.endpoint)
        self.assertEqual(len(self.autodiscover_requests()), asked_before + 1)
        provider = self.env["calendar.sync.provider.exchange"]
        self.assertEqual(provider._exchange_settings(SERVICE).endpoint, self.ews.endpoint)
        # Kept: the next connection does not ask autodiscover again.
        self.assertEqual(len(self.autodiscover_requests()), asked_before + 1)

    def test_a_failed_autodiscover_asks_for_the_ews_url(self):
        self.env.user.email = "nobody@localhost"
        answer = self.test_connection()
        self.assertEqual(answer["type"], "danger")
        self.assertIn(
            "Autodiscover did not find the Exchange server of nobody@localhost", answer["message"]
        )
        self.assertIn("Enter the EWS URL", answer["message"])
        self.assertFalse(self.params.get_param(DISCOVERED))
