"""Google's batch protocol: ``multipart/mixed`` of ``application/http`` parts.

See https://developers.google.com/calendar/api/guides/batch. Parts are answered in order,
``Content-ID: <x>`` becomes ``Content-ID: <response-x>``; headers of the outer request (e.g.
``Authorization``) apply to every part unless the part sets its own.
"""

from __future__ import annotations

import http
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ..base import Headers, Response

MAX_PARTS = 1000
_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
OUTER_ONLY = {"content-type", "content-length", "content-transfer-encoding", "mime-version"}


class BatchFormatError(ValueError):
    pass


@dataclass
class Part:
    content_id: str | None
    method: str
    target: str  # path + query
    headers: Headers
    body: bytes


def boundary_of(content_type: str | None) -> str:
    if not content_type or not content_type.lower().startswith("multipart/mixed"):
        raise BatchFormatError("The batch request must be multipart/mixed.")
    found = _BOUNDARY.search(content_type)
    if not found:
        raise BatchFormatError("Missing multipart boundary.")
    return found.group(1) or found.group(2)


def parse(body: bytes, content_type: str | None, outer: Headers) -> list[Part]:
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    segments = body.split(delimiter)
    if len(segments) < 2:
        raise BatchFormatError("The batch request has no parts.")
    parts = []
    for segment in segments[1:]:
        if segment.startswith(b"--"):
            break
        parts.append(_parse_part(_trim(segment), outer))
    return parts


def _trim(segment: bytes) -> bytes:
    if segment.startswith(b"\r\n"):
        segment = segment[2:]
    elif segment.startswith(b"\n"):
        segment = segment[1:]
    if segment.endswith(b"\r\n"):
        return segment[:-2]
    return segment[:-1] if segment.endswith(b"\n") else segment


def _split_head(data: bytes) -> tuple[Headers, bytes]:
    found = _BLANK_LINE.search(data)
    if found is None:
        head, rest = data, b""
    else:
        head, rest = data[: found.start()], data[found.end() :]
    return _parse_headers(head.decode("utf-8", errors="replace").splitlines()), rest


def _parse_headers(lines: list[str]) -> Headers:
    headers = Headers()
    for line in lines:
        if line[:1] in (" ", "\t") and len(headers):  # folded continuation
            name, value = headers.items()[-1]
            headers[name] = value + " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep:
            headers.add(name.strip(), value.strip())
    return headers


def _parse_part(segment: bytes, outer: Headers) -> Part:
    mime_headers, payload = _split_head(segment)
    content_type = (mime_headers.get("Content-Type") or "").lower()
    if not content_type.startswith("application/http"):
        raise BatchFormatError("Each batch part must be Content-Type: application/http.")
    request_line, _, rest = payload.partition(b"\n")
    words = request_line.decode("utf-8", errors="replace").strip().split()
    if len(words) < 2:
        raise BatchFormatError("Invalid request line in batch part.")
    inner_headers, body = _split_head(rest)
    length = inner_headers.get("Content-Length")
    if length and length.isdigit():
        body = body[: int(length)]
    headers = Headers((k, v) for k, v in outer.items() if k.lower() not in OUTER_ONLY)
    for name, value in inner_headers.items():
        headers[name] = value
    return Part(
        mime_headers.get("Content-ID"), words[0].upper(), _relative(words[1]), headers, body
    )


def _relative(target: str) -> str:
    parts = urlsplit(target)
    return urlunsplit(("", "", parts.path, parts.query, ""))


def response_id(content_id: str | None) -> str | None:
    if not content_id:
        return None
    inner = content_id.strip()
    if inner.startswith("<") and inner.endswith(">"):
        inner = inner[1:-1]
    return f"<response-{inner}>"


def serialize(responses: list[tuple[str | None, Response]]) -> Response:
    boundary = "batch_" + secrets.token_urlsafe(12).replace("-", "").replace("_", "")
    chunks = []
    for content_id, response in responses:
        chunks.append(_serialize_part(boundary, content_id, response))
    chunks.append(f"--{boundary}--\r\n".encode("ascii"))
    content_type = f"multipart/mixed; boundary={boundary}"
    return Response(200, {"Content-Type": content_type}, b"".join(chunks))


def _serialize_part(boundary: str, content_id: str | None, response: Response) -> bytes:
    body = response.body_bytes()
    if response.status in (204, 304):
        body = b""
    lines = [f"--{boundary}", "Content-Type: application/http"]
    rid = response_id(content_id)
    if rid:
        lines.append(f"Content-ID: {rid}")
    lines += ["", f"HTTP/1.1 {response.status} {_phrase(response.status)}"]
    for name, value in response.headers.items():
        if name.lower() != "content-length":
            lines.append(f"{name}: {value}")
    lines += [f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("utf-8") + body + b"\r\n"


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
