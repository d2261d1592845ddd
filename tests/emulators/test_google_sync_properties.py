"""Property: a client that pages and syncs incrementally converges on the emulator's state,
however remote changes interleave with its pages (sync tokens + page cursors lose nothing)."""

from __future__ import annotations

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulators.google import GoogleEmulator

USER = "prop@example.com"
SINGLE = {
    "start": {"dateTime": "2024-05-06T09:00:00Z"},
    "end": {"dateTime": "2024-05-06T10:00:00Z"},
}
WEEKLY = {
    "start": {"dateTime": "2024-05-06T09:00:00", "timeZone": "Europe/Paris"},
    "end": {"dateTime": "2024-05-06T10:00:00", "timeZone": "Europe/Paris"},
    "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
}

operation = st.one_of(
    st.tuples(st.just("insert"), st.booleans()),
    st.tuples(st.just("patch"), st.integers(0, 20)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("cancel_instance"), st.integers(0, 20)),
    st.tuples(st.just("page"), st.integers(1, 4)),
    st.tuples(st.just("expire"), st.just(0)),
)


@pytest.fixture(scope="module")
def emulator():
    with GoogleEmulator() as server:
        yield server


class SyncClient:
    """A minimal sync client, as the connector is expected to behave."""

    def __init__(self, emulator: GoogleEmulator, access: str):
        self.url = emulator.url + "/calendar/v3/calendars/primary/events"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {access}"
        self.state: dict[str, dict] = {}
        self.sync_token: str | None = None
        self.page_token: str | None = None
        self.listing_sync: str | None = None  # syncToken used by the listing being paged

    def page(self, size: int) -> None:
        params = {"maxResults": size}
        if self.page_token is None:
            self.listing_sync = self.sync_token
        if self.listing_sync:
            params["syncToken"] = self.listing_sync
        if self.page_token:
            params["pageToken"] = self.page_token
        answer = self.session.get(self.url, params=params, timeout=10)
        if answer.status_code == 410:
            self.state, self.sync_token, self.page_token, self.listing_sync = {}, None, None, None
            return
        answer.raise_for_status()
        body = answer.json()
        assert not ("nextPageToken" in body and "nextSyncToken" in body)
        for item in body["items"]:
            if item["status"] == "cancelled":
                self.state.pop(item["id"], None)
            else:
                self.state[item["id"]] = item
        self.page_token = body.get("nextPageToken")
        if self.page_token is None:
            self.sync_token = body["nextSyncToken"]

    def settle(self) -> None:
        for _ in range(200):
            self.page(50)
            if self.page_token is None and self.sync_token is not None:
                break
        self.page(50)  # one more incremental round after the listing ended
        assert self.page_token is None


def _live(emulator: GoogleEmulator) -> dict[str, dict]:
    return {e["id"]: e for e in emulator.events(USER) if e["status"] != "cancelled"}


def _apply(emulator: GoogleEmulator, client: SyncClient, op: tuple) -> None:
    kind, arg = op
    live = sorted(_live(emulator))
    masters = [i for i in live if emulator.get_event(USER, i).get("recurrence")]
    if kind == "insert":
        emulator.insert_event(USER, dict(WEEKLY if arg else SINGLE, summary="new"))
    elif kind == "patch" and live:
        emulator.patch_event(USER, live[arg % len(live)], {"summary": f"v{arg}"})
    elif kind == "delete" and live:
        emulator.delete_event(USER, live[arg % len(live)])
    elif kind == "cancel_instance" and masters:
        instances = emulator.instances(USER, masters[arg % len(masters)])
        if instances:
            emulator.delete_event(USER, instances[arg % len(instances)]["id"])
    elif kind == "page":
        client.page(arg)
    elif kind == "expire":
        emulator.expire_sync_tokens()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(operation, max_size=30))
def test_client_converges(emulator, ops):
    emulator.reset()
    emulator.add_account(USER)
    access, _ = emulator.issue_tokens(USER)
    client = SyncClient(emulator, access)
    for op in ops:
        _apply(emulator, client, op)
    client.settle()
    expected = _live(emulator)
    assert set(client.state) == set(expected)
    for event_id, event in expected.items():
        assert client.state[event_id]["etag"] == event["etag"]
