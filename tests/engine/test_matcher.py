import datetime as dt

from calendar_sync_base.services.matcher import LocalState, Matcher, match_key, normalize_title
from calendar_sync_base.services.model import UTC, SyncEvent

START = dt.datetime(2024, 5, 6, 9, tzinfo=UTC)
STOP = dt.datetime(2024, 5, 6, 10, tzinfo=UTC)


def local(key: str, **fields) -> LocalState:
    fields.setdefault("title", "Standup")
    fields.setdefault("start", START)
    fields.setdefault("stop", STOP)
    return LocalState(key=key, event=SyncEvent(**fields))


def remote(remote_id: str, **fields) -> SyncEvent:
    fields.setdefault("title", "Standup")
    fields.setdefault("start", START)
    fields.setdefault("stop", STOP)
    return SyncEvent(remote_id=remote_id, **fields)


def test_remote_id_first():
    linked = local("e,1", remote_id="r1", title="Renamed")
    same_key = local("e,2")
    matcher = Matcher([same_key, linked], match_keys=True)
    assert matcher.match(remote("r1")) == (linked, "remote_id")


def test_ical_uid_before_key():
    by_ical = local("e,1", ical_uid="uid-1", title="Different")
    by_key = local("e,2")
    matcher = Matcher([by_key, by_ical], match_keys=True)
    assert matcher.match(remote("r1", ical_uid="uid-1")) == (by_ical, "ical_uid")


def test_key_match_only_when_asked():
    candidate = local("e,1")
    assert Matcher([candidate], match_keys=False).match(remote("r1")) == (None, "")
    assert Matcher([candidate], match_keys=True).match(remote("r1")) == (candidate, "key")


def test_key_normalizes_title_and_time_zone():
    candidate = local("e,1", title="Weekly  Standup ")
    brussels = dt.timezone(dt.timedelta(hours=2))
    twin = remote(
        "r1",
        title="weekly standup",
        start=START.astimezone(brussels),
        stop=STOP.astimezone(brussels),
    )
    assert Matcher([candidate], match_keys=True).match(twin) == (candidate, "key")
    assert normalize_title("  A \t B ") == "a b"
    assert match_key(candidate.event)[3] is False


def test_a_candidate_is_key_matched_at_most_once():
    first, second = local("e,1"), local("e,2")
    matcher = Matcher([first, second], match_keys=True)
    assert matcher.match(remote("r1")) == (first, "key")
    assert matcher.match(remote("r2")) == (second, "key")
    assert matcher.match(remote("r3")) == (None, "")
    # The same remote event seen twice (paging overlap) keeps its match.
    assert matcher.match(remote("r1")) == (first, "key")


def test_linked_candidates_never_key_or_ical_match_another_remote():
    linked = local("e,1", remote_id="other", ical_uid="uid-1")
    matcher = Matcher([linked], match_keys=True)
    assert matcher.match(remote("r1", ical_uid="uid-1")) == (None, "")


def test_series_instances_sharing_an_ical_uid_match_their_own_slot():
    master = local("e,1", ical_uid="uid-1")
    instance = local("e,2", ical_uid="uid-1", original_start=START)
    matcher = Matcher([master, instance])
    remote_instance = remote(
        "m_20240506T090000Z", ical_uid="uid-1", original_start=START, master_remote_id="m"
    )
    assert matcher.match(remote_instance) == (instance, "ical_uid")
    assert matcher.match(remote("m", ical_uid="uid-1")) == (master, "ical_uid")


def test_all_day_key():
    day = local("e,1", start=dt.date(2024, 5, 6), stop=dt.date(2024, 5, 7), all_day=True)
    matcher = Matcher([day], match_keys=True)
    timed_same_title = remote("r0")
    assert matcher.match(timed_same_title) == (None, "")
    all_day = remote("r1", start=dt.date(2024, 5, 6), stop=dt.date(2024, 5, 7), all_day=True)
    assert matcher.match(all_day) == (day, "key")
