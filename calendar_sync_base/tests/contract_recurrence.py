"""Contract suite: recurring events both ways, on series made in Odoo and series pulled from
the provider (through the adapter of ``SyncCaseMixin``)."""

import datetime as dt

# A daily series of three in Brussels at 09:00 (08:00 UTC), in Odoo's UTC.
STANDUP_STARTS = [
    dt.datetime(2027, 3, 22, 8),
    dt.datetime(2027, 3, 23, 8),
    dt.datetime(2027, 3, 24, 8),
]
# Where the second occurrence of the standup moves to when someone moves it remotely.
MOVED_START = dt.datetime(2027, 3, 23, 10)


class RecurrenceContract:
    """A series is one remote master; an occurrence changed alone becomes an exception."""

    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests else

    def odoo_series(self):
        """A daily series of three made in Odoo, pushed; (its remote master id, recurrence)."""
        recurrence = self.odoo_standup(minutes=15)
        self.sync()
        link = recurrence.sudo().sync_link_ids
        self.assertEqual(len(link), 1)
        return link.remote_id, recurrence

    def odoo_standup(self, minutes):
        """The daily series of three made in Odoo, not synced yet; its recurrence."""
        event = (
            self.env["calendar.event"]
            .with_user(self.user)
            .create(
                {
                    "name": "Standup",
                    "start": STANDUP_STARTS[0],
                    "stop": STANDUP_STARTS[0] + dt.timedelta(minutes=minutes),
                    "recurrency": True,
                    "rrule_type": "daily",
                    "interval": 1,
                    "count": 3,
                    "end_type": "count",
                    "event_tz": "Europe/Brussels",
                }
            )
        )
        return event.recurrence_id

    def remote_series(self):
        """The same series made in the provider, pulled; (its remote master id, recurrence)."""
        master_id = self.new_remote_series("Standup", STANDUP_STARTS[0].date(), 3)
        self.sync()
        recurrence = self.linked(master_id)
        self.assertEqual(recurrence._name, "calendar.recurrence", "one series, not 3 events")
        self.assertEqual(sorted(recurrence.calendar_event_ids.mapped("start")), STANDUP_STARTS)
        return master_id, recurrence

    def test_new_series_is_pushed_as_one_master(self):
        master_id, _recurrence = self.odoo_series()
        self.assertEqual(self.remote_titles(), ["Standup"], "occurrences are not pushed alone")
        self.assertEqual(
            self.remote_occurrences(master_id), [(start, "Standup") for start in STANDUP_STARTS]
        )

    def test_series_rename_updates_the_master(self):
        master_id, recurrence = self.odoo_series()
        recurrence.base_event_id.with_user(self.user).write(
            {"name": "Daily standup", "recurrence_update": "all_events"}
        )
        self.sync()
        self.assertEqual(self.remote_title(master_id), "Daily standup")
        titles = {title for _start, title in self.remote_occurrences(master_id)}
        self.assertEqual(titles, {"Daily standup"})
        self.assertTrue(recurrence.sudo().sync_link_ids.exists())

    def test_occurrence_of_an_odoo_series_edited_alone_becomes_an_exception(self):
        self.check_occurrence_edited_alone(*self.odoo_series())

    def test_occurrence_of_a_remote_series_edited_alone_becomes_an_exception(self):
        self.check_occurrence_edited_alone(*self.remote_series())

    def check_occurrence_edited_alone(self, master_id, recurrence):
        second = recurrence.calendar_event_ids.sorted("start")[1]
        moved = STANDUP_STARTS[1] + dt.timedelta(hours=2)
        second.with_user(self.user).write(
            {"name": "Standup (moved)", "start": moved, "stop": moved + dt.timedelta(minutes=15)}
        )
        self.sync()
        self.assertEqual(
            self.remote_occurrences(master_id),
            [
                (STANDUP_STARTS[0], "Standup"),
                (moved, "Standup (moved)"),
                (STANDUP_STARTS[2], "Standup"),
            ],
        )
        self.assertEqual(self.remote_title(master_id), "Standup")

    def test_occurrence_of_an_odoo_series_deleted_is_excluded_remotely(self):
        self.check_occurrence_deleted(*self.odoo_series())

    def test_occurrence_of_a_remote_series_deleted_is_excluded_remotely(self):
        self.check_occurrence_deleted(*self.remote_series())

    def check_occurrence_deleted(self, master_id, recurrence):
        recurrence.calendar_event_ids.sorted("start")[1].with_user(self.user).unlink()
        self.sync()
        starts = [start for start, _title in self.remote_occurrences(master_id)]
        self.assertEqual(starts, [STANDUP_STARTS[0], STANDUP_STARTS[2]])

    def test_this_and_following_splits_the_remote_series(self):
        _master_id, recurrence = self.odoo_series()
        third = recurrence.calendar_event_ids.sorted("start")[2]
        third.with_user(self.user).write(
            {"name": "Standup v2", "recurrence_update": "future_events"}
        )
        self.sync()
        self.assertEqual(self.remote_titles(), ["Standup", "Standup v2"])
        links = self.env["calendar.sync.link"].search(
            [("account_id", "=", self.account.id), ("recurrence_id", "!=", False)]
        )
        occurrences = {
            link.recurrence_id.base_event_id.name: len(self.remote_occurrences(link.remote_id))
            for link in links
        }
        self.assertEqual(occurrences, {"Standup": 2, "Standup v2": 1})

    def test_remote_series_rename_renames_every_occurrence(self):
        master_id, recurrence = self.remote_series()
        self.set_remote_title(master_id, "Renamed standup")
        self.sync()
        recurrence = self.linked(master_id)
        self.assertEqual(set(recurrence.calendar_event_ids.mapped("name")), {"Renamed standup"})
        self.assertEqual(len(recurrence.calendar_event_ids), 3)

    def test_remote_series_deletion_archives_every_occurrence(self):
        master_id, recurrence = self.remote_series()
        events = recurrence.calendar_event_ids
        self.delete_remote(master_id)
        self.sync()
        self.assertFalse(any(events.mapped("active")))

    # A first sync has no agreed state to merge against: an occurrence Odoo generated is its
    # own base (a remote exception applies to it), an occurrence edited in Odoo is the user's
    # edit (pushed as an exception), and one changed on both sides goes to the rule.
    # "Odoo wins" makes Odoo's copy win every conflict, whatever the clocks say.

    def first_sync_under_odoo_wins(self, odoo_edits=None):
        """The remote standup (09:00-09:30) whose second occurrence someone moved, and,
        with ``odoo_edits`` (an occurrence's index), the same standup made in Odoo with that
        occurrence renamed "Standup (Odoo)"; synced (twice: what the first pull queued is
        pushed) under "Odoo wins". Returns the master's remote id and the Odoo edit."""
        self.env["ir.config_parameter"].set_param("calendar_sync.conflict_policy", "odoo")
        edited = self.env["calendar.event"]
        if odoo_edits is not None:
            edited = self.odoo_standup(minutes=30).calendar_event_ids.sorted("start")[odoo_edits]
            edited.with_user(self.user).write({"name": "Standup (Odoo)"})
        master_id = self.new_remote_series("Standup", STANDUP_STARTS[0].date(), 3)
        self.move_remote_occurrence(master_id, STANDUP_STARTS[1], MOVED_START, "Standup (moved)")
        self.sync()
        self.sync()
        return master_id, edited

    def assert_occurrences_on_both_sides(self, master_id, expected):
        self.assertEqual(self.remote_occurrences(master_id), expected)
        recurrence = self.linked(master_id)
        odoo = recurrence.calendar_event_ids.mapped(lambda event: (event.start, event.name))
        self.assertEqual(sorted(odoo), expected)

    def occurrence_conflicts(self):
        """The conflicts a pull merged on occurrences (two series made apart may differ too,
        and a provider may change an exception's version when its master is updated)."""
        return self.env["calendar.sync.log"].search(
            [
                ("account_id", "=", self.account.id),
                ("operation", "=", "conflict"),
                ("direction", "=", "pull"),
                ("res_model", "=", "calendar.event"),
            ]
        )

    def test_first_sync_keeps_the_remote_exception_of_a_series_it_pulls(self):
        master_id, _edited = self.first_sync_under_odoo_wins()
        self.assert_occurrences_on_both_sides(
            master_id,
            [
                (STANDUP_STARTS[0], "Standup"),
                (MOVED_START, "Standup (moved)"),
                (STANDUP_STARTS[2], "Standup"),
            ],
        )
        self.assertFalse(self.occurrence_conflicts(), "Odoo generated it, changed nothing")

    def test_first_sync_links_a_series_and_keeps_each_sides_exceptions(self):
        master_id, edited = self.first_sync_under_odoo_wins(odoo_edits=2)
        self.assertEqual(self.linked(master_id), edited.recurrence_id, "linked, not copied")
        self.assert_occurrences_on_both_sides(
            master_id,
            [
                (STANDUP_STARTS[0], "Standup"),
                (MOVED_START, "Standup (moved)"),
                (STANDUP_STARTS[2], "Standup (Odoo)"),
            ],
        )
        self.assertFalse(self.occurrence_conflicts(), "each side changed another occurrence")

    def test_first_sync_lets_the_rule_decide_an_occurrence_changed_on_both_sides(self):
        master_id, edited = self.first_sync_under_odoo_wins(odoo_edits=1)
        self.assert_occurrences_on_both_sides(
            master_id,
            [
                (STANDUP_STARTS[0], "Standup"),
                (STANDUP_STARTS[1], "Standup (Odoo)"),
                (STANDUP_STARTS[2], "Standup"),
            ],
        )
        [conflict] = self.occurrence_conflicts()
        self.assertEqual((conflict.res_id, conflict.conflict_winner), (edited.id, "odoo"))
        self.assertIn("first synchronization", conflict.message)
