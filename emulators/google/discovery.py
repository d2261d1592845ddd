"""Match requests against Google's official Calendar v3 discovery document.

The document ships with ``google-api-python-client`` (a development dependency of this project):
``googleapiclient/discovery_cache/documents/calendar.v3.json``. Every request under
``/calendar/v3/`` is matched to a discovery method by HTTP method and path template, and its
query parameters are checked against the method's (and the API's global) parameters: unknown
names, bad types, enums, ranges and missing required parameters are refused with Google's
400 errors.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .errors import GoogleError, bad_request

# The discovery revision this emulator was last validated against (see README.md).
VALIDATED_REVISION = "20261030"
DOCUMENT = "discovery_cache/documents/calendar.v3.json"
SERVICE_PATH = "/calendar/v3/"
# Google's standard system parameters that this (older style) discovery document does not
# list but the service accepts, as other Google clients send them (e.g. ``$.xgafv``).
EXTRA_GLOBAL_PARAMETERS = {
    "access_token": {"type": "string", "location": "query"},
    "$.xgafv": {"type": "string", "location": "query", "enum": ["1", "2"]},
    "callback": {"type": "string", "location": "query"},
    "uploadType": {"type": "string", "location": "query"},
    "upload_protocol": {"type": "string", "location": "query"},
}
# Parameters a method's description leaves out but Google accepts from production clients:
# Odoo's own google_calendar module sends ``singleEvents=true`` on events.delete
# (google_calendar/utils/google_calendar.py) and Google deletes the event as usual.
TOLERATED_PARAMETERS = {
    "calendar.events.delete": {"singleEvents": {"type": "boolean", "location": "query"}},
}


@functools.lru_cache(maxsize=1)
def load_document() -> dict[str, Any]:
    """The calendar v3 discovery document from the installed google-api-python-client."""
    try:
        import importlib.resources

        files = importlib.resources.files("googleapiclient")
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "The Google Calendar emulator validates requests against Google's discovery "
            "document, shipped in google-api-python-client: pip install -r requirements-dev.txt"
        ) from exc
    return json.loads((files / DOCUMENT).read_text(encoding="utf-8"))


def revision() -> str:
    return load_document()["revision"]


@dataclass
class MethodSpec:
    id: str  # e.g. "calendar.events.list"
    http_method: str
    path: str  # template, e.g. "calendars/{calendarId}/events"
    parameters: dict[str, dict[str, Any]]
    scopes: list[str]
    pattern: re.Pattern = field(repr=False, default=None)
    literal_segments: int = 0

    @property
    def name(self) -> str:
        """Short name, e.g. ``events.list``."""
        return self.id.split(".", 1)[1]


@dataclass
class ApiCall:
    """A request resolved to a discovery method, with typed parameters."""

    method: MethodSpec
    path_params: dict[str, str]
    params: dict[str, Any]  # query parameters, converted (bool/int/str, lists when repeated)

    @property
    def name(self) -> str:
        return self.method.name


def _compile(template: str) -> tuple[re.Pattern, int]:
    regex = ""
    literals = 0
    for segment in template.split("/"):
        found = re.fullmatch(r"\{\+?(\w+)\}", segment)
        if found:
            regex += f"/(?P<{found.group(1)}>[^/]+)"
        else:
            regex += "/" + re.escape(segment)
            literals += 1
    return re.compile(regex.lstrip("/")), literals


def _iter_methods(resources: dict[str, Any]):
    for resource in resources.values():
        yield from resource.get("methods", {}).values()
        yield from _iter_methods(resource.get("resources", {}))


@functools.lru_cache(maxsize=1)
def methods() -> list[MethodSpec]:
    """All discovery methods, most literal templates first (``events/watch`` before
    ``events/{eventId}``)."""
    specs = []
    for desc in _iter_methods(load_document()["resources"]):
        pattern, literals = _compile(desc["path"])
        specs.append(
            MethodSpec(
                id=desc["id"],
                http_method=desc["httpMethod"],
                path=desc["path"],
                parameters=desc.get("parameters", {}),
                scopes=desc.get("scopes", []),
                pattern=pattern,
                literal_segments=literals,
            )
        )
    specs.sort(key=lambda spec: -spec.literal_segments)
    return specs


def global_parameters() -> dict[str, dict[str, Any]]:
    return {**load_document().get("parameters", {}), **EXTRA_GLOBAL_PARAMETERS}


def resolve(http_method: str, path: str, query: dict[str, list[str]]) -> ApiCall:
    """Match ``path`` (starting with ``/calendar/v3/``) and validate the query.

    Raises GoogleError 404 for an unknown path or method, 400 for bad parameters.
    """
    spec, path_params = match_path(http_method, path)
    return ApiCall(spec, path_params, check_parameters(spec, query))


def match_path(http_method: str, path: str) -> tuple[MethodSpec, dict[str, str]]:
    """The discovery method for ``path`` (absolute, ``/calendar/v3/...``); 404 if none."""
    if not path.startswith(SERVICE_PATH):
        raise GoogleError(404, "notFound", "Not Found")
    return match(http_method, path[len(SERVICE_PATH) :])


def match(http_method: str, relative: str) -> tuple[MethodSpec, dict[str, str]]:
    path_known = False
    for spec in methods():
        found = spec.pattern.fullmatch(relative)
        if found is None:
            continue
        path_known = True
        if spec.http_method == http_method:
            return spec, {key: unquote(value) for key, value in found.groupdict().items()}
    if path_known:
        raise GoogleError(404, "notFound", f"Method not found: {http_method} {relative}")
    raise GoogleError(404, "notFound", "Not Found")


def check_parameters(spec: MethodSpec, query: dict[str, list[str]]) -> dict[str, Any]:
    allowed = {
        name: desc
        for name, desc in {
            **global_parameters(),
            **TOLERATED_PARAMETERS.get(spec.id, {}),
            **spec.parameters,
        }.items()
        if desc.get("location") != "path"
    }
    params: dict[str, Any] = {}
    for name, values in query.items():
        desc = allowed.get(name)
        if desc is None:
            raise _invalid_parameter(name, f"Invalid parameter '{name}'.")
        converted = [_convert(name, value, desc) for value in values]
        params[name] = converted if desc.get("repeated") else converted[0]
    for name, desc in allowed.items():
        if desc.get("required") and name not in params:
            raise bad_request(
                f"Required parameter: {name}",
                reason="required",
                location=name,
                locationType="parameter",
            )
    return params


def _invalid_parameter(name: str, message: str) -> GoogleError:
    return bad_request(message, reason="invalidParameter", location=name, locationType="parameter")


def _convert(name: str, value: str, desc: dict[str, Any]) -> Any:
    kind = desc.get("type", "string")
    if kind == "boolean":
        return _to_bool(name, value)
    if kind == "integer":
        return _to_int(name, value, desc)
    if "enum" in desc and value not in desc["enum"]:
        allowed = ", ".join(desc["enum"])
        raise _invalid_parameter(name, f"Invalid value '{value}'. Allowed values: [{allowed}]")
    if desc.get("format") == "date-time" and parse_datetime(value) is None:
        raise bad_request(f"Invalid value for {name}: '{value}'", reason="badRequest")
    return value


def _to_bool(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise _invalid_parameter(name, f"Invalid boolean value: '{value}'.")
    return lowered == "true"


def _to_int(name: str, value: str, desc: dict[str, Any]) -> int:
    try:
        number = int(value)
    except ValueError:
        raise _invalid_parameter(name, f"Invalid integer value: '{value}'.") from None
    low, high = desc.get("minimum"), desc.get("maximum")
    if (low is not None and number < int(low)) or (high is not None and number > int(high)):
        bounds = f"[{low if low is not None else ''}, {high if high is not None else ''}]"
        raise _invalid_parameter(
            name, f"Invalid value '{value}'. Values must be within the range: {bounds}"
        )
    return number


_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})",
)


def parse_datetime(value: str) -> dt.datetime | None:
    """An RFC 3339 timestamp WITH offset as an aware datetime; None when malformed."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        return None
    text = value.upper().replace("Z", "+00:00")
    head, _, frac_and_tz = text.partition(".")
    if frac_and_tz:  # Python < 3.11 wants at most 6 fraction digits
        digits = re.match(r"\d+", frac_and_tz).group(0)
        text = f"{head}.{digits[:6].ljust(6, '0')}{frac_and_tz[len(digits) :]}"
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


# -- request bodies --------------------------------------------------------------------------


def check_body(spec: MethodSpec, body: Any) -> Any:
    """Check a JSON request body's shape against the method's request schema: objects,
    arrays, strings, booleans and integers where the document says so (unknown properties
    are ignored, as Google does). Raises GoogleError 400 on the first mismatch. Returns the
    body as Google reads it: a number where a string is expected becomes that string."""
    reference = _method_desc(spec).get("request", {}).get("$ref")
    if reference is None or body is None:
        return body
    return _check_value(body, {"$ref": reference}, "")


@functools.lru_cache(maxsize=64)
def _method_desc_by_id(method_id: str) -> dict[str, Any]:
    for desc in _iter_methods(load_document()["resources"]):
        if desc["id"] == method_id:
            return desc
    return {}


def _method_desc(spec: MethodSpec) -> dict[str, Any]:
    return _method_desc_by_id(spec.id)


def _resolve_schema(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = load_document()["schemas"][schema["$ref"]]
    return schema


_SCALARS = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool) or v in ("true", "false"),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, str) and v.lstrip("-").isdigit())
    ),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def _check_value(value: Any, schema: dict[str, Any], path: str) -> Any:
    if value is None:  # null clears a field (patch semantics)
        return value
    schema = _resolve_schema(schema)
    kind = schema.get("type", "object" if "properties" in schema else "any")
    if kind == "object":
        return _check_object(value, schema, path)
    if kind == "array":
        if not isinstance(value, list):
            raise _invalid_value(path)
        items = schema.get("items", {})
        return [_check_value(item, items, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind == "string" and _SCALARS["number"](value):
        return str(value)  # Google's JSON reader takes a number for a string, as its text
    if kind in _SCALARS and not _SCALARS[kind](value):
        raise _invalid_value(path)
    return value


def _check_object(value: Any, schema: dict[str, Any], path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid_value(path or "body")
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    checked = {}
    for key, item in value.items():
        child = f"{path}.{key}" if path else key
        if key in properties:
            item = _check_value(item, properties[key], child)
        elif extra is not None:
            item = _check_value(item, extra, child)
        checked[key] = item
    return checked


def _invalid_value(path: str) -> GoogleError:
    return bad_request(f"Invalid value for: {path}", reason="invalid")
