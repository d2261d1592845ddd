"""The batch wire format on its own: encoding requests, decoding answers in any order."""

from __future__ import annotations

import json

import pytest

from calendar_sync_base.services.batch import BatchPart, PartResponse
from calendar_sync_base.services.errors import (
    AuthExpired,
    CursorExpired,
    RemoteRejected,
    SyncError,
    Throttled,
)
from calendar_sync_google.services.batch_format import decode_batch, encode_batch
from calendar_sync_google.services.client import error_for


def test_encode_gives_one_application_http_part_per_request():
    body = encode_batch(
        [
            BatchPart("POST", "/calendar/v3/calendars/primary/events?sendUpdates=none", {"a": 1}),
            BatchPart(
                "DELETE", "/calendar/v3/calendars/primary/events/x", None, {"If-Match": '"7"'}
            ),
        ],
        "batch_b",
        "tok",
    ).decode()
    parts = body.split("--batch_b")
    assert parts[0] == "" and parts[-1] == "--\r\n"
    first, second = parts[1], parts[2]
    assert "Content-Type: application/http" in first and "Content-ID: <item0:tok>" in first
    assert "POST /calendar/v3/calendars/primary/events?sendUpdates=none HTTP/1.1" in first
    assert first.rstrip().endswith(json.dumps({"a": 1}, separators=(",", ":")))
    assert "Content-ID: <item1:tok>" in second and 'If-Match: "7"' in second
    assert "Authorization" not in body  # the outer request carries the token, once


def _answer(content_id: str | None, status: str, body: str = "", newline: str = "\r\n") -> str:
    lines = ["--b", "Content-Type: application/http"]
    if content_id:
        lines.append(f"Content-ID: <response-{content_id}>")
    lines += ["", f"HTTP/1.1 {status}", "Content-Type: application/json", "", body]
    return newline.join(lines) + newline


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_decode_matches_content_ids_whatever_the_order(newline):
    text = (
        _answer("item2:t", "404 Not Found", '{"error": {"code": 404}}', newline)
        + _answer("item0:t", "200 OK", '{"id": "a"}', newline)
        + _answer("item1:t", "204 No Content", "", newline)
        + "--b--"
        + newline
    )
    parts = decode_batch("multipart/mixed; boundary=b", text, 3)
    assert [p.status for p in parts] == [200, 204, 404]
    assert parts[0].payload == {"id": "a"} and parts[1].payload is None


def test_decode_without_content_ids_uses_positions_and_marks_missing_parts():
    text = (
        _answer(None, "200 OK", '{"id": "a"}') + _answer(None, "412 Precondition Failed") + "--b--"
    )
    parts = decode_batch('multipart/mixed; boundary="b"', text, 3)
    assert [p.status for p in parts] == [200, 412, None]


def test_decode_refuses_a_non_multipart_answer():
    with pytest.raises(SyncError):
        decode_batch("application/json", "{}", 1)


def _google_error(code: int, reason: str) -> dict:
    return {"error": {"errors": [{"reason": reason, "message": "m"}], "code": code, "message": "m"}}


@pytest.mark.parametrize(
    "status, reason, kind",
    [
        (401, "authError", AuthExpired),
        (410, "fullSyncRequired", CursorExpired),
        (429, "rateLimitExceeded", Throttled),
        (403, "userRateLimitExceeded", Throttled),
        (403, "quotaExceeded", Throttled),
        (403, "forbiddenForNonOrganizer", RemoteRejected),
        (400, "invalid", RemoteRejected),
        (503, "backendError", SyncError),
        (None, "", SyncError),
    ],
)
def test_errors_map_to_neutral_kinds(status, reason, kind):
    error = error_for(status, _google_error(status or 0, reason))
    assert type(error) is kind
    if kind is RemoteRejected:
        assert (error.reason, error.status) == (reason, status)


def test_part_response_defaults():
    assert PartResponse(None).headers == {} and PartResponse(None).payload is None
