"""Contract suite: what the user and the administrators are told of a sync."""

from odoo.tools import mute_logger

from .common import ACCOUNT_LOGGER


class HonestStateContract:
    """What the user and the administrators are told."""

    allow_inherited_tests_method = True

    def misconfiguration_notices(self):
        admins = self.env.ref("base.group_system").users
        return self.env["mail.message"].search_count(
            [
                ("partner_ids", "in", admins.partner_id.ids),
                ("subject", "ilike", "misconfigured"),
            ]
        )

    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_configuration_error_tells_the_administrators_once(self):
        self.break_configuration()
        self.sync(expect_ok=False)
        self.assertIn("An administrator has been notified", self.account.last_error)
        self.assertEqual(self.misconfiguration_notices(), 1)
        self.sync(expect_ok=False)
        answer = (
            self.env["calendar.sync.account"]
            .with_user(self.user)
            .action_sync_button(self.account.provider)
        )
        self.assertIn("An administrator has been notified", answer["message"])
        self.assertEqual(self.misconfiguration_notices(), 1, "not on every run")
        self.repair_configuration()
        self.sync()
        self.break_configuration()
        self.sync(expect_ok=False)
        self.assertEqual(self.misconfiguration_notices(), 2, "broken again after a fix")

    def test_push_without_answer_is_stored_in_plain_words(self):
        event = self.odoo_event("Unanswered")
        self.sync()
        event.with_user(self.user).write({"name": "Unanswered (edited)"})
        self.drop_next_batch()
        counts = self.sync()
        self.assertEqual(counts.errors, 1)
        link = event.sudo().sync_link_ids
        self.assertEqual(
            link.push_error,
            "The calendar service failed to answer; it will be retried on the next run.",
        )
        self.assertTrue(link.need_push, "still queued")

    def test_replayed_update_whose_answer_was_lost_is_no_conflict(self):
        # Only push: the pull would otherwise read the new version before the push.
        self.env["ir.config_parameter"].set_param("calendar_sync.direction", "to_remote")
        event = self.odoo_event("Replayed")
        self.sync()
        remote_id = event.sudo().sync_link_ids.remote_id
        event.with_user(self.user).write({"name": "Replayed (edited)"})
        # The update reached the provider but its answer did not reach Odoo: the remote copy
        # has our edit and a version Odoo does not know.
        self.set_remote_title(remote_id, "Replayed (edited)")
        counts = self.sync()
        self.assertEqual((counts.conflicts, counts.pushed_updated), (0, 1))
        self.assertFalse(event.sudo().sync_link_ids.need_push)
        self.assertEqual(self.sync().pushed, 0, "settled")
        event.with_user(self.user).write({"name": "Replayed (again)"})
        self.set_remote_title(remote_id, "Changed remotely")
        self.assertEqual(self.sync().conflicts, 1, "a real concurrent edit still counts")
