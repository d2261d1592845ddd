import pytest

from calendar_sync_base.services.errors import SyncError
from calendar_sync_base.services.model import ChangeSet, SyncEvent
from calendar_sync_base.services.protocol import every_page


class PagedConnector:
    """Pages by token: ``pages[token] = (remote ids, next token or "", final cursor)``."""

    def __init__(self, pages):
        self.pages = pages
        self.asked = []

    def list_page(self, cursor, page_token=""):
        self.asked.append((cursor, page_token))
        ids, next_page, next_cursor = self.pages[page_token]
        events = [SyncEvent(remote_id=remote_id) for remote_id in ids]
        return ChangeSet(events=events, next_page=next_page, next_cursor=next_cursor)


def test_every_page_is_joined_with_the_listing_cursor():
    connector = PagedConnector(
        {"": (["a", "b"], "p2", ""), "p2": (["b", "c"], "p3", ""), "p3": (["d"], "", "end")}
    )
    changes = every_page(connector, "start", "Test listing")
    assert [event.remote_id for event in changes.events] == ["a", "b", "c", "d"]
    assert changes.next_cursor == "end"
    assert changes.next_page == ""
    assert connector.asked == [("start", ""), ("start", "p2"), ("start", "p3")]


def test_a_page_token_given_twice_stops_the_listing():
    connector = PagedConnector({"": (["a"], "p2", ""), "p2": (["b"], "p2", "")})
    with pytest.raises(SyncError, match="Test listing: next page repeated"):
        every_page(connector, "", "Test listing")
    assert len(connector.asked) == 2, "the repeated token is not asked for again"
