import dataclasses
import datetime as dt
import logging

import psycopg2

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, html2plaintext

from odoo.addons.calendar.models.calendar_recurrence import MAX_RECURRENT_EVENT

from calendar_sync_base.services.engine import (
    PullActionKind,
    PushChange,
    PushEntry,
    plan_pull,
    plan_push,
)
from calendar_sync_base.services.errors import CursorExpired, SyncError
from calendar_sync_base.services.local_state import (
    agreed_event,
    as_generated,
    normalized_states,
    occurrence_base,
    same_content,
    still_to_push,
    with_remote_only_fields,
    without_lone_self,
)
from calendar_sync_base.services.matcher import (
    MATCHED_BY_ICAL_UID,
    MATCHED_BY_KEY,
    LocalState,
    Matcher,
)
from calendar_sync_base.services.model import Direction
from calendar_sync_base.services.odoo_recurrence import odoo_rule
from calendar_sync_base.services.protocol import OpKind, PushResult
from calendar_sync_base.services.pull_selection import (
    addressable,
    events_to_apply,
    remote_version,
    unknown_zone_warnings,
    without_withheld_guests,
)
from calendar_sync_base.services.push_queue import (
    QueueDecision,
    QueuedLink,
    deleted_state,
    queue_decision,
    reply_event,
)
from calendar_sync_base.services.snapshot import from_snapshot, to_snapshot
from calendar_sync_base.services.timeutil import naive_utc

from .calendar_sync_mixin import PULL_CONTEXT_KEY

# Context key: pull one page per transaction (the scheduled action commits between pages).
PAGE_COMMIT_KEY = "calendar_sync_commit_pages"

_logger = logging.getLogger(__name__)

# The synced fields an Odoo event takes from a remote one, each with the Odoo field the user
# knows it by (the history names a change by it).
NEUTRAL_TO_ODOO_FIELDS = {
    "title": "name",
    "start": "start",
    "stop": "stop",
    "all_day": "allday",
    "description": "description",
    "location": "location",
    "privacy": "privacy",
    "show_as": "show_as",
    "organizer_email": "user_id",
    "attendees": "partner_ids",
    "reminders": "alarm_ids",
    "video_url": "videocall_location",
}


class CalendarSyncRunner(models.AbstractModel):
    """Pull and push for one ``calendar.sync.account``, through the pure engine.

    Kept apart from the account model so the account file stays about state and actions,
    and this one about moving data.
    """

    _name = "calendar.sync.runner"
    _description = "Calendar Sync Runner"

    # ------------------------------------------------------------------ pull

    def _sync_pull(self, connector, rules, counts):
        """Pull page by page; returns whether the listing is finished.

        Each page is applied as it comes, so memory is bounded by the page size. The
        provider's page token is stored after each page: under the scheduled action
        (``PAGE_COMMIT_KEY``) the run stops after a page and commits it, and the next run, or
        the one after a crash, goes on from the last committed page.
        """
        if rules.direction in (Direction.TO_REMOTE, Direction.OFF):
            return True
        first_sync = match_keys = not self.first_sync_done
        page_token = self.sync_page_token or ""
        # A listing under way goes on with the cursor it started from.
        stale = not page_token and self._sync_cursor_is_stale()
        cursor = "" if stale else self.sync_cursor or ""
        while True:
            try:
                changes = connector.list_page(cursor, page_token)
            except CursorExpired:
                # A full listing re-links by remote id (and key); it neither duplicates nor
                # deletes.
                _logger.info("Sync cursor of account %s expired: full resync", self.id)
                cursor = page_token = ""
                changes = connector.list_page("")
                match_keys = True
            if not cursor and not page_token:
                # A full listing starts: its pages resume from no cursor.
                self.write({"cursor_started": fields.Datetime.now(), "sync_cursor": False})
            self._sync_pull_page(connector, changes, rules, (first_sync, match_keys), counts)
            if not changes.complete:
                # What was read is applied; the listing starts over from the stored cursor
                # next run, so the changes left unread are read again.
                _logger.info("Account %s: changes left to read again, sync cursor kept", self.id)
                self.sync_page_token = False
                return not changes.next_page
            self._sync_pulled_page(changes)
            if not changes.next_page:
                return True
            if self.env.context.get(PAGE_COMMIT_KEY):
                return False
            page_token = changes.next_page

    def _sync_pulled_page(self, changes):
        """Remember where the listing goes on (or its final cursor) and how far it got."""
        if not changes.next_page:
            self.write({"sync_page_token": False, "sync_cursor": changes.next_cursor})
            return
        done = (self.sync_progress_done if self.sync_page_token else 0) + len(changes.events)
        self.write(
            {
                "sync_page_token": changes.next_page,
                "sync_progress_done": done,
                "sync_progress_total": 0,  # a listing does not say how long it is
            }
        )
        self._sync_notify_progress_to_user()

    def _sync_pull_page(self, connector, changes, rules, modes, counts):
        first_sync, match_keys = modes
        for problem in changes.unreadable:
            counts.errors += 1
            self.env["calendar.sync.log"]._log_change(self, "pull", "error", message=problem)
        self._sync_warn_unknown_timezones(changes, counts)
        links = self._sync_links_by_remote_id(changes.events)
        skipped = self._sync_skipped_items(changes.events)
        series, exceptions = events_to_apply(
            changes.events,
            {remote_id: link._sync_known_link() for remote_id, link in links.items()},
            {remote_id: item.version for remote_id, item in skipped.items()},
        )
        modes = (first_sync, match_keys)
        self._sync_pull_batch(connector, series, (links, skipped), rules, modes, counts)
        if exceptions:
            modes = (first_sync, False)
            self._sync_pull_batch(connector, exceptions, (links, skipped), rules, modes, counts)

    def _sync_warn_unknown_timezones(self, changes, counts):
        for event, zone in unknown_zone_warnings(changes):
            self._sync_warn(
                counts,
                self.env._(
                    "“%(title)s” has a time zone no zone database knows (%(zone)s): "
                    "it was read in %(fallback)s. Check its times and repetitions.",
                    title=event.title,
                    zone=zone,
                    fallback=event.timezone,
                ),
                remote_id=event.remote_id,
            )

    def _sync_warn(self, counts, message, record=None, remote_id=""):
        """Applied, but not exactly as the remote calendar has it: say so."""
        counts.warnings += 1
        self.env["calendar.sync.log"]._log_change(
            self, "pull", "warning", record, remote_id=remote_id, message=message
        )

    def _sync_warn_if_capped(self, record, remote, counts):
        """Odoo keeps at most MAX_RECURRENT_EVENT occurrences of a series."""
        if (
            record._name == "calendar.recurrence"
            and len(record.calendar_event_ids) >= MAX_RECURRENT_EVENT
        ):
            self._sync_warn(
                counts,
                self.env._(
                    "“%(title)s” repeats more than Odoo keeps: only its first %(count)s "
                    "occurrences are in Odoo.",
                    title=remote.title,
                    count=MAX_RECURRENT_EVENT,
                ),
                record,
                remote.remote_id,
            )

    def _sync_pull_batch(self, connector, events, known, rules, modes, counts):
        first_sync, match_keys = modes
        links, skipped = known
        candidates = self._sync_candidates(events, links, match_keys)
        if any(event.master_remote_id for event in events):
            candidates += self._sync_occurrence_candidates(events, links)
            events = addressable(events, candidates)
        matcher = Matcher(normalized_states(connector, candidates), match_keys=match_keys)
        new_events = []
        for action in plan_pull(events, matcher, rules, first_sync=first_sync):
            if action.kind == PullActionKind.CREATE_LOCAL and not action.remote.recurrence:
                new_events.append(action)  # created together below, none depends on another
            else:
                self._sync_apply_pull_isolated(action, links, skipped, counts)
        if new_events:
            self._sync_create_locals_isolated(new_events, links, skipped, counts)

    def _sync_create_locals_isolated(self, actions, links, skipped, counts):
        """Create the new single events of a batch in one go; when Odoo refuses one of them,
        the batch is created again one event at a time, each in its own savepoint, so only
        that one is skipped."""
        try:
            with self.env.cr.savepoint():
                self._sync_create_events([action.remote for action in actions])
        except (psycopg2.OperationalError, SyncError):
            raise
        except Exception:  # noqa: BLE001 pylint: disable=broad-exception-caught
            for action in actions:
                self._sync_apply_pull_isolated(action, links, skipped, counts)
            return
        counts.pulled_created += len(actions)
        for action in actions:
            if action.remote.remote_id in skipped:
                skipped.pop(action.remote.remote_id).unlink()  # it changed and now applies

    def _sync_apply_pull_isolated(self, action, links, skipped, counts):
        """Apply one remote item in its own savepoint: one that Odoo cannot store is reported
        once and skipped, and the rest of the sync goes on."""
        remote_id = action.remote.remote_id
        try:
            with self.env.cr.savepoint():
                self._sync_apply_pull(action, links, counts)
        except (psycopg2.OperationalError, SyncError):
            raise  # the database or the provider is unwell, not this item: the run fails
        except Exception as error:  # noqa: BLE001 pylint: disable=broad-exception-caught
            self._sync_skip_remote(action.remote, skipped.get(remote_id), error, counts)
            return
        if remote_id in skipped:
            skipped.pop(remote_id).unlink()  # it changed remotely and now applies

    def _sync_skipped_items(self, events):
        """This account's skipped items among ``events``, by remote id."""
        items = self.env["calendar.sync.skipped.item"].search(
            [
                ("account_id", "=", self.id),
                ("remote_id", "in", [event.remote_id for event in events if event.remote_id]),
            ]
        )
        return {item.remote_id: item for item in items}

    def _sync_skip_remote(self, remote, item, error, counts):
        """Remember a remote item that cannot be applied; report it the first time only."""
        version = remote_version(remote)
        if item and item.version == version:
            return  # its version is unknown, so it was tried again: already reported
        reason = _readable_reason(error)
        vals = {"account_id": self.id, "remote_id": remote.remote_id, "version": version}
        if item:
            item.write({**vals, "reason": reason})
        else:
            self.env["calendar.sync.skipped.item"].create({**vals, "reason": reason})
        _logger.warning(
            "Account %s: remote item %s skipped", self.id, remote.remote_id, exc_info=True
        )
        counts.errors += 1
        message = self.env._(
            "Could not be saved in Odoo (%(reason)s); skipped until it changes remotely.",
            reason=reason,
        )
        self.env["calendar.sync.log"]._log_change(
            self, "pull", "error", remote_id=remote.remote_id, message=message,
            record_name=remote.title,
        )  # fmt: skip

    def _sync_occurrence_candidates(self, events, links):
        """Odoo occurrences for remote exceptions seen for the first time, merged against
        the occurrence their series generates (``occurrence_base``)."""
        pending = [event for event in events if event.remote_id not in links]
        series_links = self.env["calendar.sync.link"]._for_remote_ids(
            self, {event.master_remote_id for event in pending}
        )
        series = {link.remote_id: link.recurrence_id for link in series_links if link.recurrence_id}
        states = []
        for event in pending:
            recurrence = series.get(event.master_remote_id)
            occurrence = recurrence and recurrence._sync_occurrence_at(event.original_start)
            if occurrence:
                state = self._sync_local_state(occurrence, None, remote_id=event.remote_id)
                states.append(occurrence_base(state, _edited_alone(occurrence)))
        return states

    def _sync_cursor_is_stale(self):
        """A cursor is restarted from a full listing once older than the provider's
        ``_sync_cursor_max_age``: some providers fix the listing window when the cursor chain
        starts (a delta query), so only a fresh listing lets the window move forward. Like an
        expired cursor, it links by remote id and neither duplicates nor deletes."""
        if not self.sync_cursor or not self.cursor_started:
            return False
        return self._sync_provider()._cursor_is_stale(self.cursor_started)

    def _sync_links_by_remote_id(self, events):
        remote_ids = [event.remote_id for event in events if event.remote_id]
        links = self.env["calendar.sync.link"]._for_remote_ids(self, remote_ids)
        return {link.remote_id: link for link in links}

    def _sync_candidates(self, events, links, match_keys):
        """Local states the matcher may pair remote events with: linked, shared, or (first
        sync) the user's own unlinked events in the window."""
        states = [
            self._sync_local_state(link._record(), link)
            for link in links.values()
            if link._record()
        ]
        linked = {link.event_id.id for link in links.values()}
        ical_uids = {event.ical_uid for event in events if event.ical_uid}
        shared = self.env["calendar.sync.link"].search(
            [("ical_uid", "in", list(ical_uids)), ("event_id", "not in", list(linked))]
        )
        for link in shared.filtered(lambda lk: lk.event_id and lk.account_id != self):
            states.append(self._sync_local_state(link.event_id, None, ical_uid=link.ical_uid))
            linked.add(link.event_id.id)
        for event, remote in self._sync_orphans_we_created(events, links, linked):
            states.append(self._sync_local_state(event, None, remote_id=remote.remote_id))
            linked.add(event.id)
        if match_keys:
            for record in [
                *self._sync_unlinked_events(exclude=linked),
                *self._sync_unlinked_series(),
            ]:
                states.append(self._sync_local_state(record, None))
        return states

    def _sync_unlinked_series(self):
        """The user's series this account does not know (matched by key on a first sync)."""
        series = self.env["calendar.recurrence"].search(
            [("base_event_id.partner_ids", "in", self.user_id.partner_id.ids)]
        )
        known = self.env["calendar.sync.link"]._for_records(self, series)
        return series - known.recurrence_id

    def _sync_orphans_we_created(self, events, links, linked):
        """Remote events carrying the Odoo id of one of this user's unlinked events.

        They are our own creates whose local commit was lost (crash, timeout): adopting them
        here, before any push, is what keeps a retried create from duplicating the event.
        """
        by_odoo_id = {
            event.odoo_id: event
            for event in events
            if event.odoo_id and event.remote_id not in links and not event.cancelled
        }
        if not by_odoo_id:
            return []
        records = self.env["calendar.event"].browse(list(by_odoo_id)).exists()
        return [
            (record, by_odoo_id[record.id])
            for record in records
            if record.user_id == self.user_id
            and record.id not in linked
            and not record.sudo().sync_link_ids.filtered(
                lambda link: link.account_id == self and link.remote_id
            )
        ]

    def _sync_unlinked_events(self, exclude=()):
        # Linked ones are left out in SQL: a first sync's earlier pages linked thousands,
        # and reading their links on every page made a pull's memory and time grow with N.
        domain = [
            ("partner_ids", "in", self.user_id.partner_id.ids),
            ("recurrence_id", "=", False),
            ("id", "not in", list(exclude)),
            ("sync_link_ids", "not any", [("account_id", "=", self.id)]),
        ]
        window_start = self._sync_window_start()
        if window_start:
            domain.append(("stop", ">=", window_start))
        return self.env["calendar.event"].search(domain)

    def _sync_local_state(self, record, link, ical_uid="", remote_id=""):
        snapshot = from_snapshot(link.snapshot) if link and link.snapshot else None
        neutral = self._sync_without_lone_self(
            without_withheld_guests(self._sync_neutral(record, snapshot), _withheld(link))
        ).replace(
            remote_id=link.remote_id if link else remote_id,
            ical_uid=(link.ical_uid if link else ical_uid) or "",
            etag=link.etag if link else "",
            **self._sync_series_identity(record),
        )
        return LocalState(
            key=f"{record._name},{record.id}",
            event=neutral,
            snapshot=snapshot and self._sync_without_lone_self(snapshot),
            dirty=bool(link and link.need_push),
            modified=neutral.last_modified,
        )

    def _sync_neutral(self, record, remote):
        """``record`` as the engine sees it, with what only the remote side holds taken from
        ``remote`` (the remote event, or the agreed snapshot that kept it): the event's own
        time zone, which Odoo keeps only for series, and the attendees' roles (optional,
        resource), which Odoo has no field for. They never read as Odoo changes then, and
        an attendee list Odoo sends back keeps them."""
        single = record._name == "calendar.event" and not record.recurrence_id
        return with_remote_only_fields(record._sync_to_neutral(), remote, keeps_timezone=not single)

    def _sync_without_lone_self(self, neutral):
        return without_lone_self(neutral, self.user_id.email or "")

    def _sync_series_identity(self, record):
        """For an occurrence: its series' remote id and its slot, as the remote knows them."""
        if record._name != "calendar.event" or not record.recurrence_id:
            return {}
        series_link = record.recurrence_id.sudo().sync_link_ids.filtered(
            lambda link: link.account_id == self
        )
        if not series_link.remote_id:
            return {}
        return {"master_remote_id": series_link.remote_id, "original_start": record._sync_slot()}

    def _sync_apply_pull(self, action, links, counts):
        if action.kind == PullActionKind.NOOP:
            return
        if action.kind == PullActionKind.CREATE_LOCAL:
            record = self._sync_create_local(action.remote)
            counts.pulled_created += 1
            self._sync_warn_if_capped(record, action.remote, counts)
            return
        record = self._sync_record_for_key(action.local.key)
        link = links.get(action.remote.remote_id)
        if action.kind == PullActionKind.DELETE_LOCAL:
            self._sync_delete_local(record, link, action.remote)
            counts.pulled_deleted += 1
            return
        if action.values:
            record = self._sync_write_local(record, action.remote, action.values, "pull")
            if "recurrence" in action.values:
                self._sync_warn_if_capped(record, action.remote, counts)
        newly_linked = link is None
        link = self._sync_store_link(link, record, action.remote, push_back=action.push_back)
        if newly_linked:
            # Matched by key or iCalUID, or our own create adopted back: linked, not copied.
            if record._name == "calendar.recurrence":
                self._sync_queue_edited_occurrences(record)
            counts.linked += 1
            self.env["calendar.sync.log"]._log_change(
                self, "pull", "link", record, remote_id=action.remote.remote_id,
                message=self._sync_link_reason(action.matched_by),
            )  # fmt: skip
        elif action.values:
            counts.pulled_updated += 1
        if action.conflicts:
            counts.conflicts += 1
            self.env["calendar.sync.log"]._log_conflict(self, record, action)

    def _sync_queue_edited_occurrences(self, recurrence):
        """Queue the occurrences the user edited alone in a series this account just linked
        (found in both calendars): they become remote exceptions. An occurrence the remote
        calendar changed too is matched to its exception by the pull, which takes this link."""
        if not self._sync_organizes(recurrence):
            return
        edited = recurrence.calendar_event_ids.filtered(
            lambda event: _edited_alone(event) and event._sync_allowed_for(self.provider)
        )
        Link = self.env["calendar.sync.link"]
        known = Link._for_records(self, edited).event_id
        Link.create(
            [
                Link._binding_vals(self, event, origin="push", need_push=True)
                for event in edited - known
            ]
        )

    def _sync_create_events(self, remotes):
        """Single events new to Odoo, created in a few queries for all of them: one
        ``create``, their partners and alarms found once, their links and history entries
        written together. No creation message nor creator follower per event (the attendees
        still follow it, as Calendar has it): the sync history and the sync's summary say what
        was pulled."""
        model = self.env["calendar.event"].with_context(
            **{PULL_CONTEXT_KEY: self.id},
            no_mail_to_attendees=True,
            dont_notify=True,
            tracking_disable=True,  # no creation message, no creator follower
        )
        lookups = model._sync_page_lookups(remotes)
        vals_list = [
            model._sync_vals_from_neutral(remote, NEUTRAL_TO_ODOO_FIELDS, self, lookups)
            for remote in remotes
        ]
        events = model.create(vals_list)
        for event, remote in zip(events, remotes, strict=True):
            event._sync_apply_attendee_states(remote)
        self.env["calendar.sync.link"].create(
            [
                self._sync_new_link_vals(event, remote)
                for event, remote in zip(events, remotes, strict=True)
            ]
        )
        self.env["calendar.sync.log"]._log_changes(
            self,
            "pull",
            "create",
            [
                (event, _created_changes(event, vals), {"remote_id": remote.remote_id})
                for event, vals, remote in zip(events, vals_list, remotes, strict=True)
            ],
        )
        return events

    def _sync_link_reason(self, matched_by):
        """Why a remote event was linked to an existing Odoo event, in plain words."""
        if matched_by == MATCHED_BY_ICAL_UID:
            return self.env._("The same meeting was already in Odoo: linked, not copied.")
        if matched_by == MATCHED_BY_KEY:
            return self.env._(
                "An Odoo event with the same title and time was already there: linked, not copied."
            )
        return self.env._("An event sent from Odoo, found in the remote calendar: linked.")

    def _sync_create_local(self, remote):
        """A remote item new to Odoo: a single event, or a series with its occurrences."""
        if not remote.recurrence:
            return self._sync_create_events([remote])
        model = self.env["calendar.event"].with_context(
            **{PULL_CONTEXT_KEY: self.id}, no_mail_to_attendees=True, dont_notify=True
        )
        vals = model._sync_vals_from_neutral(remote, NEUTRAL_TO_ODOO_FIELDS, self)
        vals.update(
            recurrency=True, rrule=odoo_rule(remote.recurrence.rrule), event_tz=remote.timezone
        )
        event = model.create(vals)
        event._sync_apply_attendee_states(remote)
        changes = _created_changes(event, vals)
        record = event.recurrence_id
        record.calendar_event_ids._sync_apply_attendee_states(remote)
        record._sync_remove_exdates(remote.recurrence.exdates)
        self._sync_store_link(None, record, remote)
        self.env["calendar.sync.log"]._log_change(
            self, "pull", "create", record, changes=changes, remote_id=remote.remote_id
        )
        return record

    def _sync_write_local(self, record, remote, neutral_values, direction):
        """Write remote values; returns the record (a series edit may replace it)."""
        if record._name == "calendar.recurrence":
            return self._sync_write_series(record, remote, neutral_values, direction)
        record = record.with_context(
            **{PULL_CONTEXT_KEY: self.id}, no_mail_to_attendees=True, dont_notify=True
        )
        vals = record._sync_vals_from_neutral(remote, neutral_values, self)
        if record.recurrence_id and remote.original_start:
            vals["sync_original_start"] = _odoo_datetime(remote.original_start)
        before = {name: (_readable_field(record, name), _raw_field(record, name)) for name in vals}
        record.write(vals)
        if "attendees" in neutral_values:
            record._sync_apply_attendee_states(remote)
        changes = {
            name: (old, _readable_field(record, name), raw)
            for name, (old, raw) in before.items()
            if old != _readable_field(record, name)
        }
        if changes:
            self.env["calendar.sync.log"]._log_change(
                self, direction, "update", record, changes=changes, remote_id=remote.remote_id
            )
        return record

    def _sync_write_series(self, recurrence, remote, neutral_values, direction):
        before = recurrence._sync_to_neutral()
        recurrence = recurrence.with_context(
            **{PULL_CONTEXT_KEY: self.id}, no_mail_to_attendees=True, dont_notify=True
        )._sync_write_from_neutral(remote, neutral_values, self)
        after = recurrence._sync_to_neutral()
        changes = {
            name: (str(getattr(before, name)), str(getattr(after, name)), None)
            for name in neutral_values
            if getattr(before, name) != getattr(after, name)
        }
        if changes:
            self.env["calendar.sync.log"]._log_change(
                self, direction, "update", recurrence, changes=changes, remote_id=remote.remote_id
            )
        return recurrence

    def _sync_delete_local(self, record, link, remote):
        """Archive rather than unlink: nothing is lost, and history can restore it."""
        if link:
            link.unlink()
        events = record.calendar_event_ids if record._name == "calendar.recurrence" else record
        events.filtered("active").with_context(
            **{PULL_CONTEXT_KEY: self.id}, dont_notify=True
        ).active = False
        self.env["calendar.sync.log"]._log_change(
            self, "pull", "delete", record, remote_id=remote.remote_id
        )

    def _sync_store_link(self, link, record, remote, push_back=(), pushed=False):
        """Remember the remote identity and the state both sides now agree on.

        The base is Odoo's state (so Odoo-side normalisation never looks like a local edit),
        except for fields Odoo still has to push: there the remote value stays the base, so
        those edits keep showing as local changes until a push succeeds. A pull never clears
        a pending push; only a successful push does.
        """
        local = without_withheld_guests(self._sync_neutral(record, remote), _withheld(link))
        vals = {
            "remote_id": remote.remote_id,
            "ical_uid": remote.ical_uid or (link and link.ical_uid) or False,
            "etag": remote.etag or False,
            "snapshot": to_snapshot(agreed_event(local, remote, push_back)),
            "need_push": still_to_push(push_back, bool(link and link.need_push), pushed),
            "push_error": False,
        }
        if pushed:
            vals["silent_push"] = False  # later edits notify guests as the user chose
        link = link or self._sync_pending_link(record)
        if link:
            link.write(vals)
            return link
        adopted = remote.odoo_id == record.id and record._name == "calendar.event"
        vals["origin"] = "push" if adopted else "pull"
        return self.env["calendar.sync.link"]._bind(self, record, **vals)

    def _sync_new_link_vals(self, event, remote):
        """The link of an event a pull just created (as ``_sync_store_link`` writes it)."""
        return self.env["calendar.sync.link"]._binding_vals(
            self,
            event,
            origin="pull",
            remote_id=remote.remote_id,
            ical_uid=remote.ical_uid or False,
            etag=remote.etag or False,
            snapshot=to_snapshot(self._sync_neutral(event, remote)),
            need_push=False,
        )

    def _sync_pending_link(self, record):
        """This account's link of ``record`` still waiting for its first push, if any."""
        return (
            self.env["calendar.sync.link"]
            ._for_records(self, record)
            .filtered(lambda link: not link.remote_id)
        )

    def _sync_record_for_key(self, key):
        model, record_id = key.split(",")
        return self.env[model].with_context(active_test=False).browse(int(record_id))

    # ------------------------------------------------------------------ push

    def _sync_push(self, connector, rules, counts):
        """Push one batch of queued changes; returns how many are left for the next run."""
        if rules.direction in (Direction.TO_ODOO, Direction.OFF):
            return 0
        if self.queue_existing:
            self._sync_queue_existing()
        batch, remaining = self._sync_push_queue(self._sync_batch_size(), connector)
        links = {entry.state.key: link for entry, link in batch}
        ops = plan_push([entry for entry, _link in batch], rules, self.send_updates)
        if ops:
            results = connector.apply(ops)
            for op, result in zip(ops, results, strict=True):
                self._sync_apply_push_result(connector, rules, op, result, links[op.key], counts)
        return remaining

    def _sync_push_queue(self, limit, connector):
        """Up to ``limit`` (PushEntry, link) waiting to be pushed, oldest first, and
        how many wait beyond them. Only the batch is converted: a long backlog costs nothing
        until its turn comes."""
        Link = self.env["calendar.sync.link"]
        domain = [("account_id", "=", self.id), ("need_push", "=", True)]
        waiting = Link.search_count(domain)
        queue = []
        for link in Link.search(domain, order="id", limit=limit):
            entry = self._sync_push_entry(link, connector)
            if entry:
                queue.append(entry)
        return queue, max(waiting - limit, 0)

    def _sync_push_entry(self, link, connector):
        record = link.with_context(active_test=False)._record()
        decision = queue_decision(
            QueuedLink(
                record_exists=bool(record),
                remote_id=link.remote_id or "",
                stopped=link.stopped,
                created_by_odoo=link.origin == "push",
                occurrence=bool(record) and _is_occurrence(record),
                organized_by_user=bool(record) and self._sync_organizes(record),
            )
        )
        if decision == QueueDecision.DELETE_REMOTE:
            state = deleted_state(f"{link._name},{link.id}", link.remote_id or "", link.etag or "")
            return PushEntry(state, PushChange.DELETE, link.silent_push), link
        if decision == QueueDecision.ADDRESS_EXCEPTION:
            return self._sync_exception_entry(link, record, connector)
        if decision == QueueDecision.SEND:
            return self._sync_send_entry(link, record)
        reply = self._sync_reply_state(record, link) if decision == QueueDecision.REPLY else None
        if reply is None:
            link.need_push = False  # no longer synced (FORGET), or nothing an attendee may send
            return None
        return PushEntry(reply, PushChange.REPLY, link.silent_push), link

    def _sync_send_entry(self, link, record):
        """The user's own record as it is now: an archived one is deleted remotely."""
        change = PushChange.DELETE if _archived(record) else PushChange.SAVE
        return PushEntry(self._sync_local_state(record, link), change, link.silent_push), link

    def _sync_exception_entry(self, link, record, connector):
        """An occurrence edited on its own: address the remote occurrence of its series."""
        identity = self._sync_series_identity(record)
        remote_id = identity and connector.instance_id(
            identity["master_remote_id"], identity["original_start"], record.allday
        )
        if not remote_id:
            # Queued as a single event and then made recurring (its series is pushed), or
            # its series is not remote yet: nothing to address.
            link.unlink()
            return None
        link.remote_id = remote_id
        return self._sync_send_entry(link, record)

    def _sync_queue_existing(self):
        """Queue, once, the user's own events and series no remote calendar knows yet.

        Runs on a first sync and after a reset that keeps existing events; pushed silently.
        Events that came from another calendar belong there and are left out (pushing them
        here would duplicate the meeting for its guests), and so are events the user
        switched off for this provider. Where the provider cannot create an event with guests
        silently, events with guests follow the user's ``existing_guests_policy``.
        """
        policy = self._sync_existing_guests_policy()
        toggle = f"sync_with_{self.provider}"
        allowed = SQL("AND %s IS NOT FALSE", SQL.identifier("e", toggle))
        allowed_base = SQL("AND %s IS NOT FALSE", SQL.identifier("b", toggle))
        if toggle not in self.env["calendar.event"]._fields:
            allowed = allowed_base = SQL()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO calendar_sync_link
                   (account_id, provider, event_id, recurrence_id, need_push, silent_push,
                    guests_withheld, origin, create_uid, write_uid, create_date, write_date)
            SELECT %(account)s, %(provider)s, e.id, NULL, true, true,
                   %(withhold)s AND %(has_guests)s, 'push', %(uid)s, %(uid)s, now(), now()
              FROM calendar_event e
             WHERE e.user_id = %(user)s AND e.active AND e.recurrence_id IS NULL %(allowed)s
               AND (%(window)s::timestamp IS NULL OR e.stop >= %(window)s::timestamp)
               AND NOT (%(hold)s AND %(has_guests)s)
               AND NOT EXISTS (SELECT 1 FROM calendar_sync_link l WHERE l.event_id = e.id
                                  AND (l.account_id = %(account)s OR l.origin = 'pull'))
            UNION ALL
            SELECT %(account)s, %(provider)s, NULL, r.id, true, true,
                   %(withhold)s AND %(has_guests_base)s, 'push', %(uid)s, %(uid)s, now(), now()
              FROM calendar_recurrence r JOIN calendar_event b ON b.id = r.base_event_id
             WHERE b.user_id = %(user)s AND b.active %(allowed_base)s
               AND NOT (%(hold)s AND %(has_guests_base)s)
               AND NOT EXISTS (SELECT 1 FROM calendar_sync_link l WHERE l.recurrence_id = r.id
                                  AND (l.account_id = %(account)s OR l.origin = 'pull'))
            """,
                account=self.id,
                provider=self.provider,
                uid=self.env.uid,
                user=self.user_id.id,
                window=self._sync_window_start(),
                allowed=allowed,
                allowed_base=allowed_base,
                withhold=policy == "without_guests",
                hold=policy == "hold",
                has_guests=_has_guests("e", self.user_id.partner_id),
                has_guests_base=_has_guests("b", self.user_id.partner_id),
            )
        )
        self.env["calendar.sync.link"].invalidate_model()
        self.queue_existing = False

    def _sync_existing_guests_policy(self):
        """What pushing existing events does with their guests: ``with_guests`` where the
        provider creates events silently, else the user's choice."""
        if self._sync_provider_pushes_silently(self.provider):
            return "with_guests"
        return self.existing_guests_policy or "without_guests"

    def _sync_has_guests(self, record):
        """Whether an event or series has attendees besides the connected user."""
        event = record.base_event_id if record._name == "calendar.recurrence" else record
        return bool(event.partner_ids - self.user_id.partner_id)

    def _sync_organizes(self, record):
        event = record.base_event_id if record._name == "calendar.recurrence" else record
        return event.user_id == self.user_id

    def _sync_reply_state(self, record, link):
        """An invitation this user does not organize: a state carrying only their own answer
        (``reply_event``), or None when there is nothing this user may push."""
        state = self._sync_local_state(record, link)
        agreed = from_snapshot(link.snapshot) if link.snapshot else None
        event = reply_event(state.event, agreed, self.user_id.email or "")
        return event and dataclasses.replace(state, event=event)

    def _sync_apply_push_result(self, connector, rules, op, result, link, counts):
        record = (
            None if op.key.startswith("calendar.sync.link,") else self._sync_record_for_key(op.key)
        )
        if result.ok:
            self._sync_push_succeeded(op, result, record, link, counts)
        elif result.conflict:
            self._sync_resolve_conflict(connector, rules, op, record, link, counts)
        else:
            self._sync_push_failed(op, result, record, link, counts)

    def _sync_push_succeeded(self, op, result, record, link, counts):
        if op.kind == OpKind.DELETE:
            # The Odoo record may be gone: its name is in the last synced state.
            title = from_snapshot(link.snapshot or {}).title if link else ""
            if link:
                link.unlink()
            counts.pushed_deleted += 1
            self.env["calendar.sync.log"]._log_change(
                self, "push", "delete", record, remote_id=op.event.remote_id, record_name=title
            )
            return
        remote = result.event or op.event
        link = self._sync_store_link(link, record, remote, pushed=True)
        if op.kind == OpKind.CREATE:
            # The queued link says where the event belongs (a reverted remote deletion keeps
            # "pull": it goes back to its own calendar only).
            counts.pushed_created += 1
        else:
            counts.pushed_updated += 1
        self.env["calendar.sync.log"]._log_change(
            self, "push", op.kind.value, record, remote_id=remote.remote_id
        )

    def _sync_resolve_conflict(self, connector, rules, op, record, link, counts):
        """The remote copy changed since we read it: merge it by the conflict policy.

        Unless the remote copy is what we sent: our own update, applied by a request whose
        answer was lost and replayed against the version it created. That push succeeded.
        One conflict, one history entry: the merge's when both sides changed a same field,
        else this one (both sides' changes were kept).
        """
        remote = connector.fetch(link.remote_id) if link and link.remote_id else None
        remote = remote and without_withheld_guests(remote, _withheld(link))
        if remote and record and same_content(connector, op.event, remote):
            self._sync_push_succeeded(op, PushResult(op.key, event=remote), record, link, counts)
            return
        conflicts_before = counts.conflicts
        if remote is not None and record is not None:
            state = self._sync_local_state(record, link)
            matcher = Matcher(normalized_states(connector, [state]), match_keys=False)
            for action in plan_pull([remote], matcher, rules, first_sync=False):
                self._sync_apply_pull(action, {link.remote_id: link}, counts)
        if counts.conflicts == conflicts_before:
            counts.conflicts += 1
            self.env["calendar.sync.log"]._log_change(
                self, "push", "conflict", record, remote_id=link and link.remote_id,
                message=self.env._(
                    "The remote copy changed while Odoo was sending its own changes; "
                    "no field was changed on both sides, so both sides' changes were kept."
                ),
            )  # fmt: skip

    def _sync_push_failed(self, op, result, record, link, counts):
        counts.errors += 1
        error = result.error or SyncError("unknown error")
        message = self._sync_error_message(error)
        self.env["calendar.sync.log"]._log_change(
            self, "push", "error", record, remote_id=op.event.remote_id, message=str(error)
        )
        if result.retryable:
            link.push_error = message  # still queued: retried next run
            return
        # Refused for good (e.g. not the organizer): stop retrying, tell the user where it is.
        link.write({"need_push": False, "push_error": message})
        if record and record._name == "calendar.event":
            record.sudo().message_post(
                body=self.env._("%(connection)s: %(error)s", connection=self.name, error=message)
            )


def _withheld(link):
    """Whether ``link`` keeps its record's guests in Odoo only."""
    return bool(link and link.guests_withheld)


def _readable_reason(error):
    """One line for the sync history: Odoo's own message, never a traceback."""
    if isinstance(error, UserError):
        return error.args[0]
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else error.__class__.__name__


def _has_guests(alias, partner):
    """SQL: the event ``alias`` has attendees besides ``partner``."""
    return SQL(
        "EXISTS (SELECT 1 FROM calendar_event_res_partner_rel g"
        " WHERE g.calendar_event_id = %s AND g.res_partner_id != %s)",
        SQL.identifier(alias, "id"),
        partner.id,
    )


def _created_changes(record, vals):
    """History lines of a record a pull created: every field written, from nothing."""
    return {name: ("", _readable_field(record, name), False) for name in vals}


def _readable_field(record, name):
    field = record._fields[name]
    value = record[name]
    if field.type in ("many2many", "one2many", "many2one"):
        return ", ".join(value.mapped("display_name"))
    if field.type == "selection":
        return dict(field._description_selection(record.env)).get(value, "") if value else ""
    if field.type == "html":
        return html2plaintext(value or "")
    return "" if value is False else str(value)


def _raw_field(record, name):
    field = record._fields[name]
    if field.type in ("many2many", "one2many"):
        return [[6, 0, record[name].ids]]
    if field.type == "many2one":
        return record[name].id
    if field.type in ("date", "datetime"):
        return field.to_string(record[name]) or False
    return field.convert_to_write(record[name], record)


def _odoo_datetime(value):
    """A date or datetime as an Odoo Datetime field value (a date is its midnight)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    return naive_utc(value)


def _archived(record):
    if record._name == "calendar.recurrence":
        return not any(record.calendar_event_ids.mapped("active"))
    return not record.active


def _edited_alone(occurrence):
    """Whether the user changed this occurrence apart from its series."""
    if not occurrence.sync_original_start:
        return False
    first = occurrence.recurrence_id.base_event_id
    return not as_generated(
        occurrence._sync_to_neutral(), first._sync_to_neutral(), occurrence._sync_slot()
    )


def _is_occurrence(record):
    return record._name == "calendar.event" and bool(record.recurrence_id)
