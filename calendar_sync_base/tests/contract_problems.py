"""Contract suite: events a provider refuses, as the user sees and handles them."""


class ProblemsContract:
    """Pushes a provider refuses: counted, listed, retried, stopped."""

    allow_inherited_tests_method = True

    def refused_event(self):
        event = self.odoo_event("Handed over")
        self.sync()
        remote_id = event.sudo().sync_link_ids.remote_id
        fault = self.refuse_updates(remote_id)
        event.with_user(self.user).write({"name": "Handed over (edited)"})
        counts = self.sync()
        self.assertEqual(counts.errors, 1)
        return event, remote_id, fault

    def panel_entry(self):
        panel = self.env["calendar.sync.account"].with_user(self.user).get_sync_panel_state()
        return next(entry for entry in panel if entry["provider"] == self.account.provider)

    def test_refused_push_shows_as_a_problem_until_a_change_is_pushed(self):
        event, remote_id, fault = self.refused_event()
        entry = self.panel_entry()
        self.assertEqual((entry["state"], entry["problem_count"]), ("connected", 1))
        self.assertIn(self.refused_update_detail, event.with_user(self.user).sync_problem)
        self.assertFalse(event.sudo().sync_link_ids.need_push, "not retried on every run")
        self.sync()
        self.assertEqual(self.account.problem_count, 1, "the problem stays until resolved")
        self.stop_refusing(fault)
        event.with_user(self.user).write({"name": "Handed over (again)"})
        self.assertTrue(event.sudo().sync_link_ids.need_push, "a change queues it again")
        self.sync()
        self.assertEqual(self.remote_title(remote_id), "Handed over (again)")
        self.assertEqual(self.account.problem_count, 0)
        self.assertFalse(event.with_user(self.user).sync_problem)

    def test_problem_list_and_retry(self):
        event, remote_id, fault = self.refused_event()
        other = self.odoo_event("Fine")
        self.sync()
        action = self.account.with_user(self.user).action_open_problems()
        listed = self.env["calendar.event"].with_user(self.user).search(action["domain"])
        self.assertEqual(listed, event)
        self.stop_refusing(fault)
        event.with_user(self.user).action_sync_retry()
        self.env.invalidate_all()
        self.assertEqual(self.remote_title(remote_id), "Handed over (edited)")
        self.assertEqual(self.account.problem_count, 0)
        self.assertTrue(other.sudo().sync_link_ids.remote_id)

    def test_stop_syncing_a_refused_event(self):
        event, remote_id, _fault = self.refused_event()
        event.with_user(self.user).action_sync_stop_problems()
        link = event.sudo().sync_link_ids
        self.assertTrue(link.stopped)
        self.assertFalse(event[f"sync_with_{self.account.provider}"])
        self.assertEqual(self.account.problem_count, 0)
        self.assertEqual(self.panel_entry()["problem_count"], 0)
        self.sync()
        self.assertFalse(self.remote_exists(remote_id), "the copy Odoo created is deleted")
