"""What every Microsoft Graph client shares, on the connector toolkit: the version root
(``graph_base``), Graph's error table, ``@odata.nextLink`` paging (links kept on Graph's host,
stored relative to the root), page size through ``Prefer: odata.maxpagesize`` and the JSON
``$batch`` codec with Graph's transient answers. The calendar, contacts and sent items clients
subclass ``GraphClient`` and keep only their own resources.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from urllib.parse import urlsplit

import requests

from calendar_sync_base.services.batch import BatchingClient, BatchPart, PartResponse
from calendar_sync_base.services.errors import SyncError
from calendar_sync_base.services.http import ResilientSession
from calendar_sync_base.services.rest import TokenProvider, json_or_text

from .graph_batch import MAX_BATCH_SIZE, decode_batch, graph_query, part_json
from .graph_errors import error_for, is_conflict, is_transient

GRAPH_BASE = "https://graph.microsoft.com/v1.0"


class GraphClient(BatchingClient):
    """A ``BatchingClient`` speaking Graph v1.0 under ``graph_base``."""

    service = "Microsoft Graph"

    def __init__(
        self,
        session: ResilientSession,
        token_provider: TokenProvider,
        graph_base: str = GRAPH_BASE,
        page_size: int = 100,
        batch_size: int = MAX_BATCH_SIZE,
    ):
        if batch_size < 1 or page_size < 1:
            raise ValueError("batch_size and page_size must be positive")
        super().__init__(session, token_provider)
        self.graph_base = graph_base.rstrip("/")
        self.page_size = page_size
        self.batch_size = min(batch_size, MAX_BATCH_SIZE)

    # ----------------------------------------------------------------- plumbing

    @property
    def _origin(self) -> str:
        parts = urlsplit(self.graph_base)
        return f"{parts.scheme}://{parts.netloc}"

    def error_for(self, status, payload, headers=None, what: str = "") -> SyncError:
        return error_for(status, payload, headers, what)

    def request_headers(self, page: bool = False) -> dict[str, str]:
        """A collection page of ``page_size`` items."""
        return {"Prefer": f"odata.maxpagesize={self.page_size}"} if page else {}

    def next_page_link(self, page: dict) -> str:
        return page.get("@odata.nextLink") or ""

    def page_request(self, link: str, url: str, params: dict | None) -> tuple[str, None]:
        return self._absolute(link), None  # the link carries the query

    def follow_pages(self, link: str, what: str):
        """The pages from the one ``link`` (a page's ``@odata.nextLink``) names on."""
        return self._pages(self._absolute(link), None, what)

    def _absolute(self, link: str) -> str:
        """A link Graph gave (absolute) or a stored cursor (relative to ``graph_base``)."""
        if link.startswith(("https://", "http://")):
            if not link.startswith(self._origin + "/"):
                raise SyncError(f"Microsoft Graph link to another host refused: {link[:80]}")
            return link
        return self.graph_base + (link if link.startswith("/") else "/" + link)

    def _relative(self, link: str) -> str:
        return link[len(self.graph_base) :] if link.startswith(self.graph_base + "/") else link

    # ----------------------------------------------------------------- $batch

    def batch_request(self, parts: Sequence[BatchPart]) -> tuple[str, str, str]:
        body = {"requests": [part_json(part, str(i)) for i, part in enumerate(parts)]}
        return f"{self.graph_base}/$batch", json.dumps(body), "application/json"

    def batch_answers(self, response: requests.Response, count: int) -> list[PartResponse]:
        return decode_batch(json_or_text(response), count)

    def is_transient(self, answer: PartResponse) -> bool:
        return is_transient(answer.status)

    def is_conflict(self, answer: PartResponse) -> bool:
        return is_conflict(answer.status, answer.payload)

    def batch_get(self, paths: Sequence[str], params: dict | None = None) -> list[PartResponse]:
        """GET several resources (paths relative to the version root) in ``$batch`` chunks."""
        query = "?" + graph_query(params) if params else ""
        parts = [BatchPart("GET", path + query, headers=self.request_headers()) for path in paths]
        self.new_auth_round()
        return self.execute(parts)
