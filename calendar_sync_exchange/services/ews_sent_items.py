"""Copies of e-mails sent from Odoo saved in the user's Sent Items through EWS (exchangelib).

``CreateItem`` with ``MessageDisposition="SaveOnly"`` and ``SavedItemFolderId`` Sent Items
saves a message without sending it, and Exchange keeps it as a draft unless its flags are set
at creation: ``PR_MESSAGE_FLAGS`` (``0x0E07``, an integer) = ``MSGFLAG_READ`` (1), without
``MSGFLAG_UNSENT`` (8), makes it a sent, read item (the flags cannot be changed once it is
saved). The submit and delivery times (``PR_CLIENT_SUBMIT_TIME`` ``0x0039``,
``PR_MESSAGE_DELIVERY_TIME`` ``0x0E06``) are its sent and received dates. Attachments go
inline in the same ``CreateItem`` (Exchange 2013 and later), under the cap of
``calendar_sync_base.services.sent_mail``.

Exactly once: the copy carries the caller's key in the extended property Graph writes
(``graph_sent_items.ODOO_MESSAGE_PROPERTY``: the project's property set, name
``odoo_message``), looked up with ``FindItem`` before a copy whose answer was lost is saved
again. The same properties as Graph's, so either backend finds the other's copies.

https://learn.microsoft.com/en-us/exchange/client-developer/web-service-reference/createitem-operation-email-message,
https://learn.microsoft.com/en-us/office/client-developer/outlook/mapi/pidtagmessageflags-canonical-property
"""

from __future__ import annotations

import datetime as dt

from exchangelib import (
    Account,
    EWSDateTime,
    ExtendedProperty,
    FileAttachment,
    HTMLBody,
    Mailbox,
    Message,
)

from calendar_sync_base.services.sent_mail import SentMail
from calendar_sync_microsoft.services.graph_mapper import ODOO_ID_PROPERTY_SET

from .ews_errors import BusyRetry

MSGFLAG_READ = 1  # read, and not MSGFLAG_UNSENT (8): a sent item, not a draft
FLAGS_FIELD = "calendar_sync_message_flags"
SUBMIT_TIME_FIELD = "calendar_sync_submit_time"
DELIVERY_TIME_FIELD = "calendar_sync_delivery_time"
KEY_FIELD = "calendar_sync_odoo_message"


class MessageFlags(ExtendedProperty):
    """PR_MESSAGE_FLAGS."""

    property_tag = 0x0E07
    property_type = "Integer"


class SubmitTime(ExtendedProperty):
    """PR_CLIENT_SUBMIT_TIME: when the sender sent it (the sent date)."""

    property_tag = 0x0039
    property_type = "SystemTime"


class DeliveryTime(ExtendedProperty):
    """PR_MESSAGE_DELIVERY_TIME: when it was delivered (the received date)."""

    property_tag = 0x0E06
    property_type = "SystemTime"


class OdooMessageKey(ExtendedProperty):
    """The key of the copy (database and Odoo message id)."""

    property_set_id = ODOO_ID_PROPERTY_SET
    property_name = "odoo_message"
    property_type = "String"


PROPERTIES = {
    FLAGS_FIELD: MessageFlags,
    SUBMIT_TIME_FIELD: SubmitTime,
    DELIVERY_TIME_FIELD: DeliveryTime,
    KEY_FIELD: OdooMessageKey,
}


def register_message_properties() -> None:
    """Make exchangelib write and read these properties on messages (once per process)."""
    known = {field.name for field in Message.FIELDS}
    for name, prop in PROPERTIES.items():
        if name not in known:
            Message.register(name, prop)


def _mailbox(name: str, address: str) -> Mailbox:
    return Mailbox(name=name or address, email_address=address)


class ExchangeSentItemsClient:
    """``SentItemsClient`` of one mailbox's Sent Items over EWS."""

    def __init__(self, account: Account, *, deadline: float | None = None):
        register_message_properties()
        self.account = account
        self.mailbox = account.primary_smtp_address
        self.call = BusyRetry(self.mailbox, deadline)

    def find_copy(self, key: str) -> str | None:
        """The id of the Sent Items message carrying ``key``, if any."""
        query = self.account.sent.filter(**{KEY_FIELD: key}).only("id")
        found = self.call("FindItem", lambda: list(query[:1]))
        return found[0].id if found else None

    def save_copy(self, mail: SentMail) -> str:
        """Save the sent item; its id. No answer raises ``SyncError`` (the copy may exist:
        ``find_copy`` first next time), a refusal of this message ``RemoteRejected``."""
        sent_at = EWSDateTime.from_datetime(
            dt.datetime.fromtimestamp(mail.sent_at.timestamp(), dt.timezone.utc)
        )
        message = Message(
            account=self.account,
            folder=self.call("GetFolder", lambda: self.account.sent),
            subject=mail.subject,
            body=HTMLBody(mail.html_body),
            author=_mailbox(*mail.sender),
            to_recipients=[_mailbox(*item) for item in mail.to],
            cc_recipients=[_mailbox(*item) for item in mail.cc],
            message_id=mail.internet_message_id or None,
            is_read=True,
            attachments=[
                FileAttachment(name=a.name, content_type=a.content_type, content=a.content)
                for a in mail.attachments
            ],
            **{
                FLAGS_FIELD: MSGFLAG_READ,
                SUBMIT_TIME_FIELD: sent_at,
                DELIVERY_TIME_FIELD: sent_at,
                KEY_FIELD: mail.key,
            },
        )
        self.call("CreateItem", message.save)
        return message.id
