"""Contract suite: recurring events both ways, on series made in Odoo and series pulled from
the provider (through the adapter of ``SyncCaseMixin``)."""

import datetime as dt

# A daily series of three in Brussels at 09:00 (08:00 UTC), in Odoo's UTC.
STANDUP_STARTS = [
    dt.datetime(2027, 3, 22, 8),
    dt.datetime(2027, 3, 23, 8),
    dt.datetime(2027, 3, 24, 8),
]


class RecurrenceContract:
    """A series is one remote master; an occurrence changed alone becomes an exception."""

    allow_inherited_tests_method = True  # Odoo's loader runs only a class's own tests else

    def odoo_series(self):
        """A daily series of three made in Odoo, pushed; (its remote master id, recurrence)."""
        event = (
            self.env["calendar.event"]
            .with_user(self.user)
            .create(
                {
                    "name": "Standup",
                    "start": STANDUP_STARTS[0],
                    "stop": STANDUP_STARTS[0] + dt.timedelta(minutes=15),
                    "recurrency": True,
                    "rrule_type": "daily",
                    "interval": 1,
                    "count": 3,
                    "end_type": "count",
                    "event_tz": "Europe/Brussels",
                }
            )
        )
        self.sync()
        link = event.recurrence_id.sudo().sync_link_ids
        self.assertEqual(len(link), 1)
        return link.remote_id, event.recurrence_id

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
