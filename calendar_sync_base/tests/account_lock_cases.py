import time
from contextlib import closing

from odoo import api, sql_db
from odoo.tests.common import get_db_name

from .common import insert_account


class AccountLockCases:
    """Two cron workers on one database: the second skips the account the first holds.

    Uses real committed rows and two real connections, because row locks only exist between
    separate transactions (a test cursor would share one).
    """

    provider = None  # the test case's provider (``_sync_provider_code``)
    allow_inherited_tests_method = True

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(get_db_name())
        with closing(self.db.cursor()) as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            user = env.ref("base.user_admin")
            self.account_id = insert_account(env, user, self.provider).id
            # Row locks only exist between committed rows and separate transactions;
            # the row is deleted again by the cleanup below.
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._delete_account)

    def _delete_account(self):
        # (its sync requests go with it: ON DELETE CASCADE)
        with closing(self.db.cursor()) as cr:
            cr.execute("DELETE FROM calendar_sync_account WHERE id = %s", [self.account_id])
            cr.commit()  # pylint: disable=invalid-commit

    def _account(self, cr):
        return api.Environment(cr, api.SUPERUSER_ID, {})["calendar.sync.account"].browse(
            self.account_id
        )

    def _try_lock(self, cr):
        return self._account(cr)._sync_try_lock()

    def _request_and_commit(self, cr):
        """A user's save that queues a push, as one transaction that must not wait."""
        cr.execute("SET LOCAL lock_timeout = '2s'")  # a regression fails here, not hangs
        started = time.monotonic()
        self._account(cr)._sync_request()
        cr.commit()  # pylint: disable=invalid-commit
        return time.monotonic() - started

    def _requests(self):
        with closing(self.db.cursor()) as cr:
            cr.execute(
                "SELECT count(*) FROM calendar_sync_request WHERE account_id = %s",
                [self.account_id],
            )
            return cr.fetchone()[0]

    def test_second_worker_skips_a_locked_account_then_gets_it(self):
        with closing(self.db.cursor()) as first, closing(self.db.cursor()) as second:
            self.assertTrue(self._try_lock(first))
            self.assertFalse(self._try_lock(second), "held by the first worker: skipped")
            first.rollback()
            self.assertTrue(self._try_lock(second), "free again once the first one is done")
            second.rollback()

    def test_rotated_credentials_are_committed_while_the_sync_holds_the_account(self):
        self.addCleanup(self._delete_saved_credentials)
        with closing(self.db.cursor()) as sync:
            self.assertTrue(self._try_lock(sync))
            account = api.Environment(sync, api.SUPERUSER_ID, {})["calendar.sync.account"]
            _credentials, save = account.browse(self.account_id)._sync_credentials()
            save({"refresh_token": "rotated"})  # would wait forever on the account's row lock
            with closing(self.db.cursor()) as other:
                other.execute(
                    "SELECT refresh_token FROM calendar_sync_credential WHERE account_id = %s",
                    [self.account_id],
                )
                self.assertEqual(other.fetchone(), ("rotated",), "committed, sync still open")
            sync.rollback()

    def _delete_saved_credentials(self):
        with closing(self.db.cursor()) as cr:
            cr.execute(
                "DELETE FROM calendar_sync_credential WHERE account_id = %s", [self.account_id]
            )
            cr.commit()  # pylint: disable=invalid-commit

    def test_a_sync_request_never_waits_for_the_sync_holding_the_account(self):
        with closing(self.db.cursor()) as sync, closing(self.db.cursor()) as user:
            self.assertTrue(self._try_lock(sync))
            self.assertLess(self._request_and_commit(user), 1, "no wait for the sync's lock")
            sync.rollback()
        self.assertEqual(self._requests(), 1)

    def test_a_sync_consumes_earlier_requests_and_keeps_those_made_meanwhile(self):
        with closing(self.db.cursor()) as user:
            self._request_and_commit(user)
        with closing(self.db.cursor()) as sync, closing(self.db.cursor()) as user:
            self.assertTrue(self._try_lock(sync))  # the sync's transaction has begun
            self._request_and_commit(user)  # a save while it runs: its change may be unseen
            self.assertEqual(self._requests(), 2)
            self._account(sync).env["calendar.sync.request"]._sync_consume(self._account(sync))
            sync.commit()  # pylint: disable=invalid-commit
        self.assertEqual(self._requests(), 1, "the request made during the sync waits")
