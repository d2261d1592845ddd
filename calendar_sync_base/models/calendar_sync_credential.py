import hashlib
import json

from odoo import SUPERUSER_ID, api, fields, models

CREDENTIAL_FIELDS = ("access_token", "access_token_expiry", "refresh_token", "token_cache")


def credentials_fingerprint(credentials):
    """A digest of credential values (one per ``CREDENTIAL_FIELDS``), to compare them."""
    values = [credentials[name] or "" for name in CREDENTIAL_FIELDS]
    return hashlib.sha256(json.dumps(values, default=str).encode()).hexdigest()


class CalendarSyncCredential(models.Model):
    """Credentials a provider rotated during a sync, saved at once in their own transaction.

    A token refresh may rotate the refresh token, and the old one may stop working at once.
    The sync writes the new one on the account in its own transaction, which a crash, a
    timeout or a rollback can lose: the user would then have to reconnect. So every rotation
    is also committed here, in a short transaction of its own, together with the fingerprint
    of the account's credentials it ``replaces``. The next sync takes these when the account
    still holds exactly those (its transaction was lost), and the account's own otherwise (the
    sync committed them, or the user connected again since).

    Why a table of its own and no foreign key: the sync holds the account's row lock
    (``SELECT ... FOR NO KEY UPDATE``) until it commits. Writing the account from a second
    transaction would wait for that lock, which the sync only releases once that second
    transaction is done: a deadlock PostgreSQL cannot see. A foreign key would refuse the
    account a request creates and syncs before committing it.
    """

    _name = "calendar.sync.credential"
    _description = "Calendar Sync Rotated Credentials"

    account_id = fields.Integer(required=True, index=True, help="A calendar.sync.account id.")
    replaces = fields.Char(
        required=True, help="Fingerprint of the account's credentials these replace."
    )
    access_token = fields.Char()
    access_token_expiry = fields.Datetime()
    refresh_token = fields.Char()
    token_cache = fields.Text()

    _sql_constraints = [
        ("account_unique", "unique(account_id)", "One set of rotated credentials per account.")
    ]

    @api.model
    def _sync_saved(self, account_id, replaces):
        """Credentials saved for ``account_id`` over ``replaces``, or None.

        Read in a transaction of its own: the caller's may have started before the last
        rotation was committed.
        """
        with self.env.registry.cursor() as cr:
            saved = self.with_env(api.Environment(cr, SUPERUSER_ID, {})).search(
                [("account_id", "=", account_id), ("replaces", "=", replaces)]
            )
            return {name: saved[name] for name in CREDENTIAL_FIELDS} if saved else None

    @api.model
    def _sync_save(self, account_id, replaces, credentials):
        """Commit ``credentials`` for ``account_id`` now, whatever becomes of the caller's
        transaction."""
        with self.env.registry.cursor() as cr:
            model = self.with_env(api.Environment(cr, SUPERUSER_ID, {}))
            vals = {"account_id": account_id, "replaces": replaces, **credentials}
            saved = model.search([("account_id", "=", account_id)])
            if saved:
                saved.write(vals)
            else:
                model.create(vals)

    @api.autovacuum
    def _gc_replaced(self):
        """Forget what no sync will take: rotations its account has since committed or
        replaced (reconnected, disconnected), and those of deleted accounts."""
        # At most one row per account, and most are deleted here.
        saved = self.sudo().search([])  # pylint: disable=no-search-all
        accounts = (
            self.env["calendar.sync.account"]
            .sudo()
            .with_context(active_test=False)
            .browse(saved.mapped("account_id"))
            .exists()
        )
        current = {account.id: credentials_fingerprint(account) for account in accounts}
        saved.filtered(lambda row: current.get(row.account_id) != row.replaces).unlink()
