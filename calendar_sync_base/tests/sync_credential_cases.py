from odoo.exceptions import AccessError

from ..models.calendar_sync_credential import credentials_fingerprint
from .common import insert_account, make_user


class SyncCredentialCases:
    provider = None  # the test case's provider (``_sync_provider_code``)
    allow_inherited_tests_method = True

    def test_only_credentials_a_sync_may_still_take_are_kept(self):
        waiting = insert_account(self.env, make_user(self.env, "cred_waiting"), self.provider)
        reconnected = insert_account(
            self.env, make_user(self.env, "cred_reconnected"), self.provider
        )
        waiting.refresh_token = reconnected.refresh_token = "before"
        Saved = self.env["calendar.sync.credential"]
        rows = Saved.create(
            [
                {"account_id": account.id, "replaces": credentials_fingerprint(account)}
                for account in waiting + reconnected
            ]
            + [{"account_id": reconnected.id + 1000, "replaces": "of a deleted account"}]
        )
        reconnected.refresh_token = "connected again"
        Saved._gc_replaced()
        self.assertEqual(rows.exists().mapped("account_id"), [waiting.id])

    def test_users_cannot_read_them(self):
        user = make_user(self.env, "cred_reader")
        with self.assertRaises(AccessError):
            self.env["calendar.sync.credential"].with_user(user).search([])
