"""ResilientSession against a real local HTTP server (and, where a server cannot misbehave on
cue, a fake requests transport adapter). Sleeping is recorded, never done."""

from __future__ import annotations

import datetime as dt
import email.utils
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from requests.adapters import BaseAdapter
from urllib3.exceptions import ProtocolError

from calendar_sync_base.services.errors import SyncError, TimeBudgetExceeded
from calendar_sync_base.services.http import ResilientSession, parse_retry_after
from calendar_sync_base.services.model import UTC


class ScriptedServer:
    """Answers each request with the next scripted ``(status, headers, body, delay)``."""

    def __init__(self):
        self.script: deque = deque()
        self.seen: list[tuple[str, str, int]] = []  # (method, path, client port)
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def then(self, status=200, headers=None, body=b"ok", delay=0.0) -> ScriptedServer:
        self.script.append((status, headers or {}, body, delay))
        return self

    def _next(self):
        with self.lock:
            return self.script.popleft() if self.script else (200, {}, b"ok", 0.0)

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with server.lock:
                    server.seen.append((self.command, self.path, self.client_address[1]))
                status, headers, body, delay = server._next()
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (read timeout): nothing to answer

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class Sleeps(list):
    """A fake ``sleep`` that records the delays it was asked for."""

    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def server():
    with ScriptedServer() as scripted:
        yield scripted


@pytest.fixture
def sleeps():
    return Sleeps()


def session(sleeps, **kwargs) -> ResilientSession:
    kwargs.setdefault("random", lambda: 1.0)  # jitter at its maximum: delays are exact
    return ResilientSession(sleep=sleeps, **kwargs)


def test_plain_success_is_one_request(server, sleeps):
    client = session(sleeps)
    response = client.get(server.url + "/events")
    assert response.status_code == 200 and response.text == "ok"
    assert client.request_count == 1 and sleeps == []
    assert client.history == [("GET", server.url + "/events", 200)]


def test_retry_after_seconds_is_honoured(server, sleeps):
    server.then(429, {"Retry-After": "3"}).then(200)
    client = session(sleeps)
    assert client.get(server.url).status_code == 200
    assert sleeps == [3.0]
    assert client.request_count == 2
    assert [status for _, _, status in client.history] == [429, 200]


def test_retry_after_http_date_is_honoured(server, sleeps):
    later = email.utils.format_datetime(dt.datetime.now(UTC) + dt.timedelta(seconds=4), usegmt=True)
    server.then(503, {"Retry-After": later}).then(200)
    client = session(sleeps)
    assert client.get(server.url).status_code == 200
    assert len(sleeps) == 1 and 2.0 <= sleeps[0] <= 4.0


def test_retry_after_is_capped(server, sleeps):
    server.then(429, {"Retry-After": "3600"}).then(200)
    client = session(sleeps, backoff_max=30.0)
    client.get(server.url)
    assert sleeps == [30.0]


def test_exponential_backoff_then_last_response_returned(server, sleeps):
    for _ in range(4):
        server.then(503)
    client = session(sleeps, max_retries=3, backoff_base=0.5)
    response = client.get(server.url)
    assert response.status_code == 503
    assert sleeps == [0.5, 1.0, 2.0]
    assert client.request_count == 4 == len(server.seen)


def test_jitter_keeps_at_least_half_the_delay(server, sleeps):
    server.then(502).then(502).then(200)
    client = session(sleeps, random=lambda: 0.0, backoff_base=1.0)
    client.get(server.url)
    assert sleeps == [0.5, 1.0]


def test_backoff_is_capped():
    client = ResilientSession(backoff_base=0.5, backoff_max=8.0, random=lambda: 1.0)
    assert [client.backoff_delay(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_post_is_not_retried_on_500(server, sleeps):
    server.then(500).then(200)
    client = session(sleeps)
    assert client.post(server.url + "/events", json={"summary": "x"}).status_code == 500
    assert client.request_count == 1 and sleeps == []
    assert [m for m, _, _ in server.seen] == ["POST"]


def test_patch_is_not_retried_on_502(server, sleeps):
    server.then(502).then(200)
    client = session(sleeps)
    assert client.patch(server.url).status_code == 502
    assert client.request_count == 1


def test_post_is_retried_on_429_and_503(server, sleeps):
    server.then(429).then(503).then(201)
    client = session(sleeps)
    assert client.post(server.url, json={}).status_code == 201
    assert client.request_count == 3 and len(sleeps) == 2


def test_post_marked_idempotent_is_retried_on_500(server, sleeps):
    server.then(500).then(200)
    client = session(sleeps)
    assert client.post(server.url, idempotent=True).status_code == 200
    assert client.request_count == 2


def test_retry_if_adds_provider_cases(server, sleeps):
    body = b'{"error": {"errors": [{"reason": "rateLimitExceeded"}], "code": 403}}'
    server.then(403, body=body).then(200)
    client = session(sleeps)

    def google_rate_limited(response):
        return response.status_code == 403 and b"rateLimitExceeded" in response.content

    assert client.post(server.url, retry_if=google_rate_limited).status_code == 200
    assert client.request_count == 2
    server.then(403, body=b'{"error": {"errors": [{"reason": "forbidden"}]}}')
    assert client.post(server.url, retry_if=google_rate_limited).status_code == 403
    assert client.request_count == 3


def test_client_errors_are_not_retried(server, sleeps):
    server.then(404).then(200)
    client = session(sleeps)
    assert client.get(server.url).status_code == 404
    assert client.request_count == 1


def test_read_timeout_retried_for_get_not_for_post(server, sleeps):
    server.then(200, delay=0.5).then(200, body=b"second")
    client = session(sleeps, timeout=(2, 0.15))
    assert client.get(server.url).text == "second"
    assert client.request_count == 2
    assert client.history[0][2] is None

    server.then(200, delay=0.5).then(200)
    client = session(sleeps, timeout=(2, 0.15))
    with pytest.raises(requests.ReadTimeout):
        client.post(server.url, json={"summary": "maybe created"})
    assert client.request_count == 1


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_is_retried_even_for_post_then_raised(sleeps):
    client = session(sleeps, max_retries=2)
    url = f"http://127.0.0.1:{closed_port()}/events"
    with pytest.raises(requests.ConnectionError):
        client.post(url, json={})
    assert client.request_count == 3
    assert sleeps == [0.5, 1.0]
    assert client.history == [("POST", url, None)] * 3


def test_connections_are_reused(server, sleeps):
    client = session(sleeps)
    for _ in range(3):
        client.get(server.url)
    server.then(503).then(200)
    client.get(server.url)  # a retried response hands its connection back first
    assert len({port for _, _, port in server.seen}) == 1
    assert client.request_count == 5


class FakeTransport(BaseAdapter):
    """A requests transport adapter: records what it is given, answers from a script."""

    def __init__(self, *outcomes):
        super().__init__()
        self.outcomes = deque(outcomes)
        self.timeouts = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.timeouts.append(timeout)
        outcome = self.outcomes.popleft() if self.outcomes else 200
        if isinstance(outcome, Exception):
            raise outcome
        response = requests.Response()
        response.status_code = outcome
        response._content = b""
        response.request, response.url = request, request.url
        return response

    def close(self):
        pass


def fake_session(transport: FakeTransport) -> requests.Session:
    raw = requests.Session()
    raw.mount("https://fake.test/", transport)
    return raw


def test_timeout_is_always_passed(sleeps):
    transport = FakeTransport()
    client = session(sleeps, timeout=(3, 30), session=fake_session(transport))
    client.get("https://fake.test/a")
    client.get("https://fake.test/b", timeout=None)
    client.get("https://fake.test/c", timeout=7)
    assert transport.timeouts == [(3, 30), (3, 30), 7]


def test_connection_lost_mid_answer_is_not_retried_for_post(sleeps):
    reset = requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))
    transport = FakeTransport(reset, 200)
    client = session(sleeps, session=fake_session(transport))
    with pytest.raises(requests.ConnectionError):
        client.post("https://fake.test/events")
    assert client.request_count == 1

    transport = FakeTransport(reset, 200)
    client = session(sleeps, session=fake_session(transport))
    assert client.delete("https://fake.test/events/1").status_code == 200
    assert client.request_count == 2


def test_ssl_errors_are_not_retried(sleeps):
    transport = FakeTransport(requests.exceptions.SSLError("bad certificate"), 200)
    client = session(sleeps, session=fake_session(transport))
    with pytest.raises(requests.exceptions.SSLError):
        client.get("https://fake.test/")
    assert client.request_count == 1


def test_connect_timeout_is_retried_for_post(sleeps):
    transport = FakeTransport(requests.ConnectTimeout("slow connect"), 201)
    client = session(sleeps, session=fake_session(transport))
    assert client.post("https://fake.test/events").status_code == 201
    assert client.request_count == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        (" 1.5 ", 1.5),
        ("-3", 0.0),
        ("nan", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # already past
    ],
)
def test_parse_retry_after(value, expected):
    now = dt.datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == expected


class Clock:
    """A fake monotonic clock; its ``sleep`` records the delay and moves time on."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_no_retry_wait_ends_after_the_deadline(server):
    for _ in range(4):
        server.then(503)
    clock = Clock()
    client = ResilientSession(
        sleep=clock.sleep, clock=clock, deadline=1.2, random=lambda: 1.0, backoff_base=0.5
    )
    assert client.get(server.url).status_code == 503  # as when retries run out
    assert clock.sleeps == [0.5]  # the next wait (1.0) would have ended at 1.5
    assert client.request_count == 2


def test_retry_after_beyond_the_deadline_is_not_waited_for(server):
    server.then(429, {"Retry-After": "30"}).then(200)
    clock = Clock()
    client = ResilientSession(sleep=clock.sleep, clock=clock, deadline=10.0)
    assert client.post(server.url, json={}).status_code == 429
    assert clock.sleeps == [] and client.request_count == 1


def test_timeouts_are_capped_by_the_time_left():
    transport = FakeTransport(200, 200)
    clock = Clock()
    client = ResilientSession(
        timeout=(5, 60), clock=clock, deadline=8.0, session=fake_session(transport)
    )
    client.get("https://fake.test/a")
    clock.now = 6.5
    client.get("https://fake.test/b", timeout=4)
    assert transport.timeouts == [(5, 8.0), 1.5]


def test_nothing_is_sent_once_the_deadline_has_passed():
    transport = FakeTransport()
    clock = Clock()
    clock.now = 3.0
    client = ResilientSession(clock=clock, deadline=3.0, session=fake_session(transport))
    with pytest.raises(TimeBudgetExceeded):
        client.get("https://fake.test/a")
    assert transport.timeouts == [] and client.request_count == 0


def test_connection_error_without_time_to_retry_stops(sleeps):
    clock = Clock()
    transport = FakeTransport(requests.ConnectTimeout("slow connect"), 201)
    client = ResilientSession(
        sleep=clock.sleep, clock=clock, deadline=0.4, random=lambda: 1.0,
        session=fake_session(transport),
    )  # fmt: skip
    with pytest.raises(TimeBudgetExceeded) as stopped:
        client.post("https://fake.test/events")
    assert isinstance(stopped.value.__cause__, requests.ConnectTimeout)
    assert clock.sleeps == [] and client.request_count == 1


def test_slow_server_is_given_up_at_the_deadline(server):
    """A GET would be retried after a read timeout; with a deadline it stops when time is up,
    long before the server answers."""
    server.then(200, delay=2.0).then(200, delay=2.0)
    client = ResilientSession(timeout=(5, 60), deadline=time.monotonic() + 0.4)
    started = time.monotonic()
    with pytest.raises(TimeBudgetExceeded) as stopped:
        client.get(server.url)
    assert time.monotonic() - started < 1.0
    assert isinstance(stopped.value.__cause__, requests.ReadTimeout)
    assert client.request_count == 1


def test_running_out_of_time_is_not_an_item_failure():
    """Connectors catch ``SyncError`` per item and go on; a spent budget must stop them."""
    assert not issubclass(TimeBudgetExceeded, SyncError)
