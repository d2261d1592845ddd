"""Copies of e-mails sent from Odoo saved in the sender's Sent Items: what a provider's client
is given (``SentMail``) and answers (``SentItemsClient``), and the attachments' size cap.

The cap keeps one copy within what every provider takes in a single request: Graph takes a
file under 3 MB inline in one POST and about 4 MB per request, so the attachments of one copy
stay under 2 MB together (their base64 is 4/3 larger) and fit with the body; Exchange's
default EWS request limit is larger.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

MAX_ATTACHMENTS_BYTES = 2 * 1024 * 1024


@dataclass
class Attachment:
    name: str
    content_type: str
    content: bytes


@dataclass
class SentMail:
    """One e-mail as its sender sent it. ``key`` identifies it across retries."""

    key: str
    subject: str
    html_body: str
    sender: tuple[str, str]  # (name, address)
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    sent_at: dt.datetime
    attachments: list[Attachment] = field(default_factory=list)
    internet_message_id: str = ""


def capped_attachments(
    attachments: list[Attachment], limit: int = MAX_ATTACHMENTS_BYTES
) -> tuple[list[Attachment], list[Attachment]]:
    """``(kept, left out)``: attachments in order while their total stays under ``limit``."""
    kept, left_out, total = [], [], 0
    for attachment in attachments:
        if total + len(attachment.content) < limit:
            kept.append(attachment)
            total += len(attachment.content)
        else:
            left_out.append(attachment)
    return kept, left_out


class SentItemsClient(Protocol):
    """A mailbox's Sent Items, as a provider's client reaches them."""

    def find_copy(self, key: str) -> str | None:
        """The id of the Sent Items message carrying ``key`` (saved by an earlier run whose
        answer was lost), if any."""
        ...

    def save_copy(self, mail: SentMail) -> str:
        """Save ``mail`` as a sent item (not a draft) carrying ``mail.key``; its id. A lost
        answer raises ``SyncError``: the copy may exist, look it up before saving again. A
        refusal of this copy raises ``RemoteRejected``."""
        ...
