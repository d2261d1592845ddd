"""JSON batching: ``POST /v1.0/$batch`` (mixed into MicrosoftEmulator).

Each part becomes a request of its own (logged with ``in_batch=True``, subject to faults, auth
and routing), so a 200 batch can carry per-part 429s as Graph's does under mailbox concurrency.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from ..base import Headers, RecordedRequest, Response
from . import errors
from .graph import graph_json

if TYPE_CHECKING:
    from .server import MicrosoftEmulator

MAX_PARTS = 20
PART_HEADERS = (
    "Content-Type",
    "Retry-After",
    "Location",
    "ETag",
    "Preference-Applied",
    "OData-Version",
    "Cache-Control",
)
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def _invalid(message: str = "Invalid batch payload format.") -> errors.GraphError:
    return errors.bad_request(message)


def parse_parts(payload: Any) -> list[dict[str, Any]]:
    """Validate the batch envelope the way Graph does before running anything."""
    if not isinstance(payload, dict) or not isinstance(payload.get("requests"), list):
        raise _invalid()
    parts = payload["requests"]
    if not parts:
        raise _invalid("The batch request must contain at least one request.")
    if len(parts) > MAX_PARTS:
        raise _invalid(f"The number of requests in a batch cannot exceed {MAX_PARTS}.")
    ids = set()
    for part in parts:
        _check_part(part)
        if part["id"] in ids:
            raise _invalid(f"The batch request id '{part['id']}' is not unique.")
        ids.add(part["id"])
    for part in parts:
        for dependency in _depends_on(part):
            if dependency not in ids:
                raise _invalid(f"The dependsOn id '{dependency}' does not exist in the batch.")
    return parts


def _check_part(part: Any) -> None:
    if not isinstance(part, dict) or not all(part.get(k) for k in ("id", "method", "url")):
        raise _invalid()
    part["id"] = str(part["id"])
    if str(part["method"]).upper() not in METHODS:
        raise _invalid(f"Invalid method '{part['method']}' in batch request '{part['id']}'.")
    if not isinstance(part.get("headers") or {}, dict):
        raise _invalid(f"The headers of batch request '{part['id']}' must be an object.")
    headers = Headers(part.get("headers") or {})
    if part.get("body") is not None and "Content-Type" not in headers:
        raise _invalid(
            f"Write request id : {part['id']} does not contain Content-Type header or body."
        )


def _depends_on(part: dict[str, Any]) -> list[str]:
    value = part.get("dependsOn") or []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def execution_order(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Parts in request order, each after the parts it depends on (cycles -> 400)."""
    done: set[str] = set()
    ordered: list[dict[str, Any]] = []
    pending = list(parts)
    while pending:
        ready = [p for p in pending if set(_depends_on(p)) <= done]
        if not ready:
            raise _invalid("The dependsOn graph of the batch contains a cycle.")
        first = ready[0]
        ordered.append(first)
        done.add(first["id"])
        pending.remove(first)
    return ordered


class BatchEndpoint:
    def _register_batch_routes(self: MicrosoftEmulator) -> None:
        self.route("POST", r"/v1\.0/\$batch", self._batch, locked=False)

    def _batch(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        try:
            payload = request.json()
        except (ValueError, UnicodeDecodeError):
            raise _invalid() from None
        with self.lock:
            # The envelope needs a valid token; permissions are checked part by part.
            self.graph_mailbox(request, permissions=set())
        parts = parse_parts(payload)
        answers: dict[str, dict[str, Any]] = {}
        for part in execution_order(parts):
            failed = [d for d in _depends_on(part) if answers[d]["status"] >= 400]
            if failed:
                answers[part["id"]] = _failed_dependency(part["id"])
                continue
            answers[part["id"]] = self._run_part(request, part)
        ordered = [answers[part["id"]] for part in parts]
        if self.shuffle_batch:  # Graph does not promise any order
            ordered.reverse()
        return graph_json({"responses": ordered})

    def _run_part(self: MicrosoftEmulator, envelope: RecordedRequest, part: dict) -> dict:
        sub = _part_request(self.url, envelope, part)
        self.requests.append(sub)
        response = self.process(sub)
        sub.status = response.status
        answer: dict[str, Any] = {"id": part["id"], "status": response.status}
        headers = {k: v for k, v in response.headers.items() if k in PART_HEADERS}
        answer["headers"] = headers
        body = _json_body(response)
        if body is not None:
            answer["body"] = body
        return answer


def _part_request(base_url: str, envelope: RecordedRequest, part: dict) -> RecordedRequest:
    url = str(part["url"])
    for prefix in (base_url + "/v1.0", "https://graph.microsoft.com/v1.0"):
        if url.startswith(prefix):
            url = url[len(prefix) :]
    if not url.startswith("/"):
        url = "/" + url
    split = urlsplit(url)
    headers = Headers(part.get("headers") or {})
    if "Authorization" not in headers and envelope.headers.get("Authorization"):
        headers["Authorization"] = envelope.headers["Authorization"]
    body = part.get("body")
    raw = b"" if body is None else json.dumps(body).encode("utf-8")
    return RecordedRequest(
        method=str(part["method"]).upper(),
        path="/v1.0" + split.path,
        query=parse_qs(split.query, keep_blank_values=True),
        headers=headers,
        body=raw,
        in_batch=True,
        client_address=envelope.client_address,
    )


def _json_body(response: Response) -> Any:
    body = response.body
    if response.status == 204 or body in (None, b"", ""):
        return None
    if isinstance(body, (dict, list)):
        return body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    try:
        return json.loads(text)
    except ValueError:
        return text


def _failed_dependency(part_id: str) -> dict[str, Any]:
    body = errors.graph_body(
        "FailedDependency", "The request could not be performed because a dependency failed."
    )
    return {
        "id": part_id,
        "status": 424,
        "headers": {"Content-Type": "application/json"},
        "body": body,
    }
