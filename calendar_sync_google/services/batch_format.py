"""Google's batch wire format: ``multipart/mixed`` of ``application/http`` requests and answers.

Parts and answers are the toolkit's ``BatchPart`` / ``PartResponse``; a part's ``path`` is the
absolute path with its query (``/calendar/v3/calendars/primary/events?sendUpdates=none``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from calendar_sync_base.services.batch import BatchPart, PartResponse
from calendar_sync_base.services.errors import SyncError

_RESPONSE_ID = re.compile(r"response-item(\d+)", re.IGNORECASE)


def encode_batch(parts: Sequence[BatchPart], boundary: str, token: str) -> bytes:
    """``multipart/mixed`` body: one ``application/http`` part per request, ids ``item<n>``."""
    chunks = []
    for index, part in enumerate(parts):
        lines = [
            f"--{boundary}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            f"Content-ID: <item{index}:{token}>",
            "",
            f"{part.method} {part.path} HTTP/1.1",
        ]
        lines += [f"{name}: {value}" for name, value in part.headers.items()]
        body = "" if part.body is None else json.dumps(part.body, separators=(",", ":"))
        if part.body is not None:
            lines.append("Content-Type: application/json; charset=UTF-8")
        lines += ["", body]
        chunks.append("\r\n".join(lines))
    return ("\r\n".join(chunks) + f"\r\n--{boundary}--\r\n").encode("utf-8")


def _boundary(content_type: str) -> str:
    match = re.search(r'boundary="?([^";]+)"?', content_type or "", re.IGNORECASE)
    if not match:
        raise SyncError(f"Google batch answer is not multipart: {content_type!r}")
    return match.group(1)


def _split_head(text: str) -> tuple[list[str], str]:
    """Header lines and the rest, for CRLF or bare LF line endings."""
    text = text.lstrip("\r\n")
    head, sep, rest = text.partition("\r\n\r\n")
    if not sep or "\n\n" in head:
        head, _, rest = text.partition("\n\n")
    return [line.strip() for line in head.splitlines() if line.strip()], rest


def _headers(lines: list[str]) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in lines if ":" in line)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def _parse_part(chunk: str) -> tuple[str, PartResponse]:
    outer_lines, inner = _split_head(chunk)
    content_id = _headers(outer_lines).get("content-id", "")
    inner_lines, body = _split_head(inner)
    if not inner_lines or not inner_lines[0].upper().startswith("HTTP/"):
        return content_id, PartResponse(None, payload=chunk[:200])
    status = int(inner_lines[0].split()[1])
    body = body.strip()
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = body
    return content_id, PartResponse(status, _headers(inner_lines[1:]), payload)


def decode_batch(content_type: str, body: str, count: int) -> list[PartResponse]:
    """Inner responses in request order (matched by ``Content-ID``, else by position)."""
    boundary = _boundary(content_type)
    chunks = body.split(f"--{boundary}")[1:]
    results: list[PartResponse | None] = [None] * count
    position = 0
    for chunk in chunks:
        if chunk.startswith("--") or not chunk.strip():
            continue
        content_id, part = _parse_part(chunk)
        match = _RESPONSE_ID.search(content_id)
        index = int(match.group(1)) if match else position
        if 0 <= index < count and results[index] is None:
            results[index] = part
        position += 1
    return [part or PartResponse(None) for part in results]
