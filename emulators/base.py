"""Emulator framework: a threaded HTTP/1.1 server with routes, a request log and fault injection.

An emulator subclasses :class:`EmulatorServer`, registers routes in ``__init__`` with
:meth:`EmulatorServer.route` and keeps its in-memory state under ``self.lock``. Everything here
is standard library only.

Control endpoints (never logged, never subject to faults) let shell users drive a running
emulator::

    GET    /_emulator/                 name, url, control endpoints
    GET    /_emulator/requests         the request log as JSON
    POST   /_emulator/requests/clear   empty the log
    GET    /_emulator/faults           armed faults
    POST   /_emulator/faults           arm a fault: JSON body = keyword arguments of Faults.add
    DELETE /_emulator/faults           disarm all faults
    POST   /_emulator/reset            clear state, log and faults
    POST   /_emulator/clock            {"now": "2024-01-01T00:00:00Z"} | {"advance": 60} | {}
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import http.server
import json
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

Handler = Callable[["RecordedRequest"], "Response"]

CONTROL_PREFIX = "/_emulator"


class Headers:
    """Case-insensitive multi-dict of HTTP headers that remembers the original spelling."""

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] | None = None):
        self._items: list[tuple[str, str]] = []
        if items is None:
            return
        pairs = items.items() if isinstance(items, Mapping) else items
        for name, value in pairs:
            self.add(name, value)

    def add(self, name: str, value: Any) -> None:
        self._items.append((str(name), str(value)))

    def __setitem__(self, name: str, value: Any) -> None:
        self.pop(name)
        self.add(name, value)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __delitem__(self, name: str) -> None:
        if self.pop(name) is None:
            raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items)

    __hash__ = None  # mutable

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            other = dict(other.items())
        if not isinstance(other, Mapping):
            return NotImplemented
        mine = {k.lower(): v for k, v in self._items}
        return mine == {str(k).lower(): str(v) for k, v in other.items()}

    def get(self, name: str, default: str | None = None) -> str | None:
        lname = name.lower()
        for key, value in self._items:
            if key.lower() == lname:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [value for key, value in self._items if key.lower() == lname]

    def pop(self, name: str, default: str | None = None) -> str | None:
        found = self.get(name, default)
        lname = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lname]
        return found

    def setdefault(self, name: str, value: Any) -> str:
        if name not in self:
            self.add(name, value)
        return self[name]

    def keys(self) -> list[str]:
        return [key for key, _ in self._items]

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def copy(self) -> Headers:
        return Headers(self._items)

    def to_dict(self) -> dict[str, str]:
        return {key: value for key, value in self._items}

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass
class Response:
    """What a route handler returns. ``body`` may be bytes, str, or JSON-able data."""

    status: int = 200
    headers: Headers | Mapping[str, str] | None = None
    body: Any = b""

    def __post_init__(self) -> None:
        if not isinstance(self.headers, Headers):
            self.headers = Headers(self.headers)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None):
        response = cls(status, headers, data)
        response.headers.setdefault("Content-Type", "application/json; charset=UTF-8")
        return response

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Response:
        return cls(status, {"Location": location}, b"")

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, {"Content-Type": "text/html; charset=utf-8"}, text)

    def body_bytes(self) -> bytes:
        body = self.body
        if body is None:
            return b""
        if isinstance(body, bytes):
            return body
        if isinstance(body, str):
            return body.encode("utf-8")
        self.headers.setdefault("Content-Type", "application/json; charset=UTF-8")
        return json.dumps(body, indent=1).encode("utf-8")


class EmulatorError(Exception):
    """Raise from a handler to answer with ``response`` (the provider's error format)."""

    def __init__(self, response: Response):
        super().__init__(f"HTTP {response.status}")
        self.response = response


class DropConnection(Exception):
    """Raised to close the client connection without answering."""


@dataclass
class RecordedRequest:
    """One request as the emulator received it (also what route handlers get)."""

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    in_batch: bool = False  # a part of a batch request (logged after its envelope)
    time: float = field(default_factory=time.time)
    status: int | None = None  # response status, once answered (None: dropped / pending)
    path_params: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)  # handler scratch space (e.g. account)
    client_address: tuple[str, int] | None = None  # (host, port) of the TCP connection

    @classmethod
    def from_target(cls, method: str, target: str, headers: Headers, body: bytes, **kwargs):
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        return cls(method.upper(), parts.path or "/", query, headers, body, **kwargs)

    def json(self) -> Any:
        """The body parsed as JSON (None when empty)."""
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8"))

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def form(self) -> dict[str, list[str]]:
        """The body parsed as application/x-www-form-urlencoded."""
        return parse_qs(self.text, keep_blank_values=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers.to_dict(),
            "body": self.text,
            "in_batch": self.in_batch,
            "time": self.time,
            "status": self.status,
            "client_address": list(self.client_address) if self.client_address else None,
        }


class RequestLog:
    """Thread-safe list of :class:`RecordedRequest` with small query helpers."""

    def __init__(self) -> None:
        self._items: list[RecordedRequest] = []
        self._lock = threading.Lock()

    def append(self, request: RecordedRequest) -> None:
        with self._lock:
            self._items.append(request)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):
        return self.snapshot()[index]

    def filter(
        self,
        method: str | None = None,
        path_regex: str | None = None,
        in_batch: bool | None = None,
    ) -> list[RecordedRequest]:
        """Requests matching all given criteria (``path_regex`` is searched in the path)."""
        pattern = re.compile(path_regex) if path_regex else None
        return [
            req
            for req in self.snapshot()
            if (method is None or req.method == method.upper())
            and (pattern is None or pattern.search(req.path))
            and (in_batch is None or req.in_batch == in_batch)
        ]

    def count(
        self,
        method: str | None = None,
        path_regex: str | None = None,
        in_batch: bool | None = None,
    ) -> int:
        """How many requests match (``in_batch=False``: HTTP requests only, not batch parts)."""
        return len(self.filter(method, path_regex, in_batch))

    @property
    def last(self) -> RecordedRequest | None:
        items = self.snapshot()
        return items[-1] if items else None


@dataclass
class Fault:
    """One armed fault. See :meth:`Faults.add`."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    retry_after: float | str | None = None
    latency: float = 0.0
    drop_connection: bool = False
    lose_answer: bool = False
    times: int | None = 1
    nth: int | None = None
    method: str | None = None
    path_regex: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    matcher: Callable[[RecordedRequest], bool] | None = None
    seen: int = 0  # matching requests seen so far
    fired: int = 0  # times this fault was applied

    def matches(self, request: RecordedRequest) -> bool:
        dropping = self.drop_connection or self.lose_answer
        if request.in_batch and self.status is None and not dropping:
            return False  # a network delay belongs to an HTTP request, not to a batch's parts
        if self.method and request.method != self.method.upper():
            return False
        if any(request.headers.get(name) != value for name, value in self.request_headers.items()):
            return False
        if self.matcher is not None and not self.matcher(request):
            return False
        return not self.path_regex or re.search(self.path_regex, request.path) is not None

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def take(self, request: RecordedRequest) -> bool:
        """Count ``request`` if it matches; True when the fault applies to it."""
        if self.exhausted or not self.matches(request):
            return False
        self.seen += 1
        if self.nth is not None and self.seen < self.nth:
            return False
        self.fired += 1
        return True

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["matcher"] = getattr(self.matcher, "__doc__", None)
        if isinstance(data["body"], bytes):
            data["body"] = data["body"].decode("utf-8", errors="replace")
        return data


class Faults:
    """The armed faults of one emulator; checked, in order, before normal handling."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        retry_after: float | str | None = None,
        latency: float = 0.0,
        drop_connection: bool = False,
        times: int | None = 1,
        nth: int | None = None,
        method: str | None = None,
        path_regex: str | None = None,
        request_headers: Mapping[str, str] | None = None,
        lose_answer: bool = False,
        matcher: Callable[[RecordedRequest], bool] | None = None,
    ) -> Fault:
        """Arm a fault.

        - ``status`` (+ ``headers``, ``body``, ``retry_after`` -> ``Retry-After`` header): answer
          with that instead of handling the request. Without ``body`` the emulator's own error
          format is used (e.g. Google's JSON error).
        - ``latency``: seconds to wait before answering (alone: then handle normally). It is
          network time: applied once to a batch's HTTP request, never to its parts.
        - ``drop_connection``: close the connection without any answer.
        - ``lose_answer``: handle the request, then close the connection without its answer
          (the change is applied but the client cannot know it).
        - ``times``: how many requests it applies to (None: forever); ``nth``: the first
          request it applies to is the Nth matching one (1-based).
        - ``method`` / ``path_regex`` (searched in the path) / ``request_headers`` (exact
          values, e.g. one user's ``Authorization``) / ``matcher`` (a function of the request
          that must answer True; an emulator's helpers build it): which requests it matches.
        """
        fault = Fault(
            status=status,
            headers=dict(headers or {}),
            body=body,
            retry_after=retry_after,
            latency=float(latency or 0),
            drop_connection=drop_connection,
            lose_answer=lose_answer,
            times=times,
            nth=nth,
            method=method,
            path_regex=path_regex,
            request_headers=dict(request_headers or {}),
            matcher=matcher,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def match(self, request: RecordedRequest) -> Fault | None:
        """The first armed fault applying to ``request`` (its counters are updated)."""
        with self._lock:
            for fault in self._faults:
                if fault.take(request):
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        return len(self._faults)

    @property
    def pending(self) -> list[Fault]:
        """Faults that can still fire."""
        return [fault for fault in self if not fault.exhausted]


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler
    locked: bool = True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, handler_class, emulator: EmulatorServer):
        self.emulator = emulator
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, handler_class)

    def process_request(self, request, client_address):
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        # A client that stopped waiting (its timeout, under injected latency) closed the
        # connection before the answer: its business, not a server error worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def close_open_sockets(self) -> None:
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _Server

    def _serve(self) -> None:
        emulator = self.server.emulator
        headers = Headers(self.headers.items())
        request = RecordedRequest.from_target(
            self.command,
            self.path,
            headers,
            self._read_body(),
            client_address=tuple(self.client_address[:2]),
        )
        try:
            response = emulator.handle(request)
        except DropConnection:
            self._drop()
            return
        self._send(response, with_body=self.command != "HEAD")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, response: Response, with_body: bool = True) -> None:
        body = response.body_bytes()
        if response.status in (204, 304):
            body = b""
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if with_body and body:
            self.wfile.write(body)
        self.wfile.flush()

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the stdlib
        if self.server.emulator.verbose:
            super().log_message(format, *args)


class EmulatorServer:
    """Base class of all emulators. See the module docstring."""

    name = "emulator"

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        verbose: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
    ):
        self.host = host
        self.clock = clock  # injectable time source (aware datetimes); default: system time
        self.port = port
        self.verbose = verbose
        self.lock = threading.RLock()
        self.requests = RequestLog()
        self.faults = self.make_faults()
        self._routes: list[Route] = []
        self._control_routes: list[Route] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._frozen_now: dt.datetime | None = None
        self._clock_offset = dt.timedelta(0)
        # Push deliveries: host name -> local base URL standing in for DNS (see webhooks.py).
        self.webhook_hosts: dict[str, str] = {}
        self._register_control_routes()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> EmulatorServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            return self
        self._server = self._new_server()
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def _new_server(self) -> _Server:
        """The bound server (plain http; ``tls.TlsServing`` wraps it in TLS)."""
        return _Server((self.host, self.port), _RequestHandler, self)

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_open_sockets()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:53211`` (the real port once started)."""
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        """Start (if needed) and block until Ctrl-C."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # -- state -------------------------------------------------------------------------------

    def make_faults(self) -> Faults:
        """Factory for ``self.faults`` (providers add helpers in a subclass)."""
        return Faults()

    def reset(self) -> None:
        """Forget all state, the request log and armed faults; the clock runs again (an
        injected ``clock`` is kept)."""
        with self.lock:
            self.reset_state()
            self.requests.clear()
            self.faults.clear()
            self._frozen_now = None
            self._clock_offset = dt.timedelta(0)

    def reset_state(self) -> None:
        """Subclasses clear their in-memory state here."""

    # -- clock -------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The emulator's current time (aware, UTC)."""
        if self._frozen_now is not None:
            return self._frozen_now
        base = self.clock() if self.clock is not None else dt.datetime.now(dt.timezone.utc)
        return base + self._clock_offset

    def set_now(self, when: dt.datetime | str | None) -> None:
        """Freeze the clock at ``when`` (naive = UTC); None lets it run again."""
        if isinstance(when, str):
            when = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        self._frozen_now = when

    def advance(self, seconds: float) -> dt.datetime:
        """Move the clock forward (frozen or not)."""
        delta = dt.timedelta(seconds=seconds)
        if self._frozen_now is not None:
            self._frozen_now += delta
        else:
            self._clock_offset += delta
        return self.now()

    # -- routing -----------------------------------------------------------------------------

    def route(self, method: str, path_regex: str, handler: Handler, locked: bool = True) -> None:
        """Register ``handler`` for ``method`` and a path regex (full match; named groups go
        to ``request.path_params``). ``locked`` handlers run holding ``self.lock``."""
        self._routes.append(Route(method.upper(), re.compile(path_regex), handler, locked))

    def control_route(self, method: str, path_regex: str, handler: Handler) -> None:
        """Register a control endpoint (path relative to ``/_emulator``)."""
        pattern = re.compile(re.escape(CONTROL_PREFIX) + path_regex)
        self._control_routes.append(Route(method.upper(), pattern, handler))

    def handle(self, request: RecordedRequest) -> Response:
        """Entry point for one HTTP request (log, faults, route)."""
        if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/"):
            return self._dispatch(request, self._control_routes)
        self.requests.append(request)
        response = self.process(request)
        request.status = response.status
        return response

    def process(self, request: RecordedRequest) -> Response:
        """Faults, then the route. Batch endpoints call this for each part."""
        fault = self.faults.match(request)
        if fault is not None and fault.lose_answer:
            self._dispatch(request, self._routes)
            raise DropConnection()
        if fault is not None:
            response = self._apply_fault(fault, request)
            if response is not None:
                request.status = response.status
                return response
        return self._dispatch(request, self._routes)

    def _apply_fault(self, fault: Fault, request: RecordedRequest) -> Response | None:
        if fault.latency and not request.in_batch:
            time.sleep(fault.latency)
        if fault.drop_connection:
            raise DropConnection()
        if fault.status is None:
            return None
        if fault.body is None:
            response = self.fault_response(fault.status, request)
        elif isinstance(fault.body, (bytes, str)):
            response = Response(fault.status, None, fault.body)
        else:
            response = Response.json(fault.body, fault.status)
        for name, value in fault.headers.items():
            response.headers[name] = value
        if fault.retry_after is not None:
            response.headers["Retry-After"] = _format_retry_after(fault.retry_after)
        return response

    def fault_response(self, status: int, request: RecordedRequest) -> Response:
        """Body of an injected fault without an explicit body (override: provider format)."""
        phrase = http.HTTPStatus(status).phrase if status in _STATUS_CODES else "Error"
        return Response.json({"error": {"code": status, "message": phrase}}, status)

    def not_found(self, request: RecordedRequest) -> Response:
        """Answer for a path no route matches (override: provider format)."""
        return Response.json({"error": {"code": 404, "message": "Not Found"}}, 404)

    def method_not_allowed(self, request: RecordedRequest) -> Response:
        return Response.json({"error": {"code": 405, "message": "Method Not Allowed"}}, 405)

    def internal_error(self, request: RecordedRequest, exc: BaseException) -> Response:
        trace = "".join(traceback.format_exception(exc))
        sys.stderr.write(f"{self.name} emulator error on {request.method} {request.path}\n{trace}")
        return Response.json({"error": {"code": 500, "message": str(exc), "trace": trace}}, 500)

    def _dispatch(self, request: RecordedRequest, routes: list[Route]) -> Response:
        path_matched = False
        for route in routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            path_matched = True
            if route.method != request.method:
                continue
            request.path_params = {k: v for k, v in match.groupdict().items() if v is not None}
            return self._call(route, request)
        if path_matched:
            return self.method_not_allowed(request)
        return self.not_found(request)

    def _call(self, route: Route, request: RecordedRequest) -> Response:
        try:
            if not route.locked:
                return route.handler(request)
            with self.lock:
                return route.handler(request)
        except EmulatorError as error:
            return error.response
        except DropConnection:
            raise
        except Exception as exc:  # noqa: BLE001 - an emulator bug must answer 500, not hang
            return self.internal_error(request, exc)

    # -- control endpoints -------------------------------------------------------------------

    def _register_control_routes(self) -> None:
        self.control_route("GET", "/?", self._ctl_info)
        self.control_route("GET", "/requests", self._ctl_requests)
        self.control_route("POST", "/requests/clear", self._ctl_clear_requests)
        self.control_route("GET", "/faults", self._ctl_faults)
        self.control_route("POST", "/faults", self._ctl_add_fault)
        self.control_route("DELETE", "/faults", self._ctl_clear_faults)
        self.control_route("POST", "/reset", self._ctl_reset)
        self.control_route("POST", "/clock", self._ctl_clock)

    def _ctl_info(self, request: RecordedRequest) -> Response:
        endpoints = sorted(
            {f"{r.method} {r.pattern.pattern.replace(chr(92), '')}" for r in self._control_routes}
        )
        return Response.json({"name": self.name, "url": self.url, "control": endpoints})

    def _ctl_requests(self, request: RecordedRequest) -> Response:
        return Response.json([req.to_dict() for req in self.requests])

    def _ctl_clear_requests(self, request: RecordedRequest) -> Response:
        self.requests.clear()
        return Response(204)

    def _ctl_faults(self, request: RecordedRequest) -> Response:
        return Response.json([fault.to_dict() for fault in self.faults])

    def _ctl_add_fault(self, request: RecordedRequest) -> Response:
        try:
            fault = self.faults.add(**(request.json() or {}))
        except (TypeError, ValueError) as exc:
            return Response.json({"error": {"code": 400, "message": str(exc)}}, 400)
        return Response.json(fault.to_dict(), 201)

    def _ctl_clear_faults(self, request: RecordedRequest) -> Response:
        self.faults.clear()
        return Response(204)

    def _ctl_reset(self, request: RecordedRequest) -> Response:
        self.reset()
        return Response(204)

    def _ctl_clock(self, request: RecordedRequest) -> Response:
        data = request.json() or {}
        if "now" in data:
            self.set_now(data["now"])
        if "advance" in data:
            self.advance(float(data["advance"]))
        return Response.json({"now": self.now().isoformat()})


_STATUS_CODES = {status.value for status in http.HTTPStatus}


def _format_retry_after(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)


def basic_auth(header: str | None) -> tuple[str, str] | None:
    """Decode an ``Authorization: Basic`` header into (user, password)."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header."""
    if not header or not header.lower().startswith("bearer "):
        return None
    return header[7:].strip() or None
