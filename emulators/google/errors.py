"""Google's JSON error format (``{"error": {"errors": [...], "code": ..., "message": ...}}``)."""

from __future__ import annotations

from typing import Any

from ..base import EmulatorError, Response

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "FAILED_PRECONDITION",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}

# Default reason / message per status, used by injected faults without an explicit body.
DEFAULTS = {
    400: ("badRequest", "Bad Request"),
    401: ("authError", "Invalid Credentials"),
    403: ("forbidden", "Forbidden"),
    404: ("notFound", "Not Found"),
    409: ("duplicate", "The requested identifier already exists."),
    410: ("deleted", "Resource has been deleted"),
    412: ("conditionNotMet", "Precondition Failed"),
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("backendError", "Backend Error"),
    502: ("backendError", "Bad Gateway"),
    503: ("backendError", "Service Unavailable"),
}

RATE_LIMIT_MESSAGES = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Calendar usage limits exceeded.",
}


def error_body(
    status: int,
    reason: str,
    message: str,
    domain: str = "global",
    **extra: Any,
) -> dict[str, Any]:
    """The body Google sends for an error (``extra``: location, locationType...)."""
    item = {"domain": domain, "reason": reason, "message": message, **extra}
    body: dict[str, Any] = {"errors": [item], "code": status, "message": message}
    if status in _STATUS_NAMES:
        body["status"] = _STATUS_NAMES[status]
    return {"error": body}


def error_response(status: int, reason: str, message: str, domain: str = "global", **extra):
    return Response.json(error_body(status, reason, message, domain, **extra), status)


class GoogleError(EmulatorError):
    """Raise from a handler to answer in Google's error format."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        domain: str = "global",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        response = error_response(status, reason, message, domain, **extra)
        for name, value in (headers or {}).items():
            response.headers[name] = value
        super().__init__(response)
        self.status = status
        self.reason = reason


def bad_request(message: str, reason: str = "invalid", **extra: Any) -> GoogleError:
    return GoogleError(400, reason, message, **extra)


def not_found(message: str = "Not Found") -> GoogleError:
    return GoogleError(404, "notFound", message)


def default_fault(status: int) -> Response:
    reason, message = DEFAULTS.get(status, ("backendError", "Error"))
    domain = "usageLimits" if reason in RATE_LIMIT_MESSAGES else "global"
    return error_response(status, reason, message, domain)


def unauthenticated() -> GoogleError:
    message = (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
    )
    error = GoogleError(
        401,
        "authError",
        message,
        location="Authorization",
        locationType="header",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )
    error.response.body["error"]["errors"][0]["message"] = "Invalid Credentials"
    return error
