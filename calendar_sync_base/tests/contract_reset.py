"""Contract suite: the Reset Account wizard, every combination of its two choices, on every
provider (through the adapter of ``SyncCaseMixin``)."""

import datetime as dt
import itertools

DELETE_POLICIES = ("dont_delete", "delete_remote", "delete_odoo", "delete_both")
SYNC_POLICIES = ("new", "all")


class ResetContract:
    """Every wizard combination on a user with single and recurring events, organized by the
    user or only attended."""

    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests else

    def setUp(self):
        super().setUp()
        self.single = self.odoo_event("Mine single")
        self.series = (
            self.env["calendar.event"]
            .with_user(self.user)
            .create(
                {
                    "name": "Mine series",
                    "start": dt.datetime(2027, 5, 3, 8),
                    "stop": dt.datetime(2027, 5, 3, 9),
                    "recurrency": True,
                    "rrule_type": "weekly",
                    "mon": True,
                    "count": 3,
                    "end_type": "count",
                    "event_tz": "Europe/Brussels",
                }
            )
            .recurrence_id
        )
        invitation_id = self.new_invitation("Their meeting", "boss@example.com", 50)
        self.sync()
        self.invitation = self.linked(invitation_id)
        self.assertEqual(len(self.remote_titles()), 3)

    def reset(self, delete_policy, sync_policy):
        wizard = (
            self.env["calendar.sync.reset.wizard"]
            .with_user(self.user)
            .create(
                {
                    "account_id": self.account.id,
                    "delete_policy": delete_policy,
                    "sync_policy": sync_policy,
                }
            )
        )
        self.assertEqual((wizard.organized_count, wizard.invitation_count), (2, 1))
        self.assertEqual(
            wizard.action_reset(),
            {"type": "ir.actions.client", "tag": "soft_reload"},
            "the calendar behind the dialog reloads",
        )
        self.env.invalidate_all()

    def check_combination(self, delete_policy, sync_policy):
        self.reset(delete_policy, sync_policy)
        self.assertEqual(self.account.state, "disconnected")
        self.assertFalse(self.holds_grant())
        self.assertFalse(self.account.sudo().sync_cursor)
        links = self.account.sudo().link_ids
        self.assertFalse(links.filtered("remote_id"), "every remote identity is forgotten")
        requeued = delete_policy == "delete_remote" and sync_policy == "all"
        self.assertEqual(len(links), 2 if requeued else 0, "deleted copies are queued again")

        remote_deleted = delete_policy in ("delete_remote", "delete_both")
        odoo_deleted = delete_policy in ("delete_odoo", "delete_both")
        expected_remote = ["Their meeting"] + (
            [] if remote_deleted else ["Mine series", "Mine single"]
        )
        self.assertEqual(self.remote_titles(), sorted(expected_remote))
        self.assertEqual(not self.single.exists(), odoo_deleted)
        self.assertEqual(not self.series.calendar_event_ids.exists(), odoo_deleted)
        if not odoo_deleted:
            self.assertTrue(self.single.active)
        self.assertTrue(self.invitation.exists() and self.invitation.active)

        self.reconnect()
        counts = self.sync()
        titles = self.remote_titles()
        self.assertEqual(titles.count("Their meeting"), 1, "invitations never touched")
        if odoo_deleted or sync_policy == "new":
            # Nothing old is pushed again; what stayed remote is pulled and linked.
            expected = expected_remote
        else:
            expected = ["Their meeting", "Mine series", "Mine single"]
        self.assertEqual(titles, sorted(expected), "no duplicates either side")
        if (delete_policy, sync_policy) == ("dont_delete", "all"):
            self.assertEqual(
                (counts.linked, counts.pulled_created, counts.pushed_created), (3, 0, 0)
            )
        single_copies = self.env["calendar.event"].search_count(
            [("name", "=", "Mine single"), ("user_id", "=", self.user.id)]
        )
        self.assertEqual(single_copies, 0 if delete_policy == "delete_both" else 1)
        series_copies = self.env["calendar.recurrence"].search_count(
            [("base_event_id.name", "=", "Mine series"), ("base_event_id.active", "=", True)]
        )
        self.assertLessEqual(series_copies, 1)


def _combination_test(delete_policy, sync_policy):
    def test(self):
        self.check_combination(delete_policy, sync_policy)

    test.__name__ = f"test_reset_{delete_policy}_then_sync_{sync_policy}"
    return test


for _delete, _sync in itertools.product(DELETE_POLICIES, SYNC_POLICIES):
    _test = _combination_test(_delete, _sync)
    setattr(ResetContract, _test.__name__, _test)
