"""Contract suite: an Odoo edit changes remotely exactly what it changed in Odoo (through the
adapter of ``SyncCaseMixin``)."""


class RoundTripContract:
    """On an event rich in what Odoo does not hold (``new_rich_remote``), an edit in Odoo
    changes that only."""

    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests else

    def pull_rich_event(self):
        remote_id = self.new_rich_remote()
        self.sync()
        return remote_id, self.linked(remote_id)

    def test_title_edit_changes_only_the_title(self):
        remote_id, event = self.pull_rich_event()
        before = self.remote_resource(remote_id)
        event.with_user(self.user).write({"name": "Supplier call (agenda)"})
        counts = self.sync()
        self.assertEqual(counts.pushed_updated, 1)
        self.assertEqual(self.remote_title(remote_id), "Supplier call (agenda)")
        self.assertEqual(self.remote_resource(remote_id), before)

    def test_new_guest_joins_without_changing_the_others(self):
        remote_id, event = self.pull_rich_event()
        before = self.remote_guests(remote_id)
        self.assertLessEqual({"optional", "resource"}, {kind for kind, _answer in before.values()})
        carol = self.env["res.partner"].create({"name": "Carol", "email": "carol@example.net"})
        event.with_user(self.user).write({"partner_ids": [(4, carol.id)]})
        self.sync()
        after = self.remote_guests(remote_id)
        self.assertEqual(after.pop("carol@example.net")[0], "required")
        self.assertEqual(after, before)
