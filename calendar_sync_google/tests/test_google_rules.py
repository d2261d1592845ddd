import datetime as dt

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import GoogleSyncCase, google_time


@tagged("post_install", "-at_install")
class TestGoogleRules(GoogleSyncCase):
    def set_param(self, key, value):
        self.env["ir.config_parameter"].set_param(key, value)

    def test_direction_to_remote_never_writes_odoo(self):
        self.set_param("calendar_sync.direction", "to_remote")
        self.remote_event(summary="Remote only")
        self.odoo_event("Local")
        self.sync()
        self.assertFalse(self.env["calendar.event"].search([("name", "=", "Remote only")]))
        self.assertEqual(
            [e["summary"] for e in self.google.events(self.email)], ["Remote only", "Local"]
        )

    def test_direction_to_odoo_never_writes_remote(self):
        self.set_param("calendar_sync.direction", "to_odoo")
        self.remote_event(summary="Remote only")
        self.odoo_event("Local")
        self.sync()
        self.assertTrue(self.env["calendar.event"].search([("name", "=", "Remote only")]))
        self.assertEqual([e["summary"] for e in self.google.events(self.email)], ["Remote only"])

    def test_direction_off_does_nothing(self):
        self.set_param("calendar_sync.direction", "off")
        self.remote_event(summary="Remote only")
        self.odoo_event("Local")
        self.google.requests.clear()
        self.sync()
        self.assertFalse(self.env["calendar.event"].search([("name", "=", "Remote only")]))
        self.assertEqual(len(self.google.events(self.email)), 1)

    def test_newest_change_wins_a_conflict(self):
        self.set_param("calendar_sync.conflict_policy", "newest")
        event = self.odoo_event("Contested")
        self.sync()
        remote_id = event.sudo().sync_link_ids.remote_id
        event.with_user(self.user).write({"name": "Odoo title (older)"})
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE calendar_event SET write_date = now() - interval '1 hour' WHERE id = %s",
            [event.id],
        )
        self.env.invalidate_all()
        self.google.patch_event(self.email, remote_id, {"summary": "Google title (newer)"})
        self.sync()
        self.sync()
        self.assertEqual(event.name, "Google title (newer)")
        self.assertEqual(
            self.google.get_event(self.email, remote_id)["summary"], "Google title (newer)"
        )

    def test_start_date_keeps_older_events_out(self):
        self.set_param(
            "calendar_sync.start_date", (self.now + dt.timedelta(days=3)).date().isoformat()
        )
        self.remote_event(summary="Too early", hours_from_now=24)
        self.remote_event(summary="In range", hours_from_now=24 * 5)
        self.odoo_event("Early local", hours_from_now=24)
        self.odoo_event("Late local", hours_from_now=24 * 6)
        self.sync()
        pulled = self.env["calendar.event"].search([("name", "in", ("Too early", "In range"))])
        self.assertEqual(pulled.mapped("name"), ["In range"])
        remote = sorted(e["summary"] for e in self.google.events(self.email))
        self.assertEqual(remote, ["In range", "Late local", "Too early"])

    def test_user_override_needs_the_group(self):
        account = self.account.with_user(self.user)
        with self.assertRaises(UserError):
            account.write({"rule_direction": "to_odoo"})
        account.write({"send_updates": "none"})
        self.assertEqual(self.account.send_updates, "none")
        self.user.groups_id |= self.env.ref("calendar_sync_base.calendar_sync_base_group_own_rules")
        account.write({"rule_direction": "to_odoo"})
        with self.assertRaises(UserError):
            account.write({"state": "connected", "refresh_token": "stolen"})
        self.odoo_event("Stays local")
        self.sync()
        self.assertFalse(self.google.events(self.email), "the user's own rule applies")


@tagged("post_install", "-at_install")
class TestGoogleEventToggle(GoogleSyncCase):
    def test_switching_off_deletes_our_copy_and_stops_syncing(self):
        event = self.odoo_event("Private matter")
        self.sync()
        remote_id = event.sudo().sync_link_ids.remote_id
        event.with_user(self.user).write({"sync_with_google": False})
        self.sync()
        self.assertEqual(self.google.get_event(self.email, remote_id)["status"], "cancelled")
        event.with_user(self.user).write({"name": "Private matter (edited)"})
        self.sync()
        self.assertFalse(self.google.events(self.email))
        event.with_user(self.user).write({"sync_with_google": True})
        self.sync()
        live = [e["summary"] for e in self.google.events(self.email)]
        self.assertEqual(live, ["Private matter (edited)"])

    def test_switching_off_an_invitation_ignores_remote_changes(self):
        remote = self.google.insert_event(
            self.email,
            {
                "summary": "Their event",
                "start": google_time(self.now + dt.timedelta(hours=40)),
                "end": google_time(self.now + dt.timedelta(hours=41)),
            },
            organizer="boss@example.com",
        )
        self.sync()
        event = self.linked(remote["id"])
        event.write({"sync_with_google": False})
        self.google.patch_event(self.email, remote["id"], {"summary": "Their event (moved)"})
        self.sync()
        self.assertEqual(event.name, "Their event")
        self.assertEqual(self.google.get_event(self.email, remote["id"])["status"], "confirmed")
        self.assertEqual(
            self.env["calendar.event"].search_count([("name", "like", "Their event")]), 1
        )

    def test_switched_off_event_is_never_queued(self):
        self.sync()
        event = self.odoo_event("Never to Google", sync_with_google=False)
        self.assertFalse(event.sudo().sync_link_ids)
        self.sync()
        self.assertFalse(self.google.events(self.email))
