import datetime as dt

from odoo import api, fields, models

from calendar_sync_base.services.model import Recurrence
from calendar_sync_base.services.odoo_recurrence import is_day_else_last, neutral_rule, odoo_rule
from calendar_sync_base.services.timeutil import naive_utc

from .calendar_sync_mixin import PULL_CONTEXT_KEY

UTC = dt.timezone.utc


class CalendarRecurrence(models.Model):
    """A recurring series is synced as one remote series master.

    Its neutral form is the base event's fields plus the rule and the excluded dates; the
    occurrences Odoo generates are never pushed one by one (only exceptions are).
    """

    _name = "calendar.recurrence"
    _inherit = ["calendar.recurrence", "calendar.sync.mixin"]

    sync_link_ids = fields.One2many(
        "calendar.sync.link", "recurrence_id", string="Sync Links", groups="base.group_system"
    )
    day_else_last = fields.Boolean(
        string="Else on the Last Day",
        help="Monthly on day 29, 30 or 31: in a month without that day, the occurrence falls "
        "on its last day (as Outlook repeats such series) instead of being skipped.",
    )

    @api.model
    def _rrule_parse(self, rule_str, date_start):
        values = super()._rrule_parse(rule_str, date_start)
        values["day_else_last"] = is_day_else_last(rule_str)
        return values

    def _get_rrule(self, dtstart=None):
        rule = super()._get_rrule(dtstart)
        if self.day_else_last and self.rrule_type == "monthly" and self.month_by == "date":
            # "That day, else the month's last": RFC 5545's BYMONTHDAY=31 alone skips months.
            return rule.replace(bymonthday=(self.day, -1), bysetpos=1)
        return rule

    @api.model
    def _sync_tracked_fields(self):
        return super()._sync_tracked_fields() | {
            "rrule", "rrule_type", "interval", "count", "until", "end_type", "month_by", "day",
            "weekday", "byday", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "event_tz",
        }  # fmt: skip

    def _sync_organizer(self):
        return self.base_event_id.user_id

    def _sync_pushable(self):
        return bool(self.base_event_id.active)

    def _sync_allowed_for(self, provider):
        return self.base_event_id._sync_allowed_for(provider)

    # ------------------------------------------------------------------ Odoo -> neutral

    def _sync_to_neutral(self):
        self.ensure_one()
        base = self.base_event_id
        neutral = base._sync_to_neutral()
        return neutral.replace(
            timezone=self.event_tz or neutral.timezone,
            recurrence=Recurrence(rrule=self._sync_rrule(neutral), exdates=self._sync_exdates()),
            odoo_id=None,  # the id of a series is its recurrence, not its first occurrence
            last_modified=max(self.write_date, base.write_date).replace(tzinfo=UTC),
        )

    def _sync_rrule(self, neutral):
        """Odoo's rule as a bare RRULE line (see ``neutral_rule``)."""
        return neutral_rule(
            self.rrule or "", neutral.start, neutral.all_day, self.event_tz or neutral.timezone
        )

    def _sync_exdates(self):
        """Original starts the rule produces but Odoo no longer has (deleted occurrences)."""
        base = self.base_event_id
        present = {event._sync_slot() for event in self.calendar_event_ids}
        expected = [start.replace(tzinfo=None) for start in self._get_occurrences(self.dtstart)]
        if base.allday:
            expected = [start.date() for start in expected]
        else:
            present = {slot.replace(tzinfo=None) for slot in present}
        missing = [start for start in expected if start not in present]
        if base.allday:
            return tuple(missing)
        return tuple(start.replace(tzinfo=UTC) for start in missing)

    # ------------------------------------------------------------------ neutral -> Odoo

    def _sync_write_from_neutral(self, remote, field_names, account):
        """Apply remote series changes to the whole series."""
        self.ensure_one()
        field_names = set(field_names)
        base = self.base_event_id.with_context(**{PULL_CONTEXT_KEY: account.id}, dont_notify=True)
        vals = base._sync_vals_from_neutral(remote, field_names - {"recurrence"}, account)
        if vals:
            # Odoo may rebuild the series (new recurrence record) when its times change.
            base.write({**vals, "recurrence_update": "all_events"})
        recurrence = (base.recurrence_id or self).with_env(base.env)
        if "recurrence" in field_names and remote.recurrence:
            recurrence._sync_apply_rule(remote.recurrence)
        return recurrence

    def _sync_apply_rule(self, remote_recurrence):
        if remote_recurrence.rrule != self._sync_rrule(self.base_event_id._sync_to_neutral()):
            self.rrule = odoo_rule(remote_recurrence.rrule)
            detached = self._apply_recurrence()
            detached.unlink()
        self._sync_remove_exdates(remote_recurrence.exdates)

    def _sync_remove_exdates(self, exdates):
        if not exdates:
            return
        wanted = {naive_utc(value) for value in exdates}
        gone = self.calendar_event_ids.filtered(
            lambda event: naive_utc(event._sync_slot()) in wanted
        )
        pulling = self.env.context.get(PULL_CONTEXT_KEY) or True
        gone.with_context(**{PULL_CONTEXT_KEY: pulling}, dont_notify=True).unlink()

    def _sync_occurrence_at(self, original_start):
        """The occurrence generated for ``original_start`` (exceptions keep their slot)."""
        wanted = naive_utc(original_start)
        for event in self.with_context(active_test=False).calendar_event_ids:
            if naive_utc(event._sync_slot()) == wanted:
                return event
        return self.env["calendar.event"]
