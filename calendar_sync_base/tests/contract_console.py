"""Contract suite: the Sync Console's buttons, for each provider's test case.

The provider case (with the ``SyncCaseMixin`` adapter) sets ``provider``,
``accepted_configuration`` (what Test Connection names of the settings the provider
accepted) and ``validation_refusal`` (words of the reason Validate Users writes once
``connect_other_user``'s revocation took effect; default: asks to reconnect), and answers
``connect_other_user()`` -> ``(account, revoke)`` (a second user, connected, and how the
provider revokes their grant) and ``spoil_credentials()`` (the administrator enters
credentials the provider refuses; returns the words of its refusal).
"""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from odoo.addons.calendar_sync_base.models.calendar_sync_request import REQUESTED_KEY
from odoo.addons.calendar_sync_base.wizards.calendar_sync_console import WOKEN_PROVIDERS_KEY

OTHER_EMAIL = "bob@example.com"
# Every button of the console: administrators only.
CONSOLE_ACTIONS = (
    "action_test_connection",
    "action_validate_users",
    "action_sync_now",
    "action_open_reset_all",
    "action_open_error_log",
    "action_clear_error_log",
)


class ConsoleContract:
    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests else

    provider = None
    accepted_configuration = None
    validation_refusal = "reconnect"

    def connect_other_user(self):
        raise NotImplementedError

    def spoil_credentials(self):
        raise NotImplementedError

    def console(self):
        consoles = self.env["calendar.sync.console"].browse(
            self.env["calendar.sync.console"].action_open()["domain"][0][2]
        )
        return consoles.filtered(lambda console: console.provider == self.provider)

    def notified(self, action):
        self.assertEqual(action["tag"], "display_notification")
        return action["params"]["type"], action["params"]["message"]

    def new_request(self):
        """Forget what the transaction so far asked for (a connection's first sync)."""
        for key in (REQUESTED_KEY, WOKEN_PROVIDERS_KEY):
            self.env.cr.precommit.data.pop(key, None)

    def other_user(self):
        return new_test_user(self.env, login="bob_console", email=OTHER_EMAIL)

    # ------------------------------------------------------------------ Test Connection

    def test_test_connection_reports_what_the_provider_accepted(self):
        kind, message = self.notified(self.console().action_test_connection())
        self.assertEqual(kind, "success", message)
        self.assertIn(self.accepted_configuration, message)

    def test_test_connection_with_refused_credentials_says_why(self):
        refusal = self.spoil_credentials()
        kind, message = self.notified(self.console().action_test_connection())
        self.assertEqual(kind, "danger")
        self.assertIn(refusal, message)

    # ------------------------------------------------------------------ Validate Users

    def test_validate_users_marks_reachable_and_revoked_users(self):
        other, revoke = self.connect_other_user()
        revoke()
        kind, message = self.notified(self.console().action_validate_users())
        self.assertEqual(kind, "warning")
        self.assertIn("1 users validated, 1 failed", message)
        self.assertTrue(self.account.validated)
        self.assertTrue(self.account.validation_date)
        self.assertFalse(self.account.validation_error)
        self.assertFalse(other.validated)
        self.assertIn(self.validation_refusal, other.validation_error)
        console = self.console()
        self.assertEqual((console.validated_count, console.error_count), (1, 1))

    # ------------------------------------------------------------------ Sync Calendar Now

    def test_sync_now_twice_queues_one_run(self):
        cron = self.env["calendar.sync.account"]._sync_cron(self.provider)
        triggers = self.env["ir.cron.trigger"]
        triggers.search([("cron_id", "=", cron.id)]).unlink()
        self.account.sudo().sync_request_ids.unlink()
        self.new_request()  # the press comes in its own request (transaction)
        kind, first = self.notified(self.console().action_sync_now())
        self.assertEqual(kind, "success")
        self.assertTrue(self.account.sync_requested)
        self.new_request()
        kind, second = self.notified(self.console().action_sync_now())
        self.assertEqual(triggers.search_count([("cron_id", "=", cron.id)]), 1)
        self.assertIn("already queued", second)
        self.assertNotIn("already queued", first)

    def test_sync_now_without_connection_queues_nothing(self):
        self.account.state = "disconnected"
        kind, _message = self.notified(self.console().action_sync_now())
        self.assertEqual(kind, "warning")

    # ------------------------------------------------------------------ Reset All

    def test_reset_all_deletes_only_what_odoo_created(self):
        pushed = self.odoo_event("Made in Odoo")
        hand_made = self.new_remote("Made by hand")
        self.sync()
        self.assertEqual(self.remote_titles(), ["Made by hand", "Made in Odoo"])
        wizard = self.env["calendar.sync.console.reset.wizard"].create(
            {"provider": self.provider, "confirmation": "delete"}
        )
        self.assertEqual(wizard.created_count, 1)
        with self.assertRaises(UserError):
            wizard.action_reset_all()
        self.assertEqual(self.remote_titles(), ["Made by hand", "Made in Odoo"])
        wizard.confirmation = "DELETE"
        report = wizard.action_reset_all()["params"]["message"]
        self.assertIn(f"{self.user.name}: 1 deleted, 0 already gone", report)
        self.assertEqual(self.remote_titles(), ["Made by hand"])
        self.assertTrue(pushed.exists())
        self.assertFalse(pushed.sudo().sync_link_ids)
        self.assertTrue(self.linked(hand_made))
        # Restartable: a second run finds nothing left of ours.
        again = self.env["calendar.sync.console.reset.wizard"].create(
            {"provider": self.provider, "confirmation": "DELETE"}
        )
        self.assertIn("0 deleted", again.action_reset_all()["params"]["message"])
        self.assertEqual(self.remote_titles(), ["Made by hand"])

    def test_reset_all_restarts_after_copies_already_deleted(self):
        first = self.odoo_event("First")
        self.odoo_event("Second")
        self.sync()
        self.delete_remote(first.sudo().sync_link_ids.remote_id)
        wizard = self.env["calendar.sync.console.reset.wizard"].create(
            {"provider": self.provider, "confirmation": "DELETE"}
        )
        report = wizard.action_reset_all()["params"]["message"]
        self.assertIn("1 deleted, 1 already gone", report)
        self.assertEqual(self.remote_titles(), [])

    # ------------------------------------------------------------------ Sync Details

    def test_details_and_error_log_clear(self):
        self.odoo_event("Pushed")
        self.new_remote("Pulled")
        self.sync()
        logs = self.env["calendar.sync.log"]
        logs._log_change(self.account, "pull", "error", message="Remote refused")
        kept = logs._log_change(self.account, "push", "create", message="Not an error")
        console = self.console()
        self.assertEqual(console.user_count, 1)
        self.assertEqual((console.pushed_count, console.pulled_count), (1, 1))
        self.assertEqual(console.last_sync_date, self.account.last_sync_date)
        self.assertTrue(console.last_sync_date)
        self.assertEqual(console.error_log_count, 1)
        self.assertEqual(console.error_log_ids.message, "Remote refused")
        error_log = console.action_open_error_log()
        self.assertEqual(logs.search(error_log["domain"]).message, "Remote refused")
        _kind, message = self.notified(console.action_clear_error_log())
        self.assertIn("1 error entries deleted", message)
        self.assertFalse(logs.search(error_log["domain"]))
        self.assertTrue(kept.exists())

    # ------------------------------------------------------------------ Limits

    def test_limit_refuses_the_next_user_and_not_a_reconnection(self):
        self.env["ir.config_parameter"].set_param(f"calendar_sync_{self.provider}.max_users", 1)
        self.assertTrue(self.console().limit_reached)
        newcomer = self.other_user()
        answer = (
            self.env["calendar.sync.account"]
            .with_user(newcomer)
            .action_sync_button(self.provider, existing_guests_policy="without_guests")
        )
        self.assertEqual(answer["status"], "not_allowed")
        self.assertIn("maximum number of users (1)", answer["message"])
        self.account.state = "needs_reconnect"
        answer = (
            self.env["calendar.sync.account"]
            .with_user(self.user)
            .action_sync_button(self.provider, existing_guests_policy="without_guests")
        )
        self.assertIn(answer["status"], ("redirect", "action"), "the provider's connect step")

    # ------------------------------------------------------------------ access

    def test_only_administrators_use_the_console(self):
        console = self.console()
        as_user = self.env["calendar.sync.console"].with_user(self.user)
        with self.assertRaises(AccessError):
            as_user.action_open()
        for method in CONSOLE_ACTIONS:
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(console.with_user(self.user), method)()
        with self.assertRaises(AccessError):
            self.env["calendar.sync.console.reset.wizard"].with_user(self.user).create(
                {"provider": self.provider, "confirmation": "DELETE"}
            )
