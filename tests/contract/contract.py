"""The behaviour every connector owes the engine, written once (pure: connector + emulator).

A provider's test class inherits ``ConnectorContract`` and gives an ``adapter`` fixture (a
``ProviderAdapter`` over its emulator): see README.md.
"""

from __future__ import annotations

import pytest

from calendar_sync_base.services.errors import (
    AuthExpired,
    CursorExpired,
    RemoteRejected,
    SyncError,
    Throttled,
)
from calendar_sync_base.services.model import SyncEvent
from calendar_sync_base.services.protocol import OpKind, PushOp


def creates(adapter, count: int, first: int = 1) -> list[PushOp]:
    return [
        PushOp(OpKind.CREATE, f"calendar.event,{i}", adapter.timed(f"event {i}", 1 + i % 28, i))
        for i in range(first, first + count)
    ]


def titles(changes) -> list[str]:
    return sorted(e.title for e in changes.events if not e.cancelled)


class ConnectorContract:
    """Listing, pushing, conflicts, lost answers, throttling, token refresh, poison items."""

    # ----------------------------------------------------------------- listing

    def test_full_listing_pages_then_incremental_brings_only_the_changes(self, adapter):
        ids = [adapter.insert(f"e{day}", day) for day in range(1, 6)]
        connector = adapter.connector(page_size=2)
        full = connector.list_changes("")
        assert titles(full) == [f"e{day}" for day in range(1, 6)]
        assert full.full_resync and full.complete and full.next_cursor
        adapter.rename(ids[0], "renamed")
        adapter.delete(ids[1])
        new = adapter.insert("new", 20)
        changes = connector.list_changes(full.next_cursor)
        by_id = {e.remote_id: e for e in changes.events}
        assert set(by_id) == {ids[0], ids[1], new} and not changes.full_resync
        assert by_id[ids[0]].title == "renamed" and by_id[ids[1]].cancelled
        assert changes.next_cursor and changes.next_cursor != full.next_cursor
        assert connector.list_changes(changes.next_cursor).events == []

    def test_a_listing_resumes_from_a_stored_page_token_in_another_connector(self, adapter):
        for day in range(1, 6):
            adapter.insert(f"e{day}", day)
        page = adapter.connector(page_size=2).list_page("")
        assert len(page.events) == 2 and page.next_page and not page.next_cursor
        later = adapter.connector(page_size=2)  # another process, after a crash
        seen = [e.title for e in page.events]
        while page.next_page:
            page = later.list_page("", page.next_page)
            seen += [e.title for e in page.events]
        assert sorted(seen) == [f"e{day}" for day in range(1, 6)] and page.next_cursor

    def test_a_refused_cursor_raises_cursor_expired_and_a_full_listing_recovers(self, adapter):
        adapter.insert("one", 1)
        connector = adapter.connector()
        cursor = connector.list_changes("").next_cursor
        adapter.expire_cursors()
        with pytest.raises(CursorExpired):
            connector.list_changes(cursor)
        again = connector.list_changes("")
        assert titles(again) == ["one"] and again.full_resync

    def test_a_503_mid_listing_never_hands_over_a_cursor_past_the_change(self, adapter):
        gone = adapter.insert("trip", 4)
        connector = adapter.connector()
        cursor = connector.list_changes("").next_cursor
        adapter.delete(gone)
        fault = adapter.fail_listing_of(gone)
        try:
            changes = connector.list_changes(cursor)
        except SyncError:
            pass  # the listing stopped: no cursor handed over
        else:
            assert not changes.complete, "an incomplete listing must say so (cursor kept)"
            assert gone not in {e.remote_id for e in changes.events}
        adapter.restore(fault)
        changes = connector.list_changes(cursor)  # the same changes, read again
        assert changes.complete
        assert [(e.remote_id, e.cancelled) for e in changes.events] == [(gone, True)]

    # ----------------------------------------------------------------- pushing

    def test_create_partial_update_and_delete_through_apply(self, adapter):
        connector = adapter.connector()
        [created] = connector.apply(creates(adapter, 1))
        assert created.ok and created.event.remote_id and created.event.etag
        assert adapter.read(created.event.remote_id)["title"] == "event 1"
        assert created.event.odoo_id == 1

        remote_id = adapter.insert("Planning", 3, location="HQ")
        current = connector.fetch(remote_id)
        edited = current.replace(title="Planning (v2)", location="")
        [updated] = connector.apply([PushOp(OpKind.UPDATE, "k", edited, fields=("title",))])
        assert updated.ok and updated.event.etag != current.etag
        assert adapter.read(remote_id) == {"title": "Planning (v2)", "location": "HQ"}

        delete = PushOp(OpKind.DELETE, "k", updated.event.replace(etag=""))
        assert connector.apply([delete])[0].ok
        assert adapter.read(remote_id) is None
        assert connector.apply([delete])[0].ok, "deleting what is gone reaches the goal"

    def test_a_stale_etag_is_a_conflict_not_an_overwrite(self, adapter):
        connector = adapter.connector()
        remote_id = adapter.insert("original", 2)
        stale = connector.fetch(remote_id)
        adapter.rename(remote_id, "changed remotely")
        [result] = connector.apply([PushOp(OpKind.UPDATE, "k", stale.replace(title="ours"))])
        assert result.conflict and not result.ok and result.error is None
        assert adapter.read(remote_id)["title"] == "changed remotely"

    def test_a_create_whose_answer_was_lost_is_found_not_duplicated(self, adapter):
        adapter.insert("event 1", 2, odoo_id=1)  # an earlier attempt was applied
        adapter.fail_create_parts(status=500, times=1)
        [result] = adapter.connector().apply(creates(adapter, 1))
        assert result.ok and result.event.odoo_id == 1 and result.event.title == "event 1"
        assert adapter.count() == 1

    def test_a_lost_create_is_found_even_when_the_retries_are_exhausted(self, adapter):
        adapter.session.max_retries = 0
        adapter.insert("event 1", 2, odoo_id=1)
        adapter.fail_create_parts(status=500, times=None)
        [result] = adapter.connector().apply(creates(adapter, 1))
        assert result.ok and result.event.odoo_id == 1, result.error
        assert adapter.count() == 1

    def test_a_throttled_part_is_sent_again_after_its_retry_after(self, adapter, sleeps):
        results = adapter.connector().apply(creates(adapter, 4))
        assert all(r.ok for r in results) and sleeps == []
        adapter.throttle_part(retry_after=7, nth=2)
        results = adapter.connector().apply(creates(adapter, 4, first=10))
        assert all(r.ok for r in results)
        assert sleeps == [7] and adapter.count() == 8

    def test_poison_ops_are_reported_alone_and_never_block_the_rest(self, adapter):
        theirs = adapter.insert("theirs", 4, organizer="bob@example.com")
        connector = adapter.connector()
        hijack = connector.fetch(theirs).replace(title="hijack")
        ops = [
            PushOp(OpKind.UPDATE, "foreign", hijack),
            PushOp(OpKind.CREATE, "no-times", SyncEvent(title="no times")),
            *creates(adapter, 2),
        ]
        foreign, unmappable, *others = connector.apply(ops)
        assert isinstance(foreign.error, RemoteRejected) and foreign.error.status == 403
        assert not foreign.retryable
        assert isinstance(unmappable.error, RemoteRejected) and not unmappable.retryable
        assert all(r.ok for r in others) and adapter.count() == 3
        assert adapter.read(theirs)["title"] == "theirs"

    def test_throttling_that_outlasts_the_retries_keeps_the_op_queued(self, adapter, sleeps):
        adapter.throttle_part(retry_after=2, times=None)
        [result] = adapter.connector().apply(creates(adapter, 1))
        assert isinstance(result.error, Throttled) and result.retryable
        assert sleeps == [2] * adapter.session.max_retries and adapter.count() == 0

    # ----------------------------------------------------------------- tokens

    def test_a_401_refreshes_the_token_once_then_the_grant_is_gone(self, adapter):
        adapter.insert("one", 1)
        connector = adapter.connector()
        adapter.expire_access_tokens()
        assert titles(connector.list_changes("")) == ["one"]
        assert adapter.tokens.calls.count(True) == 1
        adapter.expire_access_tokens()
        assert all(r.ok for r in connector.apply(creates(adapter, 3)))
        assert adapter.tokens.calls.count(True) == 2, "one refresh for the whole push"
        adapter.tokens.revoked = True
        with pytest.raises(AuthExpired):
            connector.list_changes("")
        results = connector.apply(creates(adapter, 2, first=10))
        assert all(isinstance(r.error, AuthExpired) and r.retryable for r in results)
        assert adapter.count() == 4

    def test_a_refresh_that_fails_during_a_push_keeps_the_ops_queued(self, adapter):
        tokens = adapter.tokens

        def failing_refresh(force_refresh: bool = False) -> str:
            if force_refresh:
                raise SyncError("the identity platform is unavailable")
            return tokens()

        adapter.expire_access_tokens()
        connector = adapter.connector(token_provider=failing_refresh)
        results = connector.apply(creates(adapter, 2))  # never raises for an op
        assert all(isinstance(r.error, AuthExpired) and r.retryable for r in results)
        assert adapter.count() == 0
