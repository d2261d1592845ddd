import datetime as dt

from odoo.tests import new_test_user


def insert_account(env, user, provider="test_provider", state="connected"):
    """An account row for a provider the base addon does not know.

    The base addon declares no provider value (each provider addon adds its own), so its
    tests write the row directly; everything they exercise is provider-agnostic.
    """
    env.cr.execute(
        """
        INSERT INTO calendar_sync_account
               (user_id, provider, state, active, send_updates, first_sync_done, queued_count,
                queue_existing, create_uid, write_uid, create_date, write_date)
        VALUES (%s, %s, %s, true, 'all', false, 0, true, 1, 1, now(), now())
        RETURNING id
        """,
        [user.id, provider, state],
    )
    return env["calendar.sync.account"].browse(env.cr.fetchone()[0])


def make_user(env, login, **kwargs):
    return new_test_user(
        env, login=login, groups="base.group_user", email=f"{login}@example.com", **kwargs
    )


class SyncCaseMixin:
    """What every provider's sync tests do: sync one account, make Odoo events, find links.

    The provider test case sets ``self.account``, ``self.user`` and ``self.now``.
    """

    def sync(self, account=None, expect_ok=True):
        account = account or self.account
        self.assertTrue(account._sync_try_lock())
        counts = account._sync_guarded()
        if expect_ok:
            self.assertIsNotNone(counts, f"sync failed: {account.last_error}")
        self.env.invalidate_all()
        return counts

    def odoo_event(self, name="Odoo meeting", hours_from_now=48, **vals):
        start = (self.now + dt.timedelta(hours=hours_from_now)).replace(tzinfo=None)
        return (
            self.env["calendar.event"]
            .with_user(self.user)
            .create({"name": name, "start": start, "stop": start + dt.timedelta(hours=1), **vals})
        )

    def remote_title(self, remote_id):
        """The remote event's title (each provider's test case says how to read it)."""
        raise NotImplementedError

    def set_remote_title(self, remote_id, title):
        raise NotImplementedError

    def contest(self, policy):
        """The same event renamed on both sides between two syncs, under ``policy``.

        Returns (Odoo title, remote title) once the dust has settled.
        """
        self.env["ir.config_parameter"].set_param("calendar_sync.conflict_policy", policy)
        event = self.odoo_event("Contested")
        self.sync()
        remote_id = event.sudo().sync_link_ids.remote_id
        self.set_remote_title(remote_id, "Remote title")
        event.with_user(self.user).write({"name": "Odoo title"})
        self.sync()
        self.sync()
        return event.name, self.remote_title(remote_id)

    def linked(self, remote_id):
        """The Odoo event or series this account links to ``remote_id``."""
        link = self.env["calendar.sync.link"].search(
            [("account_id", "=", self.account.id), ("remote_id", "=", remote_id)]
        )
        return link.event_id or link.recurrence_id


class SyncProblemsCases:
    """Pushes a provider refuses: counted, listed, retried, stopped (both providers).

    The provider test case implements ``refuse_updates(remote_id)`` (arms a lasting 4xx on
    updates of that remote event, returns the fault) and ``stop_refusing(fault)``.
    """

    def refuse_updates(self, remote_id):
        raise NotImplementedError

    def stop_refusing(self, fault):
        raise NotImplementedError

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
        self.assertIn("403", event.with_user(self.user).sync_problem)
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


class HonestStateCases:
    """What the user and the administrators are told (both providers).

    The provider test case implements ``drop_next_batch()`` (the next push request gets no
    answer at all).
    """

    def drop_next_batch(self):
        raise NotImplementedError

    def misconfiguration_notices(self):
        admins = self.env.ref("base.group_system").users
        return self.env["mail.message"].search_count(
            [
                ("partner_ids", "in", admins.partner_id.ids),
                ("subject", "ilike", "misconfigured"),
            ]
        )

    def test_configuration_error_tells_the_administrators_once(self):
        params = self.env["ir.config_parameter"].sudo()
        key = f"calendar_sync_{self.account.provider}.client_id"
        client_id = params.get_param(key)
        params.set_param(key, "")
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
        params.set_param(key, client_id)
        self.sync()
        params.set_param(key, "")
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
