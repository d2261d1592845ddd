import datetime as dt
import enum

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from calendar_sync_base.services.merge import ConflictPolicy
from calendar_sync_base.services.model import Attendee, Reminder
from calendar_sync_base.services.timeutil import naive_utc

from .calendar_sync_account import CONFLICT_POLICIES
from .calendar_sync_runner import NEUTRAL_TO_ODOO_FIELDS


class CalendarSyncLog(models.Model):
    """One change a sync applied (or refused), with its field-level old and new values."""

    _name = "calendar.sync.log"
    _description = "Calendar Sync History"
    _order = "create_date desc, id desc"

    account_id = fields.Many2one("calendar.sync.account", ondelete="cascade", index=True)
    user_id = fields.Many2one("res.users", required=True, ondelete="cascade", index=True)
    provider = fields.Selection(related="account_id.provider", store=True)
    direction = fields.Selection(
        [("pull", "Remote -> Odoo"), ("push", "Odoo -> Remote")], required=True
    )
    operation = fields.Selection(
        [
            ("create", "Created"),
            ("update", "Updated"),
            ("delete", "Deleted"),
            ("link", "Linked"),
            ("reply", "Answered"),
            ("conflict", "Conflict"),
            ("error", "Error"),
            ("warning", "Warning"),
            ("import", "First Synchronization"),
        ],
        required=True,
    )
    area = fields.Selection(
        [("calendar", "Calendar"), ("contacts", "Contacts"), ("mail", "Sent E-mails")],
        string="Synchronization",
        default="calendar",
        required=True,
        help="What was being synchronized: events, contacts, or e-mails copied to Sent Items.",
    )
    res_model = fields.Char("Model", index=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", index=True)
    record_ref = fields.Reference(
        [("calendar.event", "Event"), ("calendar.recurrence", "Recurring Series")],
        string="Record",
        compute="_compute_record",
        help="Empty once the record is deleted.",
    )
    record_name = fields.Char()
    record_label = fields.Char("Event", compute="_compute_record")
    remote_id = fields.Char()
    message = fields.Text()
    conflict_policy = fields.Selection(
        CONFLICT_POLICIES, string="Rule Applied", help="Conflicts: the rule that chose the winner."
    )
    conflict_winner = fields.Selection(
        [("odoo", "Odoo"), ("remote", "Remote calendar")], string="Winner"
    )
    line_ids = fields.One2many("calendar.sync.log.line", "log_id", string="Changed Fields")
    # A first synchronization imports a whole calendar: one summary entry, its details on
    # demand (hidden from the default history list).
    parent_id = fields.Many2one(
        "calendar.sync.log", "First Synchronization", ondelete="set null", index=True
    )
    detail_ids = fields.One2many("calendar.sync.log", "parent_id", string="Imported Events")
    reverted = fields.Boolean(readonly=True)
    can_revert = fields.Boolean(compute="_compute_can_revert")
    revert_summary = fields.Text(compute="_compute_can_revert")

    @api.depends("res_model", "res_id", "record_name", "detail_ids")
    def _compute_record(self):
        for log in self:
            record = log._record()
            log.record_ref = f"{record._name},{record.id}" if record else False
            if log.operation == "import":
                log.record_label = self.env._("%(count)s events", count=len(log.detail_ids))
            elif record or not log.res_id:
                log.record_label = log.record_name
            else:
                log.record_label = self.env._("%(name)s (deleted)", name=log.record_name or "")

    @api.depends("operation", "record_label")
    def _compute_display_name(self):
        operations = dict(self._fields["operation"]._description_selection(self.env))
        for log in self:
            operation = operations.get(log.operation, "")
            log.display_name = f"{operation}: {log.record_label}" if log.record_label else operation

    def _record(self):
        """The record this entry is about, archived or not; empty once it is deleted."""
        self.ensure_one()
        if not self.res_model or not self.res_id or self.res_model not in self.env:
            return None
        record = self.env[self.res_model].with_context(active_test=False).browse(self.res_id)
        return record.exists() or None

    @api.depends("operation", "direction", "reverted", "line_ids.old_value_raw", "res_id")
    def _compute_can_revert(self):
        """Revert is offered for what a pull changed in Odoo, on events that still exist.

        Pushes are left out: a pushed creation, update or deletion is the user's own edit in
        Odoo copied to the remote calendar; the sync changed nothing in Odoo to undo there.
        """
        for log in self:
            event = log.res_model == "calendar.event" and log._record()
            log.can_revert = bool(
                not log.reverted
                and log.direction == "pull"
                and event
                and (
                    (log.operation == "update" and log.line_ids)
                    or (log.operation == "create" and event.active)
                    or (log.operation == "delete" and not event.active and not event.recurrence_id)
                )
            )
            log.revert_summary = log.can_revert and log._revert_summary(event)

    def _revert_summary(self, event):
        """What Revert will do and in which calendars, said before it acts."""
        calendars = self._revert_calendars(event)
        if self.operation == "create":
            if calendars:
                return self.env._(
                    "This will archive %(event)s in Odoo and delete it from %(calendars)s.",
                    event=event.display_name,
                    calendars=calendars,
                )
            return self.env._("This will archive %(event)s in Odoo only.", event=event.display_name)
        if self.operation == "delete":
            if calendars:
                return self.env._(
                    "This will restore %(event)s in Odoo and create it again in %(calendars)s.",
                    event=event.display_name,
                    calendars=calendars,
                )
            return self.env._("This will restore %(event)s in Odoo only.", event=event.display_name)
        changed = ", ".join(self.line_ids.mapped("field_label"))
        if calendars:
            return self.env._(
                "This will put back the previous %(fields)s of %(event)s in Odoo and send it "
                "to %(calendars)s.",
                fields=changed,
                event=event.display_name,
                calendars=calendars,
            )
        return self.env._(
            "This will put back the previous %(fields)s of %(event)s in Odoo only.",
            fields=changed,
            event=event.display_name,
        )

    def _revert_calendars(self, event):
        """The remote calendars Revert changes: those whose copy the user's push may edit.

        A pulled deletion is created again only in the calendar that deleted it.
        """
        if self.operation == "delete":
            accounts = self.account_id.filtered(lambda account: account._sync_organizes(event))
        else:
            links = event.sudo().sync_link_ids.filtered(lambda link: not link.stopped)
            accounts = links.account_id.filtered(lambda account: account._sync_organizes(event))
        labels = dict(self._fields["provider"]._description_selection(self.env))
        names = [
            labels.get(provider, provider) for provider in sorted(set(accounts.mapped("provider")))
        ]
        if len(names) < 2:
            return "".join(names)
        return self.env._("%(first)s and %(last)s", first=", ".join(names[:-1]), last=names[-1])

    def action_confirm_revert(self):
        """Say what Revert will do and where before doing it (a dialog with Confirm)."""
        self.ensure_one()
        if not self.can_revert:
            raise UserError(self.env._("This change cannot be reverted."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Revert"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [
                (self.env.ref("calendar_sync_base.calendar_sync_log_view_form_revert").id, "form")
            ],
            "target": "new",
        }

    def action_revert(self):
        """Undo exactly what a pull did, on the same record, as a user edit that is pushed.

        An update gets its old values back, a creation is archived, a deletion (which the
        sync did as an archive) is restored and created again in the calendar it left.
        """
        for log in self:
            if not log.can_revert:
                raise UserError(self.env._("This change cannot be reverted."))
            event = log._record()
            if log.operation == "delete":
                log._relink_restored(event)
            event.write(log._revert_values())
            log.sudo().reverted = True
            log._post_reverted(event)
        return {"type": "ir.actions.act_window_close"}

    def _relink_restored(self, event):
        """Queue the restored event for the calendar that deleted it, and only that one.

        The link keeps the event's origin (that calendar), so the restore is not taken for
        a new Odoo event and sent to the user's other calendars as well.
        """
        account = self.account_id.sudo()
        if not account or not account._sync_organizes(event):
            return
        link_model = self.env["calendar.sync.link"].sudo()
        if not link_model._for_records(account, event):
            link_model._bind(account, event, origin="pull", need_push=True)

    def _post_reverted(self, event):
        """Say on the event's chatter that the synchronized change was undone, and by whom."""
        event.sudo()._message_log(
            body=self.env._(
                "%(provider)s sync change reverted by %(user)s (%(change)s).",
                provider=self._provider_label(),
                user=self.env.user.name,
                change=self.display_name,
            )
        )

    def _provider_label(self):
        return dict(self._fields["provider"]._description_selection(self.env)).get(
            self.provider, ""
        )

    def _revert_values(self):
        if self.operation == "create":
            return {"active": False}
        if self.operation == "delete":
            return {"active": True}
        return {line.field_name: line.old_value_raw for line in self.line_ids}

    @api.autovacuum
    def _gc_history(self):
        """Drop history older than the retention (Settings, default 90 days)."""
        days = int(
            self.env["ir.config_parameter"].sudo().get_param("calendar_sync.history_days", 90)
        )
        if days > 0:
            limit = fields.Datetime.subtract(fields.Datetime.now(), days=days)
            self.sudo().search([("create_date", "<", limit)]).unlink()

    @api.model
    def _log_change(self, account, direction, operation, record=None, changes=None, **extra):
        """Record one applied change.

        ``changes`` maps an Odoo field name to ``(old readable, new readable, old raw)``;
        the raw old value is what Revert writes back.
        """
        return self._log_changes(
            account, direction, operation, [(record, changes, extra)], on_chatter=True
        )

    @api.model
    def _log_changes(self, account, direction, operation, entries, on_chatter=False):
        """Record many changes of one kind at once: ``entries`` are ``(record, changes,
        extra)`` as ``_log_change`` takes them. Nothing is posted on the records' chatter
        unless asked: for a whole page of a pull, the history is the record."""
        vals_list = [
            self._log_vals(account, direction, operation, record, changes, extra)
            for record, changes, extra in entries
        ]
        if direction == "pull" and operation in ("create", "link") and not account.first_sync_done:
            parent = self._first_sync_summary(account)  # once for the whole page
            for vals in vals_list:
                vals["parent_id"] = parent.id
        logs = self.sudo().create(vals_list)
        if on_chatter:
            for log, (record, _changes, _extra) in zip(logs, entries, strict=True):
                if record and record._name == "calendar.event" and direction == "pull":
                    log._post_on_chatter(record)
        return logs

    @api.model
    def _log_vals(self, account, direction, operation, record, changes, extra):
        vals = {
            "account_id": account.id,
            "user_id": account.user_id.id,
            "direction": direction,
            "operation": operation,
            "line_ids": [
                fields.Command.create(
                    {
                        "field_name": name,
                        "old_value": self._user_time_text(name, old, account),
                        "new_value": self._user_time_text(name, new, account),
                        "old_value_raw": raw,
                    }
                )
                for name, (old, new, raw) in (changes or {}).items()
            ],
        }
        if record:
            vals.update(res_model=record._name, res_id=record.id, record_name=_title(record))
        return {**vals, **extra}

    @api.model
    def _first_sync_summary(self, account):
        """The one entry standing for this first synchronization's imported events."""
        # Kept on the cursor the first sync runs through; gone if its savepoint rolled back.
        summaries = self.env.cr.cache.setdefault("calendar_sync.first_sync_logs", {})
        summary = self.sudo().browse(summaries.get(account.id)).exists()
        if not summary and account.sudo().sync_page_token:
            # A listing resumed in a later run (the cron commits page by page): same entry.
            summary = self.sudo().search(
                [("account_id", "=", account.id), ("operation", "=", "import")],
                order="id desc",
                limit=1,
            )
        if not summary:
            summary = self.sudo().create(
                {
                    "account_id": account.id,
                    "user_id": account.user_id.id,
                    "direction": "pull",
                    "operation": "import",
                    "message": self.env._(
                        "The events already in the calendar when it was connected, imported "
                        "into Odoo or linked to the same events there (listed below)."
                    ),
                }
            )
        summaries[account.id] = summary.id
        return summary

    def _user_time_text(self, name, text, account):
        """A date and time as the user reads it: in their time zone, in their format."""
        field = self.env["calendar.event"]._fields.get(name)
        if not text or not field or field.type != "datetime":
            return text
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            return text
        return self._readable_time(moment, account)

    @api.model
    def _log_conflict(self, account, record, action):
        """One entry per conflicting event: both values of each field, the rule, the winner.

        The values are the ones the merge compared: Odoo's before the pull, the remote's.
        """
        resolution = action.resolution
        changes = {
            NEUTRAL_TO_ODOO_FIELDS.get(name, name): (
                _readable_neutral(getattr(action.local.event, name)),
                _readable_neutral(getattr(action.remote, name)),
                None,
            )
            for name in action.conflicts
        }
        return self._log_change(
            account, "pull", "conflict", record, changes=changes,
            remote_id=action.remote.remote_id,
            conflict_policy=resolution.policy.value,
            conflict_winner="remote" if resolution.remote_won else "odoo",
            message=self._conflict_reason(account, resolution),
        )  # fmt: skip

    def _conflict_reason(self, account, resolution):
        """Why the winner won, in the user's words and time zone."""
        remote_name = dict(self._fields["provider"]._description_selection(self.env)).get(
            account.provider, self.env._("the remote calendar")
        )
        winner = remote_name if resolution.remote_won else "Odoo"
        if resolution.policy != ConflictPolicy.NEWEST_WINS:
            if resolution.without_base:
                return self.env._(
                    "The first synchronization found different values on both sides and no "
                    "earlier synchronization to tell which side changed them; the rule keeps "
                    "%(winner)s's values.",
                    winner=winner,
                )
            return self.env._(
                "Both sides changed these fields since the last synchronization; the rule "
                "keeps %(winner)s's values.",
                winner=winner,
            )
        times = {
            "winner": winner,
            "odoo_time": self._readable_time(resolution.local_modified, account),
            "remote": remote_name,
            "remote_time": self._readable_time(resolution.remote_modified, account),
        }
        if resolution.without_base:
            return self.env._(
                "The first synchronization found different values on both sides and no "
                "earlier synchronization to tell which side changed them; the copy changed "
                "last wins: %(winner)s (changed in Odoo: %(odoo_time)s, in %(remote)s: "
                "%(remote_time)s).",
                **times,
            )
        return self.env._(
            "Both sides changed these fields since the last synchronization; the newest "
            "change wins: %(winner)s (changed in Odoo: %(odoo_time)s, in %(remote)s: "
            "%(remote_time)s).",
            **times,
        )

    def _readable_time(self, moment, account):
        if moment is None:
            return self.env._("unknown")
        return format_datetime(self.env, naive_utc(moment), tz=account.user_id.tz or "UTC")

    def _post_on_chatter(self, record):
        """A short line on the event, so its history shows what the sync changed."""
        fields_changed = ", ".join(self.line_ids.mapped("field_label"))
        body = self.env._(
            "%(provider)s sync: %(operation)s %(fields)s",
            provider=self._provider_label(),
            operation=dict(self._fields["operation"]._description_selection(self.env))[
                self.operation
            ].lower(),
            fields=f"({fields_changed})" if fields_changed and self.operation == "update" else "",
        )
        record.sudo()._message_log(body=body)


def _title(record):
    """What the user calls the record: a series by its events' title, not its rule."""
    if record._name == "calendar.recurrence":
        return record.base_event_id.name or record.display_name
    return record.display_name


def _readable_neutral(value):
    """A neutral field value as a user reads it (attendees by address, reminders by delay)."""
    if isinstance(value, tuple):
        return ", ".join(_readable_neutral(item) for item in value)
    if isinstance(value, Attendee):
        return value.email
    if isinstance(value, Reminder):
        return f"{value.minutes} min ({value.method})"
    if isinstance(value, enum.Enum):
        return str(value.value)
    return "" if value is None else str(value)
