"""Copies of e-mails sent from Odoo saved in the user's Outlook Sent Items (Microsoft Graph).

``POST /me/mailFolders/sentitems/messages`` creates a draft unless the message flags are set
at creation: ``PR_MESSAGE_FLAGS`` (``Integer 0x0E07``) = ``MSGFLAG_READ`` (1), i.e. without
``MSGFLAG_UNSENT``, saves it as a sent, read item ("isDraft flag can only be set at message
creation", through that extended property: microsoft-graph-docs#14829,
microsoft-graph-docs-contrib#2790 and #8631). Graph ignores ``isDraft``, ``sentDateTime`` and
``receivedDateTime`` in the body (OfficeDev/Office-365-SDK-for-Java#3); the MAPI submit and
delivery times (``SystemTime 0x0039`` / ``0x0E06``) set the dates.

Exactly once: every copy carries an extended property with the caller's key (database and
Odoo message id); a copy whose answer was lost is looked up by it before being sent again.
The ``internetMessageId`` is sent for mail clients' threading only: whether Graph keeps one
given at creation is not established, so nothing here looks a copy up by it.
"""

from __future__ import annotations

import base64

import requests

from calendar_sync_base.services.errors import SyncError
from calendar_sync_base.services.rest import json_or_text
from calendar_sync_base.services.sent_mail import SentMail
from calendar_sync_base.services.timeutil import rfc3339_utc

from .graph_errors import error_for
from .graph_mapper import ODOO_ID_PROPERTY_SET
from .graph_rest import GraphClient

MESSAGE_FLAGS_PROPERTY = "Integer 0x0E07"  # PR_MESSAGE_FLAGS
MSGFLAG_READ = "1"  # read, and not MSGFLAG_UNSENT (8): a sent item, not a draft
SUBMIT_TIME_PROPERTY = "SystemTime 0x0039"  # PR_CLIENT_SUBMIT_TIME -> sentDateTime
DELIVERY_TIME_PROPERTY = "SystemTime 0x0E06"  # PR_MESSAGE_DELIVERY_TIME -> receivedDateTime
ODOO_MESSAGE_PROPERTY = f"String {{{ODOO_ID_PROPERTY_SET}}} Name odoo_message"
SENT_ITEMS = "/me/mailFolders/sentitems/messages"


def _recipient(name: str, address: str) -> dict:
    return {"emailAddress": {"name": name or address, "address": address}}


def graph_message(mail: SentMail) -> dict:
    """Graph's JSON for ``mail`` as a sent item of the mailbox."""
    sent_at = rfc3339_utc(mail.sent_at)
    body = {
        "subject": mail.subject,
        "body": {"contentType": "html", "content": mail.html_body},
        "from": _recipient(*mail.sender),
        "toRecipients": [_recipient(*item) for item in mail.to],
        "ccRecipients": [_recipient(*item) for item in mail.cc],
        "attachments": [
            {
                "@odata.type": "#microsoft.graph.fileAttachment",
                "name": item.name,
                "contentType": item.content_type,
                "contentBytes": base64.b64encode(item.content).decode("ascii"),
            }
            for item in mail.attachments
        ],
        "singleValueExtendedProperties": [
            {"id": MESSAGE_FLAGS_PROPERTY, "value": MSGFLAG_READ},
            {"id": SUBMIT_TIME_PROPERTY, "value": sent_at},
            {"id": DELIVERY_TIME_PROPERTY, "value": sent_at},
            {"id": ODOO_MESSAGE_PROPERTY, "value": mail.key},
        ],
    }
    if mail.internet_message_id:
        body["internetMessageId"] = mail.internet_message_id
    return body


class GraphSentItemsClient(GraphClient):
    """Saves copies into Sent Items with Graph's shared plumbing (token refresh on 401,
    Graph errors mapped to the engine's, the caller's resilient session)."""

    def find_copy(self, key: str) -> str | None:
        """The id of the Sent Items message carrying ``key``, if any."""
        clause = f"singleValueExtendedProperties/any(ep: ep/id eq '{ODOO_MESSAGE_PROPERTY}' "
        clause += f"and ep/value eq '{key.replace(chr(39), chr(39) * 2)}')"
        params = {"$filter": clause, "$select": "id", "$top": "1"}
        page = self._get_json(f"{self.graph_base}{SENT_ITEMS}", params, "sent items lookup")
        found = page.get("value") or []
        return found[0]["id"] if found else None

    def save_copy(self, mail: SentMail) -> str:
        """Create the sent item; returns its id. A lost answer raises ``SyncError``: the copy
        may exist, so look it up (``find_copy``) before saving it again."""
        try:
            response = self._send(
                "POST", f"{self.graph_base}{SENT_ITEMS}", json=graph_message(mail)
            )
        except requests.RequestException as exc:
            raise SyncError(f"Microsoft Graph sent item: no answer ({exc})") from exc
        payload = json_or_text(response)
        if response.status_code != 201 or not isinstance(payload, dict):
            raise error_for(response.status_code, payload, response.headers, "sent item")
        return payload["id"]
