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
        with closing(self.db.cursor()) as cr:
            cr.execute("DELETE FROM calendar_sync_account WHERE id = %s", [self.account_id])
            cr.commit()  # pylint: disable=invalid-commit

    def _try_lock(self, cr):
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        return env["calendar.sync.account"].browse(self.account_id)._sync_try_lock()

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
