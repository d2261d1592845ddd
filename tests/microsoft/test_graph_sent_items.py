"""GraphSentItemsClient against the Microsoft emulator: sent items (never drafts), sent date,
attachments under the cap, lookup by the Odoo key, errors mapped to the engine's."""

from __future__ import annotations

import datetime as dt

import pytest

from calendar_sync_base.services.errors import AuthExpired, RemoteRejected, SyncError
from calendar_sync_base.services.sent_mail import (
    MAX_ATTACHMENTS_BYTES,
    Attachment,
    SentMail,
    capped_attachments,
)
from calendar_sync_microsoft.services.graph_sent_items import GraphSentItemsClient

from .conftest import EMAIL

UTC = dt.timezone.utc  # noqa: UP017 - the code under test must run on Python 3.10


def sent_mail(key="db:42", **extra) -> SentMail:
    values = {
        "key": key,
        "subject": "Quote S00042",
        "html_body": "<p>Here is your quote</p>",
        "sender": ("Alice", EMAIL),
        "to": [("Ada", "ada@example.com")],
        "cc": [("", "carol@example.com")],
        "sent_at": dt.datetime(2029, 11, 30, 10, 0, tzinfo=UTC),
        "attachments": [Attachment("quote.pdf", "application/pdf", b"%PDF")],
        "internet_message_id": "<42.odoo@example.com>",
        **extra,
    }
    return SentMail(**values)


@pytest.fixture
def mail_client(ms, session):
    token, _refresh = ms.issue_tokens(EMAIL, scopes=["Mail.ReadWrite"])
    return GraphSentItemsClient(session, lambda force_refresh=False: token, ms.graph_url)


def test_copy_is_a_sent_item_with_its_date_and_recipients(ms, mail_client):
    remote_id = mail_client.save_copy(sent_mail())
    [copy] = ms.mail_messages(EMAIL)
    assert copy["id"] == remote_id
    assert copy["isDraft"] is False
    assert copy["sentDateTime"] == copy["receivedDateTime"] == "2029-11-30T10:00:00Z"
    # Kept by the emulator (unverified for Graph: see its README); nothing reads it back.
    assert copy["internetMessageId"] == "<42.odoo@example.com>"
    assert [r["emailAddress"]["address"] for r in copy["toRecipients"]] == ["ada@example.com"]
    assert copy["ccRecipients"][0]["emailAddress"]["name"] == "carol@example.com"
    assert [a["name"] for a in copy["attachments"]] == ["quote.pdf"]


def test_copy_is_found_by_its_key_only(mail_client):
    assert mail_client.find_copy("db:42") is None
    remote_id = mail_client.save_copy(sent_mail())
    mail_client.save_copy(sent_mail(key="other-db:42"))
    assert mail_client.find_copy("db:42") == remote_id
    assert mail_client.find_copy("it's:7") is None  # quotes are escaped in the filter


def test_lost_answer_and_refusals_are_engine_errors(ms, mail_client):
    ms.faults.add(lose_answer=True, method="POST", path_regex="/messages$")
    with pytest.raises(SyncError) as lost:
        mail_client.save_copy(sent_mail())
    assert not isinstance(lost.value, RemoteRejected)
    assert mail_client.find_copy("db:42") is not None
    too_big = Attachment("big.bin", "application/octet-stream", b"x" * 3 * 1024 * 1024)
    with pytest.raises(RemoteRejected):
        mail_client.save_copy(sent_mail(attachments=[too_big]))


def test_token_without_mail_permission_is_refused(ms, session):
    token, _refresh = ms.issue_tokens(EMAIL, scopes=["Calendars.ReadWrite"])
    client = GraphSentItemsClient(session, lambda force_refresh=False: token, ms.graph_url)
    with pytest.raises(RemoteRejected) as refused:
        client.save_copy(sent_mail())
    assert refused.value.status == 403
    ms.expire_access_tokens(EMAIL)
    with pytest.raises(AuthExpired):
        client.save_copy(sent_mail())


def test_attachments_are_capped_in_order():
    half = MAX_ATTACHMENTS_BYTES // 2
    items = [Attachment(name, "x/y", b"x" * size) for name, size in
             [("a", half), ("big", half + 1), ("b", half - 10)]]  # fmt: skip
    kept, left_out = capped_attachments(items)
    assert [a.name for a in kept] == ["a", "b"]
    assert [a.name for a in left_out] == ["big"]
