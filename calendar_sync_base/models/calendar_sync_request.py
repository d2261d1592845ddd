from odoo import api, fields, models

# Accounts this transaction already asked a sync for: one request each is enough.
REQUESTED_KEY = "calendar_sync.requested_ids"


class CalendarSyncRequest(models.Model):
    """A connection waiting for a sync within seconds: a change made in Odoo waits to be
    pushed, a push notification came, the user opened Calendar, a listing goes on.

    Why rows of their own, only ever inserted by the requester: a running sync holds its
    account's row lock for as long as it lasts (up to a minute), and a user's save that
    wrote the account row (the old ``sync_requested`` flag) waited for it. An INSERT here
    waits for nothing: the foreign key's check takes a key-share lock, which the sync's
    ``FOR NO KEY UPDATE`` lets through, and there is no unique index (an index would make
    an insert wait for an uncommitted insert or delete of the same account, the sync's own).
    Several requests of one account are harmless: a sync consumes every request it can see.

    A sync consumes them in the transaction that reads its push queue, so it only forgets
    requests committed before that transaction began (their changes are in the queue it
    reads); a request committed meanwhile is not visible to it, survives, and the run it
    woke syncs the account again.
    """

    _name = "calendar.sync.request"
    _description = "Calendar Sync Request"

    account_id = fields.Many2one(
        "calendar.sync.account", required=True, ondelete="cascade", index=True
    )

    @api.model
    def _sync_add(self, accounts):
        """Ask for a sync of ``accounts`` in the current transaction, once each."""
        requested = self.env.cr.precommit.data.setdefault(REQUESTED_KEY, set())
        new = accounts.filtered(lambda account: account.id not in requested)
        requested.update(new.ids)
        self.sudo().create([{"account_id": account.id} for account in new])

    @api.model
    def _sync_consume(self, account):
        """Forget the requests of ``account`` this transaction sees: its sync serves them."""
        self.sudo().search([("account_id", "=", account.id)]).unlink()
        self.env.cr.precommit.data.setdefault(REQUESTED_KEY, set()).discard(account.id)
