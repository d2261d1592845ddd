"""ExchangeSentItemsClient against the EWS emulator: sent items (never drafts) saved with
CreateItem SaveOnly into Sent Items, sent date, attachments inline, lookup by the Odoo key,
errors mapped to the engine's."""

from __future__ import annotations

import datetime as dt

import pytest
from exchangelib import Message

from calendar_sync_base.services.errors import AuthExpired, RemoteRejected, SyncError
from calendar_sync_base.services.sent_mail import Attachment, SentMail
from calendar_sync_exchange.services.ews_account import build_account
from calendar_sync_exchange.services.ews_sent_items import ExchangeSentItemsClient
from emulators.ews import messages
from tests.emulators.ews_support import account

from .conftest import schema_problems, settings_for

UTC = dt.timezone.utc  # noqa: UP017 - the code under test must run on Python 3.10
SENT_AT = dt.datetime(2024, 5, 6, 9, 30, tzinfo=UTC)


def sent_mail(key="db:42", **extra) -> SentMail:
    values = {
        "key": key,
        "subject": "Quote S00042",
        "html_body": "<p>Here is your <b>quote</b></p>",
        "sender": ("Alice", "alice@example.com"),
        "to": [("Ada Lovelace", "ada@example.com")],
        "cc": [("", "boss@example.com")],
        "sent_at": SENT_AT,
        "attachments": [Attachment("quote.pdf", "application/pdf", b"%PDF-1.4 quote")],
        "internet_message_id": "<42.odoo@example.com>",
        **extra,
    }
    return SentMail(**values)


@pytest.fixture
def sent_items(ews):
    return ExchangeSentItemsClient(build_account(settings_for(ews)))


def outlook_sent(ews):
    """Alice's Sent Items as Outlook reads them (her own login)."""
    return list(account(ews, "alice@example.com").sent.all())


def test_the_copy_is_a_sent_read_item_with_its_date_recipients_and_attachments(ews, sent_items):
    remote_id = sent_items.save_copy(sent_mail())
    [message] = outlook_sent(ews)
    assert message.id == remote_id
    assert (message.is_draft, message.is_read) == (False, True)
    assert message.datetime_sent == SENT_AT and message.datetime_received == SENT_AT
    assert message.subject == "Quote S00042" and "<b>quote</b>" in message.body
    assert message.author.email_address == "alice@example.com"
    assert [r.email_address for r in message.to_recipients] == ["ada@example.com"]
    assert [r.email_address for r in message.cc_recipients] == ["boss@example.com"]
    assert message.message_id == "<42.odoo@example.com>"
    [attachment] = message.attachments
    assert (attachment.name, attachment.size) == ("quote.pdf", len(b"%PDF-1.4 quote"))
    [create] = [r for r in ews.requests if r.context.get("operation") == "CreateItem"]
    assert b'MessageDisposition="SaveOnly"' in create.body
    assert b"SavedItemFolderId" in create.body


def test_without_the_flags_exchange_keeps_a_draft(ews):
    """What the property is for: the emulator, like Exchange, saves a draft otherwise."""
    acc = account(ews, "alice@example.com")
    Message(account=acc, folder=acc.sent, subject="No flags").save()
    [message] = outlook_sent(ews)
    assert (message.is_draft, message.datetime_sent) == (True, None)


def test_find_copy_finds_only_its_key(sent_items):
    remote_id = sent_items.save_copy(sent_mail("db:42"))
    assert sent_items.find_copy("db:42") == remote_id
    assert sent_items.find_copy("db:43") is None


def test_a_lost_answer_is_a_sync_error_and_the_copy_is_found_afterwards(ews, sent_items):
    sent_items.find_copy("warm-up")  # the Sent Items folder and the version are known
    ews.faults.add(lose_answer=True, times=1)  # the CreateItem is applied, its answer lost
    with pytest.raises(SyncError) as caught:
        sent_items.save_copy(sent_mail())
    assert not isinstance(caught.value, RemoteRejected)
    assert sent_items.find_copy("db:42") is not None
    assert len(outlook_sent(ews)) == 1


def test_an_oversized_message_is_refused_and_a_bad_login_is_auth_expired(ews, sent_items):
    big = Attachment("huge.bin", "application/octet-stream", b"x" * messages.MAX_MESSAGE_BYTES)
    with pytest.raises(RemoteRejected, match="ErrorMessageSizeExceeded|size"):
        sent_items.save_copy(sent_mail(attachments=[big]))
    ews.store.mailbox("admin@example.com").password = "changed"
    broken = ExchangeSentItemsClient(build_account(settings_for(ews)))
    with pytest.raises(AuthExpired):
        broken.save_copy(sent_mail())


def test_sent_items_traffic_follows_the_ews_schema(ews, sent_items, schema):
    sent_items.save_copy(sent_mail())
    sent_items.find_copy("db:42")
    outlook_sent(ews)
    problems = schema_problems(ews, schema)
    assert not problems, "\n".join(problems[:5])
