from odoo import api, fields, models
from odoo.exceptions import UserError

from calendar_sync_base.services.model import SyncEvent
from calendar_sync_base.services.protocol import OpKind, PushOp

from ..models.calendar_sync_account import EXISTING_GUESTS_POLICIES
from ..models.calendar_sync_mixin import PULL_CONTEXT_KEY
from ..models.calendar_sync_runner import _archived

DELETE_REMOTE = ("delete_remote", "delete_both")
DELETE_ODOO = ("delete_odoo", "delete_both")


class CalendarSyncResetWizard(models.TransientModel):
    """Start a connection over: optionally delete its events on one or both sides, forget
    tokens and sync cursors, and choose what the next synchronization pushes.

    Only events linked to this connection and organized by its user are ever deleted;
    invitations from others are left alone on both sides.
    """

    _name = "calendar.sync.reset.wizard"
    _description = "Reset Calendar Synchronization"

    account_id = fields.Many2one("calendar.sync.account", required=True, ondelete="cascade")
    provider_label = fields.Char(compute="_compute_counts")
    delete_policy = fields.Selection(
        [
            ("dont_delete", "Leave them untouched"),
            ("delete_remote", "Delete from the remote calendar"),
            ("delete_odoo", "Delete from Odoo"),
            ("delete_both", "Delete from both"),
        ],
        string="User's Existing Events",
        default="dont_delete",
        required=True,
    )
    sync_policy = fields.Selection(
        [("new", "Synchronize only new events"), ("all", "Synchronize all existing events")],
        string="Next Synchronization",
        default="new",
        required=True,
        help="Only new: Odoo pushes only events created or changed after the reset. "
        "All: existing events are matched with the remote calendar first (no duplicates), "
        "then the rest is pushed without e-mailing guests where the remote calendar can, "
        "otherwise as chosen below for events with guests.",
    )
    existing_guests_policy = fields.Selection(
        EXISTING_GUESTS_POLICIES,
        string="Existing Events with Guests",
        default="without_guests",
        required=True,
        help="This remote calendar e-mails the guests of every event created with guests.",
    )
    asks_existing_guests = fields.Boolean(compute="_compute_counts")
    organized_count = fields.Integer(compute="_compute_counts")
    invitation_count = fields.Integer(compute="_compute_counts")
    shared_count = fields.Integer(
        compute="_compute_counts",
        help="Events of the user also synchronized with another of their connections.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        accounts = self.env["calendar.sync.account"].browse(
            [vals["account_id"] for vals in vals_list if vals.get("account_id")]
        )
        accounts.exists()._check_own_account()
        return super().create(vals_list)

    @api.depends("account_id")
    def _compute_counts(self):
        labels = dict(
            self.env["calendar.sync.account"]._fields["provider"]._description_selection(self.env)
        )
        for wizard in self:
            # Also computed on unsaved wizards (onchange): never for another user's connection.
            wizard.account_id._check_own_account()
            account = wizard.account_id.sudo()
            records = [link._record() for link in account.link_ids if link._record()]
            mine = [record for record in records if account._sync_organizes(record)]
            wizard.organized_count = len(mine)
            wizard.invitation_count = len(records) - len(mine)
            wizard.shared_count = len(_shared(account, mine))
            wizard.provider_label = labels.get(account.provider, "")
            wizard.asks_existing_guests = not account._sync_provider_pushes_silently(
                account.provider
            )

    def action_reset(self):
        self.ensure_one()
        self.account_id._check_own_account()
        account = self.account_id.sudo()
        links = account.with_context(active_test=False).link_ids
        mine = links.filtered(
            lambda link: link._record() and account._sync_organizes(link._record())
        )
        records = [link._record() for link in mine]
        # Another connection still mirrors these: deleting them from Odoo would delete them
        # from that calendar too (or leave its copies linked to nothing), so Odoo keeps them.
        kept = _shared(account, records) if self.delete_policy in DELETE_ODOO else records
        if self.delete_policy in DELETE_REMOTE:
            self._delete_remote(account, mine)
        if self.delete_policy in DELETE_ODOO:
            self._delete_in_odoo([record for record in records if record not in kept])
        links.exists().unlink()
        if self.delete_policy in DELETE_REMOTE and self.sync_policy == "all":
            self._queue_again(account, kept)
        account.push_channel_ids._push_close()  # while the grant still allows it
        account.write(
            {
                "state": "disconnected",
                "sync_cursor": False,
                "sync_page_token": False,
                "access_token": False,
                "access_token_expiry": False,
                "refresh_token": False,
                "token_cache": False,
                "first_sync_done": False,
                "queue_existing": self.sync_policy == "all",
                "existing_guests_policy": self.existing_guests_policy,
                "queued_count": 0,
                "last_error": False,
            }
        )
        self.env["calendar.sync.log"]._log_change(
            account, "push", "delete" if self.delete_policy != "dont_delete" else "link",
            message=self.env._(
                "Connection reset (%(delete)s; next: %(next)s).",
                delete=dict(self._fields["delete_policy"]._description_selection(self.env))[
                    self.delete_policy
                ],
                next=dict(self._fields["sync_policy"]._description_selection(self.env))[
                    self.sync_policy
                ],
            ),
        )  # fmt: skip
        # The calendar (or form) behind the dialog reloads: no deleted event or stale
        # "Synchronized" left on screen.
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def _delete_remote(self, account, links):
        """Delete the remote copies in batches; a series goes as one master.

        Restartable: each deleted copy's link is dropped at once, so running the reset again
        after a failure continues with what is left (a copy already gone counts as deleted).
        """
        connector = account._sync_connector()
        batch_size = account._sync_batch_size()
        targets = links.filtered("remote_id").sorted(lambda link: not link.recurrence_id)
        failures = []
        for start in range(0, len(targets), batch_size):
            chunk = targets[start : start + batch_size]
            ops = [
                PushOp(
                    OpKind.DELETE,
                    f"calendar.sync.link,{link.id}",
                    SyncEvent(remote_id=link.remote_id),
                )
                for link in chunk
            ]
            for link, result in zip(chunk, connector.apply(ops), strict=True):
                if result.ok:
                    link.unlink()
                else:
                    failures.append(f"{link.remote_id}: {result.error}")
        if failures:
            raise UserError(
                self.env._(
                    "Some remote events could not be deleted; run the reset again to retry.\n%s",
                    "\n".join(failures[:10]),
                )
            )

    def _queue_again(self, account, records):
        """Queue the events whose remote copy the reset deleted: "all existing events" sends
        them again, silently, even those that came from (or also live in) another calendar,
        which the first sync's own queue leaves out; events with guests as the wizard says."""
        link_model = self.env["calendar.sync.link"].sudo()
        # The policy chosen in this wizard for events with guests (see _sync_queue_existing).
        account.existing_guests_policy = self.existing_guests_policy
        policy = account._sync_existing_guests_policy()
        records = [record for record in records if not _archived(record)]
        with_guests = {record for record in records if account._sync_has_guests(record)}
        link_model.create(
            [
                link_model._binding_vals(
                    account,
                    record,
                    need_push=True,
                    silent_push=True,
                    guests_withheld=policy == "without_guests" and record in with_guests,
                    origin="push",
                )
                for record in records
                if not (policy == "hold" and record in with_guests)
            ]
        )

    def _delete_in_odoo(self, records):
        events = self.env["calendar.event"].with_context(active_test=False)
        for record in records:
            events |= record.calendar_event_ids if record._name == "calendar.recurrence" else record
        events.with_context(**{PULL_CONTEXT_KEY: True}).unlink()


def _shared(account, records):
    """The records another connection of the user also mirrors."""
    return [
        record
        for record in records
        if record.sudo().sync_link_ids.filtered(
            lambda link: link.account_id != account and link.remote_id and not link.stopped
        )
    ]
