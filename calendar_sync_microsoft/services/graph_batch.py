"""Graph's JSON ``$batch`` wire format and the URL pieces its parts are made of.

Parts and answers are the toolkit's ``BatchPart`` / ``PartResponse``; a part's ``path`` is
relative to the version root (``/me/events``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from calendar_sync_base.services.batch import BatchPart, PartResponse

MAX_BATCH_SIZE = 20  # Graph's limit of requests per $batch
_QUERY_SAFE = "$(),'=:/"


def quote_id(remote_id: str) -> str:
    return quote(remote_id, safe="=")


def event_path(remote_id: str) -> str:
    return f"/me/events/{quote_id(remote_id)}"


def graph_query(params: dict[str, str]) -> str:
    """A query string for a ``$batch`` URL: OData punctuation kept, spaces as %20."""
    return "&".join(f"{key}={quote(str(value), safe=_QUERY_SAFE)}" for key, value in params.items())


def part_json(part: BatchPart, part_id: str) -> dict[str, Any]:
    """One request of a ``$batch`` body."""
    out: dict[str, Any] = {"id": part_id, "method": part.method, "url": part.path}
    headers = dict(part.headers)
    if part.body is not None:
        headers.setdefault("Content-Type", "application/json")
        out["body"] = part.body
    if headers:
        out["headers"] = headers
    return out


def decode_batch(payload: Any, count: int) -> list[PartResponse]:
    """Answers in request order, matched by id (Graph does not promise the order)."""
    answers: list[PartResponse] = [PartResponse(None) for _ in range(count)]
    responses = payload.get("responses") if isinstance(payload, dict) else None
    for raw in responses if isinstance(responses, list) else ():
        if not isinstance(raw, dict):
            continue
        try:
            index = int(raw.get("id"))
            status = int(raw.get("status"))
        except (TypeError, ValueError):
            continue
        if 0 <= index < count:
            headers = raw.get("headers") if isinstance(raw.get("headers"), dict) else {}
            answers[index] = PartResponse(status, dict(headers), raw.get("body"))
    return answers
