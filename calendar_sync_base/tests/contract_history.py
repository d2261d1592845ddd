"""Contract suite: the sync history every provider keeps (through the adapter of
``SyncCaseMixin``; a provider's test case mixes it in)."""

from odoo.exceptions import UserError
from odoo.tools import mute_logger

from .common import ACCOUNT_LOGGER


class HistoryContract:
    """Revert, conflict history and the reconnect notice, the same for every provider."""

    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests else

    def test_revert_of_a_pulled_update_restores_it_everywhere(self):
        remote_id = self.new_remote("Budget")
        self.sync()
        event = self.linked(remote_id)
        self.set_remote_title(remote_id, "Budget (cut)")
        self.sync()
        log = self.history(event, "update")
        self.assertEqual(
            log.revert_summary,
            "This will put back the previous Meeting Subject of Budget (cut) in Odoo and send "
            f"it to {self.provider_label}.",
        )
        log.action_revert()
        self.sync()
        self.assertEqual((event.name, self.remote_titles()), ("Budget", ["Budget"]))
        self.assertFalse(log.can_revert, "a change is reverted once")

    def test_revert_of_a_pulled_deletion_restores_the_same_event_once(self):
        remote_id = self.new_remote("Deleted by mistake")
        self.sync()
        event = self.linked(remote_id)
        self.delete_remote(remote_id)
        self.sync()
        self.assertFalse(event.active)
        log = self.history(event, "delete")
        self.assertEqual(
            log.revert_summary,
            f"This will restore Deleted by mistake in Odoo and create it again in "
            f"{self.provider_label}.",
        )
        log.action_revert()
        self.sync()
        self.sync()
        self.assertTrue(event.active)
        self.assertEqual(self.remote_titles(), ["Deleted by mistake"])
        copies = self.env["calendar.event"].with_context(active_test=False)
        self.assertEqual(copies.search_count([("name", "=", "Deleted by mistake")]), 1)
        self.assertTrue(event.sudo().sync_link_ids.remote_id, "linked to the new remote copy")

    def test_revert_of_a_pulled_creation_archives_it_and_says_where(self):
        remote_id = self.new_remote("Spam invite")
        self.sync()
        event = self.linked(remote_id)
        log = self.history(event, "create")
        self.assertEqual(
            log.revert_summary,
            f"This will archive Spam invite in Odoo and delete it from {self.provider_label}.",
        )
        log.action_revert()
        self.sync()
        self.assertFalse(event.active)
        self.assertEqual(self.remote_titles(), [])

    def test_pushed_changes_offer_no_revert(self):
        event = self.odoo_event("Mine")
        self.sync()
        event.with_user(self.user).write({"name": "Mine (renamed)"})
        self.sync()
        pushed = self.history(event, "create", "push") | self.history(event, "update", "push")
        self.assertEqual(len(pushed), 2)
        self.assertFalse(any(pushed.mapped("can_revert")))
        with self.assertRaises(UserError):
            pushed[0].action_revert()
        self.assertTrue(event.active)
        self.assertEqual(self.remote_titles(), ["Mine (renamed)"])

    def test_history_of_a_deleted_event_says_so_and_offers_no_revert(self):
        remote_id = self.new_remote("Gone")
        self.sync()
        event = self.linked(remote_id)
        log = self.history(event, "create")
        event.unlink()
        log.invalidate_recordset()
        self.assertEqual(log.record_label, "Gone (deleted)")
        self.assertFalse(log.record_ref)
        self.assertFalse(log.can_revert)

    def test_a_conflict_is_one_history_entry_with_both_values_rule_and_winner(self):
        self.assertEqual(self.contest("remote"), ("Remote title", "Remote title"))
        event = self.env["calendar.event"].search([("name", "=", "Remote title")])
        conflict = self.history(event, "conflict")
        self.assertEqual(len(conflict), 1)
        self.assertEqual(
            [(line.field_name, line.old_value, line.new_value) for line in conflict.line_ids],
            [("name", "Odoo title", "Remote title")],
        )
        self.assertEqual((conflict.conflict_policy, conflict.conflict_winner), ("remote", "remote"))
        self.assertIn(f"keeps {self.provider_label}'s values", conflict.message)
        self.assertFalse(conflict.can_revert)

    def test_newest_change_wins_says_when_each_side_changed(self):
        self.assertEqual(self.contest("newest"), ("Remote title", "Remote title"))
        event = self.env["calendar.event"].search([("name", "=", "Remote title")])
        conflict = self.history(event, "conflict")
        self.assertEqual((conflict.conflict_policy, conflict.conflict_winner), ("newest", "remote"))
        self.assertIn("the newest change wins", conflict.message)
        self.assertIn("changed in Odoo: ", conflict.message)

    @mute_logger(ACCOUNT_LOGGER)  # the failed sync's WARNING line
    def test_reconnect_notice_reaches_the_user_from_odoobot(self):
        """The sync runs in the user's own request (the Calendar button), and each user
        receives the notice the way they chose: Odoo's inbox or e-mail."""
        odoobot = self.env.ref("base.partner_root")
        for preference in ("inbox", "email"):
            with self.subTest(preference=preference):
                self.user.notification_type = preference
                self.revoke_grant()
                self.account.state = "connected"
                self.env["calendar.sync.account"].with_user(self.user).action_sync_button(
                    self.account.provider
                )
                self.assertEqual(self.account.state, "needs_reconnect")
                notice = self.env["mail.message"].search(
                    [("subject", "=", "Reconnect your calendar")], order="id desc", limit=1
                )
                self.assertEqual(notice.author_id, odoobot)
                notification = notice.notification_ids
                self.assertEqual(notification.res_partner_id, self.user.partner_id)
                self.assertEqual(notification.notification_type, preference)
                if preference == "inbox":
                    self.assertFalse(notification.is_read)
                    self.assertIn(notice, self.inbox_of(self.user))
                else:
                    self.assertIn(notification.notification_status, ("ready", "sent"))

    def inbox_of(self, user):
        return self.env["mail.message"].with_user(user).search([("needaction", "=", True)])
