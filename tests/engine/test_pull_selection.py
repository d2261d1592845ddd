import datetime as dt

from calendar_sync_base.services.matcher import LocalState
from calendar_sync_base.services.model import (
    UTC,
    Attendee,
    ChangeSet,
    Recurrence,
    SyncEvent,
)
from calendar_sync_base.services.pull_selection import (
    KnownLink,
    addressable,
    events_to_apply,
    own_echo,
    remote_version,
    still_skipped,
    unknown_zone_warnings,
    without_withheld_guests,
)

START = dt.datetime(2024, 5, 6, 9, tzinfo=UTC)
GUEST = Attendee("guest@example.com")
EVENT = SyncEvent(title="Review", start=START, remote_id="r1", etag="e2", attendees=(GUEST,))


def ids(events):
    return [event.remote_id for event in events]


def test_remote_version_is_the_etag_else_the_modification_time_else_nothing():
    assert remote_version(EVENT) == "e2"
    modified = EVENT.replace(etag="", last_modified=START)
    assert remote_version(modified) == "2024-05-06T09:00:00+00:00"
    assert remote_version(EVENT.replace(etag="")) == ""


def test_skipped_only_at_the_very_version_that_failed():
    assert still_skipped({"r1": "e2"}, EVENT)
    assert not still_skipped({"r1": "e1"}, EVENT)  # it changed since: try again
    assert not still_skipped({}, EVENT)
    # An item without any version cannot be told unchanged: always tried.
    assert not still_skipped({"r1": ""}, EVENT.replace(etag=""))


def test_own_echo_is_the_stored_version_coming_back_but_never_a_series():
    assert own_echo(KnownLink(etag="e2"), EVENT)
    assert not own_echo(KnownLink(etag="e1"), EVENT)
    assert not own_echo(None, EVENT)
    assert not own_echo(KnownLink(etag=""), EVENT.replace(etag=""))
    series = EVENT.replace(recurrence=Recurrence("FREQ=DAILY"))
    assert not own_echo(KnownLink(etag="e2"), series)


def test_withheld_guests_are_neither_read_nor_sent():
    assert without_withheld_guests(EVENT, True).attendees == ()
    assert without_withheld_guests(EVENT, False) is EVENT


def test_events_to_apply_leaves_out_what_must_not_reach_odoo():
    events = [
        EVENT.replace(remote_id="new"),
        EVENT.replace(remote_id="deleted_in_odoo"),
        EVENT.replace(remote_id="echo"),
        EVENT.replace(remote_id="stopped", etag="other"),
        EVENT.replace(remote_id="skipped"),
        EVENT.replace(remote_id="changed", etag="e3"),
    ]
    links = {
        "deleted_in_odoo": KnownLink(etag="old", record_exists=False),
        "echo": KnownLink(etag="e2"),
        "stopped": KnownLink(etag="old", stopped=True),
        "changed": KnownLink(etag="e2"),
    }
    series, exceptions = events_to_apply(events, links, {"skipped": "e2", "changed": "e2"})
    assert (ids(series), exceptions) == (["new", "changed"], [])


def test_events_to_apply_puts_series_and_single_events_before_exceptions():
    exception = EVENT.replace(remote_id="r1_x", master_remote_id="r1", original_start=START)
    master = EVENT.replace(remote_id="r1", recurrence=Recurrence("FREQ=DAILY"))
    single = EVENT.replace(remote_id="r2")
    series, exceptions = events_to_apply([exception, master, single], {}, {})
    assert (ids(series), ids(exceptions)) == (["r1", "r2"], ["r1_x"])


def test_events_to_apply_withholds_guests_of_links_that_keep_them():
    links = {"r1": KnownLink(etag="e1", guests_withheld=True)}
    series, _exceptions = events_to_apply([EVENT, EVENT.replace(remote_id="r2")], links, {})
    assert [event.attendees for event in series] == [(), (GUEST,)]


def test_only_exceptions_an_odoo_record_answers_to_are_applied():
    known = EVENT.replace(remote_id="r1_a", master_remote_id="r1")
    stray = EVENT.replace(remote_id="r9_a", master_remote_id="r9")
    candidates = [LocalState("calendar.event,5", known)]
    assert ids(addressable([known, stray], candidates)) == ["r1_a"]


def test_unknown_zones_are_reported_for_listed_events_still_there():
    cancelled = EVENT.replace(remote_id="r2", cancelled=True)
    changes = ChangeSet(
        events=[EVENT, cancelled],
        unknown_timezones={"r1": "Mars/Olympus", "r2": "Mars/Olympus", "r3": "Venus/Maxwell"},
    )
    assert unknown_zone_warnings(changes) == [(EVENT, "Mars/Olympus")]
