"""Error bodies: Graph's OData errors and the identity platform's (AAD) OAuth errors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ..base import EmulatorError, Response

NOT_FOUND_MESSAGE = "The specified object was not found in the store."
ACCESS_DENIED_MESSAGE = "Access is denied. Check credentials and try again."
TIME_WINDOW_MESSAGE = (
    "This request requires a time window specified by the query string parameters "
    "StartDateTime and EndDateTime."
)
THROTTLED_MESSAGES = {
    "TooManyRequests": "Too many requests. Please retry after some time.",
    "ApplicationThrottled": "Application is over its MailboxConcurrency limit.",
    "MailboxConcurrency": "Application is over its MailboxConcurrency limit.",
}


def request_id() -> str:
    return str(uuid.uuid4())


def graph_headers(rid: str | None = None, client_request_id: str | None = None) -> dict:
    """Headers Graph puts on every answer."""
    rid = rid or request_id()
    return {
        "request-id": rid,
        "client-request-id": client_request_id or rid,
        "x-ms-ags-diagnostic": '{"ServerInfo":{"DataCenter":"Emulator","Slice":"E",'
        '"Ring":"0","ScaleUnit":"000","RoleInstance":"EMU"}}',
        "Cache-Control": "no-cache",
    }


def graph_body(code: str, message: str, rid: str | None = None) -> dict[str, Any]:
    rid = rid or request_id()
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": now, "request-id": rid, "client-request-id": rid},
        }
    }


def graph_response(status: int, code: str, message: str, headers: dict | None = None):
    rid = request_id()
    all_headers = {**graph_headers(rid), **(headers or {})}
    return Response.json(graph_body(code, message, rid), status, all_headers)


class GraphError(EmulatorError):
    """Raise to answer with a Graph OData error."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(graph_response(status, code, message, headers))
        self.status, self.code, self.message = status, code, message


def not_found() -> GraphError:
    return GraphError(404, "ErrorItemNotFound", NOT_FOUND_MESSAGE)


def malformed_id() -> GraphError:
    return GraphError(400, "ErrorInvalidIdMalformed", "Id is malformed.")


def bad_request(message: str, code: str = "BadRequest") -> GraphError:
    return GraphError(400, code, message)


def invalid_body(message: str) -> GraphError:
    return GraphError(400, "RequestBodyRead", message)


def enum_member(value: Any, members, type_name: str) -> str:
    """The member of the OData enum ``type_name`` that ``value`` names, in its own spelling:
    Graph reads enum literals case-insensitively (``notresponded`` is ``notResponded``)."""
    wanted = value.lower() if isinstance(value, str) else None
    for member in members:
        if member.lower() == wanted:
            return member
    raise invalid_body(
        f"Cannot convert the literal '{value}' to the expected type 'microsoft.graph.{type_name}'."
    )


def validation(message: str) -> GraphError:
    return GraphError(400, "ErrorPropertyValidationFailure", message)


def access_denied(message: str = ACCESS_DENIED_MESSAGE) -> GraphError:
    return GraphError(403, "ErrorAccessDenied", message)


def time_window_required() -> GraphError:
    return GraphError(400, "ErrorInvalidParameter", TIME_WINDOW_MESSAGE)


def unauthenticated(message: str = "Access token is empty.") -> GraphError:
    challenge = (
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/'
        'oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
    )
    return GraphError(401, "InvalidAuthenticationToken", message, {"WWW-Authenticate": challenge})


def sync_state_not_found(generation: int = 0) -> GraphError:
    return GraphError(
        410,
        "SyncStateNotFound",
        f"The sync state generation is not found; generation={generation};"
        f"[highest={generation + 1}][{generation + 1}].",
    )


def throttled_body(code: str, message: str | None = None) -> dict[str, Any]:
    return graph_body(code, message or THROTTLED_MESSAGES.get(code, "Too many requests."))


def default_fault(status: int) -> Response:
    """An injected fault without a body, in Graph's format."""
    codes = {
        400: ("BadRequest", "Bad request."),
        401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
        403: ("ErrorAccessDenied", ACCESS_DENIED_MESSAGE),
        404: ("ErrorItemNotFound", NOT_FOUND_MESSAGE),
        409: ("ErrorIrresolvableConflict", "Conflict."),
        410: ("SyncStateNotFound", "The sync state generation is not found."),
        429: ("TooManyRequests", THROTTLED_MESSAGES["TooManyRequests"]),
        500: ("UnknownError", "An internal server error occurred."),
        502: ("BadGateway", "Bad gateway."),
        503: ("ServiceNotAvailable", "The service is temporarily unavailable."),
        504: ("UnknownError", "Gateway timeout."),
    }
    code, message = codes.get(status, ("UnknownError", "Error."))
    return graph_response(status, code, message)


# -- identity platform -----------------------------------------------------------------------

AAD_MESSAGES = {
    50011: "The redirect URI '{0}' specified in the request does not match the redirect URIs "
    "configured for the application '{1}'.",
    50076: "Due to a configuration change made by your administrator, or because you moved to "
    "a new location, you must use multi-factor authentication to access "
    "'00000003-0000-0000-c000-000000000000'.",
    50173: "The provided grant has expired due to it being revoked, a fresh auth token is "
    "needed. The user might have changed or reset their password.",
    50194: "Application '{0}' is not configured as a multi-tenant application. Usage of the "
    "/common endpoint is not supported for such applications created after '10/15/2018'. "
    "Use a tenant-specific endpoint or configure the application to be multi-tenant.",
    54005: "OAuth2 Authorization code was already redeemed, please retry with a new valid "
    "code or use an existing refresh token.",
    65004: "User declined to consent to access the app.",
    70000: "The request was denied because one or more grants are invalid.",
    70008: "The provided authorization code or refresh token has expired due to inactivity. "
    "Send a new interactive authorization request for this user and resource.",
    70011: "The provided request must include a 'scope' input parameter.",
    90002: "Tenant '{0}' not found. Check to make sure you have the correct tenant ID and are "
    "signing into the correct cloud.",
    90009: "Application is requesting a token for itself. This scenario is supported only if "
    "resource is specified using the GUID based App Identifier.",
    700016: "Application with identifier '{0}' was not found in the directory.",
    700082: "The refresh token has expired due to inactivity.",
    900144: "The request body must contain the following parameter: '{0}'.",
    501481: "The Code_Verifier does not match the code_challenge supplied in the "
    "authorization request.",
    7000215: "Invalid client secret provided. Ensure the secret being sent in the request is "
    "the client secret value, not the client secret ID.",
    900971: "No reply address provided.",
    9002313: "Invalid request. Request is malformed or invalid.",
}


def aad_description(code: int, *args: str, message: str | None = None) -> str:
    text = message or AAD_MESSAGES.get(code, "Error.").format(*args)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    return (
        f"AADSTS{code}: {text}\r\nTrace ID: {uuid.uuid4()}\r\n"
        f"Correlation ID: {uuid.uuid4()}\r\nTimestamp: {now}"
    )


def aad_body(error: str, code: int, *args: str, message: str | None = None) -> dict[str, Any]:
    description = aad_description(code, *args, message=message)
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    return {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }


class AADError(EmulatorError):
    """Raise from the token endpoint to answer with AAD's OAuth error JSON."""

    def __init__(
        self,
        error: str,
        code: int,
        *args: str,
        status: int = 400,
        message: str | None = None,
        extra: dict | None = None,
    ):
        body = {**aad_body(error, code, *args, message=message), **(extra or {})}
        headers = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
        super().__init__(Response.json(body, status, headers))
        self.error, self.code = error, code
