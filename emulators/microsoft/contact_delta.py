"""``GET /me/contactFolders/{id}/contacts/delta``: contacts added, updated or deleted in a folder.

As Microsoft documents it ("contact: delta", learn.microsoft.com/graph/api/contact-delta): a
first round lists every contact of the folder, page by page (``Prefer: odata.maxpagesize``,
``@odata.nextLink`` with a ``$skiptoken``), and ends with an ``@odata.deltaLink`` whose
``$deltatoken`` the next round starts from; a round lists only the contacts created or
changed since its token, and the deleted ones as ``{"id": ..., "@removed": {"reason":
"deleted"}}``. Only ``$select`` may be given (on the first request: the links carry it);
other query options are refused. Tokens share the calendar delta's tracker (expiry, 410
``SyncStateNotFound``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ..base import RecordedRequest, Response
from . import errors, odata
from .graph import graph_json

if TYPE_CHECKING:
    from .server import MicrosoftEmulator

CONTACT_READ = {"contacts.read", "contacts.readwrite", "contacts.read.shared"}
DEFAULT_PAGE = 10
CONTACT_DELTA_OPTIONS = ("$skiptoken", "$deltatoken", "$select")


@dataclass
class ContactDeltaToken:
    """What a client was given of one folder: contact id -> change key."""

    email: str
    folder: str
    snapshot: dict[str, str]
    select: frozenset[str]  # the first request's $select: every round answers with it
    created: dt.datetime
    generation: int = 0


class ContactDeltaApi:
    """Mixed into MicrosoftEmulator with ``OutlookApi`` (its store and renderer)."""

    def _contact_delta(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, CONTACT_READ)
        folder = self._contact_folder(mailbox.email, request.path_params.get("folder"))
        for option in request.query:
            if option.startswith("$") and option.lower() not in CONTACT_DELTA_OPTIONS:
                raise errors.bad_request(
                    f"The query parameter '{option}' is not supported with change tracking "
                    "over the 'Contacts' resource.",
                    "ErrorInvalidUrlQuery",
                )
        now, ttl = self.now(), self.delta_token_ttl
        skip_token, delta_token = request.arg("$skiptoken"), request.arg("$deltatoken")
        if skip_token:
            round_, position = self.delta.page(skip_token, mailbox.email, now, ttl)
        else:
            snapshot: dict[str, str] = {}
            select = frozenset(
                name.strip() for name in (request.arg("$select") or "").split(",") if name.strip()
            )
            if delta_token:
                token = self.delta.delta_token(delta_token, mailbox.email, now, ttl)
                if not isinstance(token, ContactDeltaToken) or token.folder != folder:
                    raise errors.sync_state_not_found(self.delta.generations.get(mailbox.email, 0))
                snapshot, select = token.snapshot, token.select
            entries, current = self._contact_round(mailbox.email, folder, snapshot)
            following = ContactDeltaToken(mailbox.email, folder, current, select, now)
            round_, position = self.delta.start_round(mailbox.email, entries, following, now), 0
        size = odata.parse_prefer(request).max_page_size or DEFAULT_PAGE
        return self._contact_delta_page(request, round_, position, size)

    def _contact_round(self: MicrosoftEmulator, email: str, folder: str, snapshot: dict):
        """Entries since ``snapshot`` (every contact when empty) and the folder's new state."""
        current = {
            item.id: item.change_key
            for item in self.outlook_store(email).contacts.values()
            if item.folder_id == folder
        }
        entries = [("contact", cid) for cid, key in current.items() if snapshot.get(cid) != key]
        entries += [("removed", cid) for cid in snapshot if cid not in current]
        return entries, current

    def _contact_delta_page(self: MicrosoftEmulator, request, round_, position: int, size: int):
        store = self.outlook_store(round_.email)
        select = round_.next_token.select
        value: list[dict[str, Any]] = []
        for kind, contact_id in round_.entries[position : position + size]:
            item = store.contacts.get(contact_id)
            if kind == "removed" or item is None:  # deleted since the round was prepared
                value.append({"id": contact_id, "@removed": {"reason": "deleted"}})
                continue
            rendered = self._render_contact(item, None)
            if select:
                rendered = {k: v for k, v in rendered.items() if k in select or k == "id"}
            value.append({"@odata.type": "#microsoft.graph.contact", **rendered})
        body: dict[str, Any] = {"@odata.context": f"{self.graph_url}/$metadata#Collection(contact)"}
        link = f"{self.url}{request.path}?"
        if position + size < len(round_.entries):
            token = self.delta.skip_token_for(round_, position + size)
            body["@odata.nextLink"] = link + urlencode({"$skiptoken": token}, safe="$")
        else:
            token = self.delta.finish(round_)
            body["@odata.deltaLink"] = link + urlencode({"$deltatoken": token}, safe="$")
        body["value"] = value
        return graph_json(body, 200, {"Preference-Applied": "odata.track-changes"})
