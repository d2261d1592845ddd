from odoo import fields, models


class CalendarSyncSkippedItem(models.Model):
    """A remote item a sync could not apply, remembered at the version that failed.

    While the remote item keeps that version, later syncs skip it without trying or reporting
    it again; once it changes remotely it is tried again, and forgotten when it applies.
    """

    _name = "calendar.sync.skipped.item"
    _description = "Calendar Sync Skipped Remote Item"

    account_id = fields.Many2one(
        "calendar.sync.account", required=True, ondelete="cascade", index=True
    )
    remote_id = fields.Char(required=True)
    version = fields.Char(help="The remote version (etag, change key) that could not be applied.")
    reason = fields.Char()

    _sql_constraints = [
        (
            "account_remote_unique",
            "unique(account_id, remote_id)",
            "A remote item is skipped once per connection.",
        ),
    ]
