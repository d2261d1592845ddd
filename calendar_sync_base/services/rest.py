"""A JSON REST API behind a bearer token: the plumbing every HTTP connector shares.

A connector subclasses ``BearerRestClient`` and gives its name (``service``), its error table
(``error_for``) and, where its API needs them, default headers (``request_headers``), answers
to retry (``retry_if``) and how a page names the next one (``next_page_link`` /
``page_request``).

Token refresh, the one behaviour every connector must agree on: a single request answered 401
asks ``token_provider(force_refresh=True)`` for a new token once and is sent again; a second 401
raises ``AuthExpired`` (a single request has no other way to say it). Batches never raise for
one part: see ``batch.BatchingClient``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests

from .errors import SyncError
from .http import ResilientSession

TokenProvider = Callable[..., str]


def json_or_text(response: requests.Response) -> Any:
    """The decoded JSON answer, or its text when it is not JSON (error pages, proxies)."""
    try:
        return response.json()
    except ValueError:
        return response.text


def header(headers: Any, name: str) -> str | None:
    """A header's value whatever the case of its name (parsed answers keep the server's)."""
    if not headers:
        return None
    wanted = name.casefold()
    for key, value in dict(headers).items():
        if str(key).casefold() == wanted:
            return str(value)
    return None


class BearerRestClient:
    """``session`` sends (timeouts, retries, deadline); ``token_provider()`` returns the current
    access token and ``token_provider(force_refresh=True)`` a new one after a 401."""

    service = "remote service"  # names the provider in error messages

    def __init__(self, session: ResilientSession, token_provider: TokenProvider):
        self.session = session
        self.token_provider = token_provider

    # ----------------------------------------------------------------- what a connector says

    def error_for(
        self, status: int | None, payload: Any, headers: Any = None, what: str = ""
    ) -> SyncError:
        """The engine's error for a failed call (the provider's error-code table)."""
        raise NotImplementedError

    def request_headers(self, page: bool = False) -> dict[str, str]:  # pylint: disable=unused-argument
        """Headers every call carries (``page``: a call reading a collection page)."""
        return {}

    def retry_if(self, response: requests.Response) -> bool:  # pylint: disable=unused-argument
        """Answers the session retries like a 429 (never processed), beyond the standard ones."""
        return False

    def next_page_link(self, page: dict) -> str:
        """What a collection page names the next one by ("" on the last page)."""
        raise NotImplementedError

    def page_request(self, link: str, url: str, params: dict | None) -> tuple[str, dict | None]:
        """The URL and query of the page ``link`` names, ``url`` / ``params`` being the first's."""
        raise NotImplementedError

    # ----------------------------------------------------------------- sending

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        """One call with the bearer token; on 401 refresh once, then ``AuthExpired``."""
        response = self._send_with(self.token_provider(), method, url, **kwargs)
        if response.status_code != 401:
            return response
        response = self._send_with(self.token_provider(force_refresh=True), method, url, **kwargs)
        if response.status_code == 401:
            what = f"{method} {urlsplit(url).path}"
            raise self.error_for(401, json_or_text(response), response.headers, what)
        return response

    def _send_with(self, token: str, method: str, url: str, **kwargs) -> requests.Response:
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
        return self.session.request(method, url, headers=headers, retry_if=self.retry_if, **kwargs)

    def _get_json(
        self, url: str, params: dict | None = None, what: str = "", page: bool = False
    ) -> dict:
        """A GET answered 200 with a JSON object; any other answer raises the engine's error."""
        response = self._send("GET", url, params=params, headers=self.request_headers(page))
        payload = json_or_text(response)
        if response.status_code != 200:
            raise self.error_for(response.status_code, payload, response.headers, what)
        if not isinstance(payload, dict):
            raise SyncError(f"{self.service} {what}: answer is not a JSON object")
        return payload

    def _pages(self, url: str, params: dict | None, what: str) -> Iterator[dict]:
        """Every page of a collection; a provider naming a page twice would loop: stop."""
        seen: set[str] = set()
        while True:
            page = self._get_json(url, params, what, page=True)
            yield page
            link = self.next_page_link(page)
            if not link:
                return
            if link in seen:
                raise SyncError(f"{self.service} {what}: next page repeated, stopping")
            seen.add(link)
            url, params = self.page_request(link, url, params)
