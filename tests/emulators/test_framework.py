"""The emulator framework: server lifecycle, request log, faults, keep-alive, control, CLI."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from emulators import EmulatorServer, Headers, Response
from emulators.base import EmulatorError

ROOT = Path(__file__).resolve().parents[2]


class EchoEmulator(EmulatorServer):
    name = "echo"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.items: dict[str, dict] = {}
        self.route("GET", r"/hello", lambda req: Response.json({"hello": "world"}))
        self.route("POST", r"/echo", self._echo)
        self.route("PUT", r"/items/(?P<item_id>\w+)", self._put)
        self.route("GET", r"/items/(?P<item_id>\w+)", self._get)
        self.route("GET", r"/boom", self._boom)

    def _echo(self, request):
        return Response.json({"json": request.json(), "query": request.query}, 201)

    def _put(self, request):
        self.items[request.path_params["item_id"]] = request.json()
        return Response(204)

    def _get(self, request):
        item = self.items.get(request.path_params["item_id"])
        if item is None:
            raise EmulatorError(Response.json({"error": "missing"}, 404))
        return Response.json(item)

    def _boom(self, request):
        raise RuntimeError("kaput")

    def reset_state(self):
        self.items = {}


@pytest.fixture
def emu():
    with EchoEmulator() as server:
        yield server


def test_start_stop_and_url():
    server = EchoEmulator()
    assert not server.running
    server.start()
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.port > 0
        assert requests.get(server.url + "/hello", timeout=5).json() == {"hello": "world"}
    finally:
        server.stop()
    assert not server.running
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/hello", timeout=2)


def test_stop_with_open_keepalive_connection_is_quick():
    server = EchoEmulator().start()
    session = requests.Session()
    session.get(server.url + "/hello", timeout=5)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3


def test_routes_params_errors(emu):
    assert requests.put(emu.url + "/items/a1", json={"x": 1}, timeout=5).status_code == 204
    assert requests.get(emu.url + "/items/a1", timeout=5).json() == {"x": 1}
    assert requests.get(emu.url + "/items/zz", timeout=5).status_code == 404
    assert requests.get(emu.url + "/nope", timeout=5).status_code == 404
    assert requests.delete(emu.url + "/hello", timeout=5).status_code == 405
    broken = requests.get(emu.url + "/boom", timeout=5)
    assert broken.status_code == 500
    assert "kaput" in broken.json()["error"]["message"]


def test_request_log(emu):
    requests.post(
        emu.url + "/echo?a=1&a=2&b=",
        json={"k": "v"},
        headers={"X-Custom": "yes"},
        timeout=5,
    )
    requests.get(emu.url + "/hello", timeout=5)
    assert len(emu.requests) == 2
    first = emu.requests[0]
    assert first.method == "POST"
    assert first.path == "/echo"
    assert first.query == {"a": ["1", "2"], "b": [""]}
    assert first.headers["x-custom"] == "yes"
    assert first.headers["X-CUSTOM"] == "yes"
    assert first.json() == {"k": "v"}
    assert first.body == b'{"k": "v"}'
    assert first.status == 201
    assert emu.requests.count() == 2
    assert emu.requests.count(method="GET") == 1
    assert emu.requests.count(path_regex=r"^/ec") == 1
    assert emu.requests.count(method="get", path_regex="hello") == 1
    assert emu.requests.last.path == "/hello"
    emu.requests.clear()
    assert emu.requests.count() == 0


def test_headers_case_insensitive():
    headers = Headers({"Content-Type": "text/plain"})
    headers.add("Set-Cookie", "a=1")
    headers.add("set-cookie", "b=2")
    assert headers["content-type"] == "text/plain"
    assert "CONTENT-TYPE" in headers
    assert headers.get_all("SET-COOKIE") == ["a=1", "b=2"]
    headers["CONTENT-type"] = "application/json"
    assert headers.get_all("content-type") == ["application/json"]
    del headers["Set-Cookie"]
    assert "set-cookie" not in headers


def test_fault_status_with_retry_after(emu):
    emu.faults.add(status=503, retry_after=7, path_regex="/hello")
    failed = requests.get(emu.url + "/hello", timeout=5)
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "7"
    assert failed.json()["error"]["code"] == 503
    assert requests.get(emu.url + "/hello", timeout=5).status_code == 200  # times=1
    assert [r.status for r in emu.requests] == [503, 200]


def test_fault_custom_body_and_headers(emu):
    emu.faults.add(status=429, body={"oops": True}, headers={"X-Why": "busy"})
    answer = requests.get(emu.url + "/hello", timeout=5)
    assert answer.status_code == 429
    assert answer.json() == {"oops": True}
    assert answer.headers["x-why"] == "busy"


def test_fault_latency(emu):
    emu.faults.add(latency=0.3)
    started = time.monotonic()
    answer = requests.get(emu.url + "/hello", timeout=5)
    assert time.monotonic() - started >= 0.3
    assert answer.status_code == 200  # latency alone: then handled normally
    with pytest.raises(requests.Timeout):
        emu.faults.add(latency=1.0)
        requests.get(emu.url + "/hello", timeout=0.2)


def test_fault_drop_connection(emu):
    emu.faults.add(drop_connection=True)
    with pytest.raises(requests.ConnectionError):
        requests.get(emu.url + "/hello", timeout=5)
    assert emu.requests[0].status is None
    assert requests.get(emu.url + "/hello", timeout=5).status_code == 200


def test_fault_drop_on_reused_connection(emu):
    session = requests.Session()
    assert session.get(emu.url + "/hello", timeout=5).status_code == 200
    emu.faults.add(drop_connection=True)
    with pytest.raises(requests.ConnectionError):
        session.get(emu.url + "/hello", timeout=5)
    assert session.get(emu.url + "/hello", timeout=5).status_code == 200


def test_fault_nth_and_times(emu):
    emu.faults.add(status=500, nth=3, method="GET", path_regex="^/hello$")
    statuses = [requests.get(emu.url + "/hello", timeout=5).status_code for _ in range(4)]
    assert statuses == [200, 200, 500, 200]
    emu.faults.add(status=502, times=2)
    statuses = [requests.get(emu.url + "/hello", timeout=5).status_code for _ in range(3)]
    assert statuses == [502, 502, 200]
    fault = emu.faults.add(status=500, times=None, method="POST")
    assert requests.get(emu.url + "/hello", timeout=5).status_code == 200
    for _ in range(3):
        assert requests.post(emu.url + "/echo", json={}, timeout=5).status_code == 500
    assert fault.fired == 3
    emu.faults.remove(fault)
    assert requests.post(emu.url + "/echo", json={}, timeout=5).status_code == 201


def test_reset_clears_state_log_and_faults(emu):
    requests.put(emu.url + "/items/a", json={}, timeout=5)
    emu.faults.add(status=500)
    emu.reset()
    assert len(emu.requests) == 0
    assert len(emu.faults) == 0
    assert emu.items == {}


def test_keep_alive_connection_reuse(emu):
    session = requests.Session()
    for _ in range(5):
        answer = session.get(emu.url + "/hello", timeout=5)
        assert answer.headers["Content-Length"] == str(len(answer.content))
    session.put(emu.url + "/items/x", json={"a": 1}, timeout=5)  # 204: no body
    session.post(emu.url + "/echo", json={"b": 2}, timeout=5)
    ports = {req.client_address for req in emu.requests}
    assert len(ports) == 1


def test_clock(emu):
    emu.set_now("2024-03-01T12:00:00Z")
    assert emu.now().isoformat() == "2024-03-01T12:00:00+00:00"
    emu.advance(60)
    assert emu.now().isoformat() == "2024-03-01T12:01:00+00:00"
    emu.set_now(None)
    assert emu.now().year >= 2024


def test_control_endpoints(emu):
    requests.get(emu.url + "/hello?x=1", timeout=5)
    log = requests.get(emu.url + "/_emulator/requests", timeout=5).json()
    assert [(r["method"], r["path"], r["query"]) for r in log] == [("GET", "/hello", {"x": ["1"]})]
    armed = requests.post(
        emu.url + "/_emulator/faults", json={"status": 503, "retry_after": 2}, timeout=5
    )
    assert armed.status_code == 201
    assert requests.get(emu.url + "/_emulator/faults", timeout=5).json()[0]["status"] == 503
    failed = requests.get(emu.url + "/hello", timeout=5)
    assert (failed.status_code, failed.headers["Retry-After"]) == (503, "2")
    bad = requests.post(emu.url + "/_emulator/faults", json={"nope": 1}, timeout=5)
    assert bad.status_code == 400
    clock = requests.post(emu.url + "/_emulator/clock", json={"now": "2030-01-01T00:00:00Z"})
    assert clock.json()["now"].startswith("2030-01-01")
    assert requests.post(emu.url + "/_emulator/reset", timeout=5).status_code == 204
    assert requests.get(emu.url + "/_emulator/requests", timeout=5).json() == []
    info = requests.get(emu.url + "/_emulator/", timeout=5).json()
    assert info["name"] == "echo"
    assert emu.requests.count() == 0  # control requests are never logged


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_cli_starts_and_answers():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulators", "google", "--port", str(port), "--seed-demo"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line, line + proc.stderr.read()
        info = requests.get(f"http://127.0.0.1:{port}/_emulator/", timeout=5).json()
        assert info["name"] == "google"
        tokens = requests.post(
            f"http://127.0.0.1:{port}/_emulator/google/tokens",
            json={"email": "demo@example.com"},
            timeout=5,
        ).json()
        listed = requests.get(
            f"http://127.0.0.1:{port}/calendar/v3/calendars/primary/events",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=5,
        )
        assert listed.status_code == 200
        assert len(listed.json()["items"]) == 5
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cli_rejects_unknown_emulator():
    result = subprocess.run(
        [sys.executable, "-m", "emulators", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "invalid choice" in result.stderr


def test_json_body_serialisation():
    response = Response.json({"a": [1, 2]})
    assert json.loads(response.body_bytes()) == {"a": [1, 2]}
    assert response.headers["content-type"].startswith("application/json")


def test_injected_clock():
    import datetime as dt

    fixed = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    server = EchoEmulator(clock=lambda: fixed)
    assert server.now() == fixed
    server.advance(10)
    assert server.now() == fixed + dt.timedelta(seconds=10)
    server.reset()
    assert server.now() == fixed


def test_fault_matching_request_headers(emu):
    emu.faults.add(status=503, times=None, request_headers={"Authorization": "Bearer slow"})
    assert requests.get(emu.url + "/hello", timeout=5).status_code == 200
    other = {"Authorization": "Bearer fast"}
    assert requests.get(emu.url + "/hello", headers=other, timeout=5).status_code == 200
    slow = {"authorization": "Bearer slow"}  # header names are case-insensitive
    assert requests.get(emu.url + "/hello", headers=slow, timeout=5).status_code == 503


def test_client_giving_up_under_latency_is_no_server_error(emu, capfd):
    emu.faults.add(latency=0.3)
    with pytest.raises(requests.Timeout):
        requests.get(emu.url + "/hello", timeout=0.1)
    time.sleep(0.5)  # the emulator answers a closed connection
    assert "Traceback" not in capfd.readouterr().err
