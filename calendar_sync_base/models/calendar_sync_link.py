from odoo import api, fields, models

from calendar_sync_base.services.pull_selection import KnownLink


class CalendarSyncLink(models.Model):
    """One Odoo record mirrored in one connected remote calendar: the binder.

    A meeting shared by several connected users (or by Google and Outlook) keeps one Odoo
    event with one link per account, instead of one duplicate event per calendar.
    ``snapshot`` is the last state both sides agreed on: the base of the three-way merge.
    A link whose record was deleted in Odoo survives (``event_id`` empty) until the remote
    copy is deleted too. Links are found and stored through ``_for_remote_ids``,
    ``_for_records`` and ``_bind`` (OCA connector's binder).
    """

    _name = "calendar.sync.link"
    _description = "Calendar Sync Link"
    _rec_name = "remote_id"

    account_id = fields.Many2one(
        "calendar.sync.account", required=True, ondelete="cascade", index=True
    )
    provider = fields.Selection(related="account_id.provider", store=True)
    event_id = fields.Many2one("calendar.event", ondelete="set null", index="btree_not_null")
    recurrence_id = fields.Many2one(
        "calendar.recurrence", ondelete="set null", index="btree_not_null"
    )
    remote_id = fields.Char(index=True)
    ical_uid = fields.Char("iCalUID", index="btree_not_null")
    etag = fields.Char()
    snapshot = fields.Json(help="Last synced state, the base of the three-way merge.")
    origin = fields.Selection(
        [("pull", "Came from the remote calendar"), ("push", "Created from Odoo")],
        default="pull",
        required=True,
    )
    stopped = fields.Boolean(
        help="The user switched synchronization off for this event: pulls ignore the remote "
        "copy and a copy Odoo created is deleted."
    )
    need_push = fields.Boolean(index=True)
    silent_push = fields.Boolean(
        help="Queued by a first sync or a reset: pushed without e-mailing the guests."
    )
    guests_withheld = fields.Boolean(
        help="Pushed by a first sync or a reset without its guest list (the provider would "
        "have e-mailed the guests): the guests stay in Odoo and are never sent."
    )
    push_error = fields.Text(help="Why the last push of this record failed; it stays queued.")

    _sql_constraints = [
        (
            "remote_unique",
            "unique(account_id, remote_id)",
            "A remote event can only be linked once per account.",
        ),
        (
            "event_unique",
            "unique(account_id, event_id)",
            "An event can only be linked once per account.",
        ),
        (
            "recurrence_unique",
            "unique(account_id, recurrence_id)",
            "A recurrence can only be linked once per account.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        links = super().create(vals_list)
        links.filtered("need_push").account_id._sync_request()
        return links

    def write(self, vals):
        result = super().write(vals)
        if vals.get("need_push"):
            # Every path that queues a push (edits, deletions, answers, toggles) ends here.
            self.account_id._sync_request()
        return result

    @api.model
    def _link_field_for(self, model_name):
        return "recurrence_id" if model_name == "calendar.recurrence" else "event_id"

    @api.model
    def _for_remote_ids(self, account, remote_ids):
        """The links of ``account`` with these remote ids."""
        return self.search([("account_id", "=", account.id), ("remote_id", "in", list(remote_ids))])

    @api.model
    def _for_records(self, account, records):
        """The links of ``account`` of these events, or of these series."""
        field_name = self._link_field_for(records._name)
        return self.search([("account_id", "=", account.id), (field_name, "in", records.ids)])

    @api.model
    def _binding_vals(self, account, record, **vals):
        """Values of the link of ``record`` (an event or a series) in ``account``."""
        return {"account_id": account.id, self._link_field_for(record._name): record.id, **vals}

    @api.model
    def _bind(self, account, record, **vals):
        """Link ``record`` to ``account``: with its remote identity in ``vals``, or none yet
        (a pending link, queued for its first push)."""
        return self.create(self._binding_vals(account, record, **vals))

    def _sync_known_link(self):
        """This link as a pull's selection of remote events needs it."""
        self.ensure_one()
        return KnownLink(
            etag=self.etag or "",
            record_exists=bool(self.with_context(active_test=False)._record()),
            stopped=self.stopped,
            guests_withheld=self.guests_withheld,
        )

    def _record(self):
        self.ensure_one()
        return self.event_id or self.recurrence_id

    def _sync_stop(self):
        """Stop synchronizing these links: a remote copy Odoo created is deleted by the next
        push, one that came from the remote calendar is left there and ignored."""
        self.filtered(lambda link: not link.remote_id).unlink()
        links = self.exists()
        ours = links.filtered(lambda link: link.origin == "push")
        ours.write({"stopped": True, "need_push": True})
        (links - ours).write({"stopped": True, "need_push": False})
