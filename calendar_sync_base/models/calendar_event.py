import datetime as dt
from dataclasses import dataclass

from odoo import api, fields, models

from calendar_sync_base.services.model import (
    Attendee,
    Privacy,
    Reminder,
    Response,
    ShowAs,
    SyncEvent,
)
from calendar_sync_base.services.timeutil import naive_utc

from .calendar_sync_mixin import PULL_CONTEXT_KEY, links_to_push

UTC = dt.timezone.utc
TOGGLE_PREFIX = "sync_with_"
ODOO_STATE_TO_RESPONSE = {
    "needsAction": Response.NEEDS_ACTION,
    "accepted": Response.ACCEPTED,
    "declined": Response.DECLINED,
    "tentative": Response.TENTATIVE,
}
RESPONSE_TO_ODOO_STATE = {response: state for state, response in ODOO_STATE_TO_RESPONSE.items()}
# Odoo draws all-day events between these hours; only the dates carry meaning.
ALLDAY_START_HOUR, ALLDAY_STOP_HOUR = 8, 18
UNTITLED = "(No title)"
# Context key set while Odoo applies an edit of a whole series (or of its following events).
SERIES_EDIT_KEY = "calendar_sync_series_edit"


class CalendarEvent(models.Model):
    _name = "calendar.event"
    _inherit = ["calendar.event", "calendar.sync.mixin"]

    sync_link_ids = fields.One2many(
        "calendar.sync.link", "event_id", string="Sync Links", groups="base.group_system"
    )
    sync_original_start = fields.Datetime(
        copy=False,
        help="For an occurrence edited on its own: the start its series gave it, which is how "
        "remote calendars identify the exception.",
    )
    sync_problem = fields.Text(
        compute="_compute_sync_problem",
        help="Why a connected calendar refused or failed the last push of this event.",
    )

    def _sync_organizer(self):
        return self.user_id

    def _sync_pushable(self):
        # Occurrences travel inside their series (exceptions go through their own link).
        return self.active and not self.recurrence_id

    # ------------------------------------------------------------------ recurrence edits

    def _sync_user_connected(self, provider):
        """Whether the current user has a connection to ``provider``: its per-event toggle
        only shows then."""
        accounts = self.env["calendar.sync.account"].sudo()
        domain = [
            ("user_id", "=", self.env.uid),
            ("provider", "=", provider),
            ("state", "!=", "disconnected"),
        ]
        return bool(accounts.search_count(domain, limit=1))

    def _sync_allowed_for(self, provider):
        """The per-event toggle a provider addon adds (``sync_with_<provider>``)."""
        field_name = f"{TOGGLE_PREFIX}{provider}"
        return self[field_name] if field_name in self._fields else True

    def write(self, vals):
        if self.env.context.get(PULL_CONTEXT_KEY):
            return super().write(vals)
        toggles = {
            name.removeprefix(TOGGLE_PREFIX): bool(value)
            for name, value in vals.items()
            if name.startswith(TOGGLE_PREFIX)
        }
        # Odoo applies a series edit by writing every occurrence "self only": those writes are
        # part of the series edit (one push of its master), not occurrences edited alone.
        series_edit = vals.get("recurrence_update") in ("all_events", "future_events") or (
            self.env.context.get(SERIES_EDIT_KEY)
        )
        occurrences = self.filtered("recurrence_id")
        series_links = occurrences.sudo().recurrence_id.sync_link_ids
        if not series_edit:
            occurrences._sync_remember_slot()
        records = self.with_context(**{SERIES_EDIT_KEY: True}) if series_edit else self
        result = super(CalendarEvent, records).write(vals)
        if series_edit:
            series_links.exists().need_push = True
        elif self._sync_tracked_fields().intersection(vals):
            occurrences.filtered("recurrence_id")._sync_queue_exceptions()
        for provider, enabled in toggles.items():
            self._sync_toggle(provider, enabled)
        return result

    def _sync_toggle(self, provider, enabled):
        """Switching "Synchronize with <provider>" off removes the remote copy this user
        created and stops syncing the event; switching it on resumes."""
        links = self.sudo().sync_link_ids.filtered(lambda link: link.provider == provider)
        if enabled:
            links.filtered("stopped").write({"stopped": False, "need_push": True})
            self._sync_queue_for_organizers()
            return
        links._sync_stop()

    # ------------------------------------------------------------------ sync problems

    def _sync_problem_links(self):
        """The current user's links of these events (or their series) whose last push failed."""
        return (
            self.env["calendar.sync.link"]
            .sudo()
            .search(
                [
                    ("account_id.user_id", "=", self.env.uid),
                    ("push_error", "!=", False),
                    ("stopped", "=", False),
                    "|",
                    ("event_id", "in", self.ids),
                    ("recurrence_id", "in", self.recurrence_id.ids),
                ]
            )
        )

    def _compute_sync_problem(self):
        links = self._sync_problem_links()
        for event in self:
            event.sync_problem = "\n".join(
                f"{link.account_id.name}: {link.push_error}"
                for link in links
                if link.event_id == event
                or (link.recurrence_id and link.recurrence_id == event.recurrence_id)
            )

    def action_sync_retry(self):
        """Push these events again now (after a refusal, once the cause is fixed)."""
        links = self._sync_problem_links()
        links.need_push = True
        notification = False
        for account in links.account_id:
            notification = account.sudo(False).action_sync_now()
        return notification

    def action_sync_stop_problems(self):
        """Stop synchronizing these events with the calendars that refused them."""
        links = self._sync_problem_links()
        for provider in set(links.mapped("provider")):
            toggle = f"{TOGGLE_PREFIX}{provider}"
            events = links.filtered(lambda link, p=provider: link.provider == p).event_id
            if toggle in self._fields:
                events.sudo(False).write({toggle: False})
        links.exists().filtered(lambda link: not link.stopped)._sync_stop()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def unlink(self):
        # The series' excluded dates change: its master must be pushed again.
        links_to_push(self.env, self.sudo().recurrence_id.sync_link_ids).need_push = True
        return super().unlink()

    def _rewrite_recurrence(self, values, time_values, recurrence_values):
        """Odoo replaces the recurrence record on a series edit: keep it linked remotely."""
        links = self.sudo().recurrence_id.sync_link_ids
        result = super()._rewrite_recurrence(values, time_values, recurrence_values)
        new_recurrence = self.recurrence_id or self.sudo().recurrence_id
        if links and new_recurrence:
            links.recurrence_id = new_recurrence
            links_to_push(self.env, links).need_push = True
        return result

    def _sync_remember_slot(self):
        for event in self.filtered(lambda ev: not ev.sync_original_start):
            slot = dt.datetime.combine(event.start_date, dt.time()) if event.allday else event.start
            event.with_context(**{PULL_CONTEXT_KEY: True}).write({"sync_original_start": slot})

    def _sync_queue_exceptions(self):
        """Occurrences edited on their own become remote exceptions of their series."""
        Link = self.env["calendar.sync.link"].sudo()
        for event in self:
            own = {link.account_id: link for link in event.sudo().sync_link_ids}
            for series_link in event.sudo().recurrence_id.sync_link_ids:
                account = series_link.account_id
                if account in own:
                    own[account].need_push = True
                elif series_link.remote_id:
                    # The push finds the occurrence's remote id (connector.instance_id).
                    Link._bind(account, event, origin="push", need_push=True)

    def _sync_slot(self):
        """The original start of this occurrence, aware UTC (a date for all-day events)."""
        slot = self.sync_original_start or self.start
        if self.allday:
            return slot.date() if self.sync_original_start else self.start_date
        return slot.replace(tzinfo=UTC)

    @api.model
    def _sync_tracked_fields(self):
        return super()._sync_tracked_fields() | {
            "name", "description", "location", "start", "stop", "allday", "start_date",
            "stop_date", "privacy", "show_as", "partner_ids", "attendee_ids", "alarm_ids",
            "videocall_location", "user_id", "active",
        }  # fmt: skip

    # ------------------------------------------------------------------ Odoo -> neutral

    def _sync_timezone(self):
        self.ensure_one()
        return self.event_tz or self.user_id.tz or "UTC"

    def _sync_to_neutral(self):
        """This event as the engine sees it."""
        self.ensure_one()
        return SyncEvent(
            title=self.name or "",
            **self._sync_neutral_times(),
            timezone=self._sync_timezone(),
            description=str(self.description or ""),
            location=self.location or "",
            privacy=Privacy(self.privacy) if self.privacy else Privacy.DEFAULT,
            show_as=ShowAs(self.show_as or "busy"),
            organizer_email=(self.user_id.email or "").lower(),
            attendees=self._sync_neutral_attendees(),
            reminders=self._sync_neutral_reminders(),
            video_url=self.videocall_location or "",
            odoo_id=self.id,
            last_modified=self.write_date and self.write_date.replace(tzinfo=UTC),
        )

    def _sync_neutral_times(self):
        if self.allday:
            start = self.start_date
            # Odoo's stop_date is inclusive; neutral (like iCalendar) is exclusive.
            return {"start": start, "stop": self.stop_date + dt.timedelta(days=1), "all_day": True}
        return {
            "start": self.start.replace(tzinfo=UTC),
            "stop": self.stop.replace(tzinfo=UTC),
            "all_day": False,
        }

    def _sync_neutral_attendees(self):
        organizer = self.user_id.partner_id
        return tuple(
            Attendee(
                email=attendee.email.lower(),
                name=attendee.common_name or "",
                response=ODOO_STATE_TO_RESPONSE.get(attendee.state, Response.NEEDS_ACTION),
                organizer=attendee.partner_id == organizer,
            )
            for attendee in self.attendee_ids
            if attendee.email
        )

    def _sync_neutral_reminders(self):
        return tuple(
            Reminder(
                minutes=alarm.duration_minutes,
                method="email" if alarm.alarm_type == "email" else "popup",
            )
            for alarm in self.alarm_ids
        )

    # ------------------------------------------------------------------ neutral -> Odoo

    @api.model
    def _sync_vals_from_neutral(self, remote, field_names, account, lookups=None):
        """Odoo values for ``field_names`` (neutral names) of the remote event.

        ``lookups`` (``_sync_page_lookups``) holds the partners and alarms of a whole page of
        remote events, found once for the page; without it they are looked up for this one.
        """
        field_names = set(field_names)
        if lookups is None and field_names & {"attendees", "reminders"}:
            lookups = self._sync_page_lookups([remote])
        vals = {}
        if "title" in field_names:
            vals["name"] = remote.title or UNTITLED
        if field_names & {"start", "stop", "all_day"}:
            vals.update(self._sync_times_vals(remote))
        simple = {
            "description": ("description", remote.description or False),
            "location": ("location", remote.location),
            "privacy": (
                "privacy",
                False if remote.privacy == Privacy.DEFAULT else remote.privacy.value,
            ),
            "show_as": ("show_as", remote.show_as.value),
            "video_url": ("videocall_location", remote.video_url or False),
        }
        for neutral_name, (odoo_name, value) in simple.items():
            if neutral_name in field_names:
                vals[odoo_name] = value
        if "organizer_email" in field_names:
            vals["user_id"] = self._sync_organizer_user(remote, account).id
        if "attendees" in field_names:
            emails = {attendee.email.lower() for attendee in remote.attendees}
            partners = {lookups.partners[email].id for email in emails if email in lookups.partners}
            # The event is in this user's remote calendar: they take part, even when the
            # remote lists no guests (Odoo only shows a user the events they attend).
            partners.add(account.user_id.partner_id.id)
            vals["partner_ids"] = [fields.Command.set(sorted(partners))]
        if "reminders" in field_names:
            alarms = _alarms_for(
                self.env["calendar.alarm"].sudo(), remote.reminders, lookups.alarms
            )
            vals["alarm_ids"] = [fields.Command.set(alarms.ids)]
        return vals

    @api.model
    def _sync_page_lookups(self, remotes):
        """The partners and alarms ``remotes`` refer to, in a few queries for all of them."""
        attendees = [attendee for remote in remotes for attendee in remote.attendees]
        return PageLookups(
            partners=self.env["res.partner"]._sync_partners_by_email(attendees),
            alarms=_existing_alarms(self.env["calendar.alarm"].sudo()),
        )

    @api.model
    def _sync_times_vals(self, remote):
        if remote.all_day:
            stop_date = max(remote.start, remote.stop - dt.timedelta(days=1))
            return {
                "allday": True,
                "start": dt.datetime.combine(remote.start, dt.time(ALLDAY_START_HOUR)),
                "stop": dt.datetime.combine(stop_date, dt.time(ALLDAY_STOP_HOUR)),
                "start_date": remote.start,
                "stop_date": stop_date,
            }
        return {
            "allday": False,
            "start": naive_utc(remote.start),
            "stop": naive_utc(remote.stop),
        }

    @api.model
    def _sync_organizer_user(self, remote, account):
        """The Odoo user organizing the remote event; the account's user when it is theirs.

        An organizer who is not an Odoo user leaves the event without organizer user: the
        account's user is then only an attendee, so Odoo never pushes edits it cannot own.
        """
        email = (remote.organizer_email or "").lower()
        if not email or email == (account.user_id.email or "").lower():
            return account.user_id
        return (
            self.env["res.users"]
            .sudo()
            .search(["|", ("login", "=ilike", email), ("email", "=ilike", email)], limit=1)
        )

    def _sync_apply_attendee_states(self, remote):
        """Copy remote responses onto the attendees Odoo created from ``partner_ids``."""
        responses = {attendee.email.lower(): attendee.response for attendee in remote.attendees}
        for attendee in self.attendee_ids:
            response = responses.get((attendee.email or "").lower())
            state = RESPONSE_TO_ODOO_STATE.get(response)
            if state and attendee.state != state:
                attendee.state = state


@dataclass
class PageLookups:
    """What the remote events of a page refer to, found once for the page."""

    partners: dict  # lower-case e-mail -> res.partner
    alarms: dict  # (alarm type, minutes) -> calendar.alarm; alarms created are added


def _existing_alarms(alarms):
    """(alarm type, minutes) -> alarm. The alarm table is tiny: one read of it beats one
    search per reminder and event."""
    existing = {}
    for alarm in alarms.search([("alarm_type", "in", ("email", "notification"))], order="id"):
        existing.setdefault((alarm.alarm_type, alarm.duration_minutes), alarm)
    return existing


def _alarms_for(alarms, reminders, existing):
    """Existing ``calendar.alarm`` records for the reminders (``existing``: see
    ``_existing_alarms``), created when missing."""
    wanted = [
        ("email" if reminder.method == "email" else "notification", reminder.minutes)
        for reminder in reminders
    ]
    result = alarms.browse()
    for alarm_type, minutes in wanted:
        alarm = existing.get((alarm_type, minutes))
        if not alarm:
            alarm = existing[alarm_type, minutes] = alarms.create(
                {
                    "name": f"{minutes} minutes ({alarm_type})",
                    "alarm_type": alarm_type,
                    "duration": minutes,
                    "interval": "minutes",
                }
            )
        result |= alarm
    return result
