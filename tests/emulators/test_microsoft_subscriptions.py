"""Graph change notifications in the Microsoft emulator, received by a tiny local HTTP server
standing in for the subscriber (validation handshake, change and lifecycle notifications), and
the emulators' delivery to a public https address mapped to this machine (``webhook_hosts``)."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from emulators.google import GoogleEmulator
from emulators.microsoft.subscriptions import MAX_LIFETIME

from .test_microsoft_graph import SIMPLE, USER, Graph

NOW = dt.datetime(2024, 5, 1, 8, tzinfo=dt.timezone.utc)


class Receiver:
    """A subscriber endpoint: echoes Graph's validation token (or not, when ``echo`` is
    False) and records every POST as ``(path, query, headers, json body or None)``."""

    def __init__(self):
        self.received: list[tuple[str, dict, dict, object]] = []
        self.echo = True
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - stdlib naming
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                receiver.received.append((parts.path, query, dict(self.headers), body))
                token = query.get("validationToken", [""])[0]
                answer = token.encode() if token and receiver.echo else b""
                self.send_response(200 if token else 202)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def bodies(self, path: str, count: int, timeout: float = 5.0) -> list:
        deadline = time.monotonic() + timeout
        while True:
            found = [body for p, query, _h, body in self.received if p == path and body]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    hook = Receiver()
    yield hook
    hook.close()


@pytest.fixture
def ms(fresh_graph_server):
    server = fresh_graph_server
    server.set_now(NOW)
    server.add_account(USER, "Alice Smith", "UTC")
    return server


@pytest.fixture
def graph(ms):
    access, _refresh = ms.issue_tokens(USER)
    return Graph(ms, access)


def subscribe(graph, receiver, expect=201, **overrides):
    body = {
        "changeType": "created,updated,deleted",
        "notificationUrl": f"{receiver.url}/notify",
        "lifecycleNotificationUrl": f"{receiver.url}/lifecycle",
        "resource": "me/events",
        "expirationDateTime": (NOW + dt.timedelta(days=3)).isoformat(),
        "clientState": "the-secret",
        **overrides,
    }
    return graph.call("POST", "/subscriptions", expect, json=body).json()


def test_creation_validates_both_urls_then_answers_the_subscription(graph, receiver):
    subscription = subscribe(graph, receiver)
    validations = [(path, q["validationToken"][0]) for path, q, _h, _b in receiver.received]
    assert [path for path, _token in validations] == ["/notify", "/lifecycle"]
    assert all(token.startswith("Validation: ") and " " in token for _p, token in validations)
    assert all(h["Content-Type"].startswith("text/plain") for _p, _q, h, _b in receiver.received)
    assert subscription["clientState"] == "the-secret"
    assert subscription["resource"] == "me/events"
    assert graph.get(f"/subscriptions/{subscription['id']}")["id"] == subscription["id"]


def test_a_subscriber_that_does_not_echo_the_token_gets_no_subscription(graph, ms, receiver):
    receiver.echo = False
    error = subscribe(graph, receiver, expect=400)["error"]
    assert error["code"] == "ValidationError"
    assert ms.subscriptions == {}


@pytest.mark.parametrize(
    "overrides",
    [
        {"expirationDateTime": (NOW + MAX_LIFETIME + dt.timedelta(minutes=1)).isoformat()},
        {"expirationDateTime": (NOW - dt.timedelta(minutes=1)).isoformat()},
        {"changeType": "renamed"},
        {"resource": "me/messages"},
        {"resource": "users/bob@example.com/events"},
        {"clientState": "x" * 129},
        {"notificationUrl": "http://example.com/notify"},
    ],
)
def test_invalid_subscriptions_are_refused(graph, ms, receiver, overrides):
    subscribe(graph, receiver, expect=400, **overrides)
    assert ms.subscriptions == {}


def test_changes_are_notified_with_the_client_state(graph, ms, receiver):
    subscription = subscribe(graph, receiver)
    event = graph.post("/me/events", SIMPLE)
    ms.patch_event(USER, event["id"], {"subject": "Moved"})
    graph.delete(f"/me/events/{event['id']}")
    bodies = receiver.bodies("/notify", 3)
    items = [body["value"][0] for body in bodies]
    # Each notification is its own POST, as with Graph, which does not promise their order.
    assert sorted(item["changeType"] for item in items) == ["created", "deleted", "updated"]
    for item in items:
        assert item["subscriptionId"] == subscription["id"]
        assert item["clientState"] == "the-secret"
        assert item["resourceData"]["id"] == event["id"]
        assert item["resource"].endswith(f"/Events/{event['id']}")


def test_change_types_filter_notifications(graph, ms, receiver):
    subscribe(graph, receiver, changeType="deleted")
    event = graph.post("/me/events", SIMPLE)
    graph.delete(f"/me/events/{event['id']}")
    assert [b["value"][0]["changeType"] for b in receiver.bodies("/notify", 1)] == ["deleted"]
    assert len(ms.notifications) == 1


def test_renewal_deletion_and_expiry(graph, ms, receiver):
    subscription = subscribe(graph, receiver)
    later = (NOW + dt.timedelta(days=6)).isoformat()
    renewed = graph.patch(f"/subscriptions/{subscription['id']}", {"expirationDateTime": later})
    assert renewed["expirationDateTime"].startswith("2024-05-07T08:00:00")
    too_late = (NOW + dt.timedelta(days=8)).isoformat()
    graph.call(
        "PATCH", f"/subscriptions/{subscription['id']}", 400, json={"expirationDateTime": too_late}
    )
    ms.advance(7 * 86400)
    graph = Graph(ms, ms.issue_tokens(USER)[0])  # the first token expired meanwhile
    graph.call("GET", f"/subscriptions/{subscription['id']}", 404)
    second = subscribe(
        graph, receiver, expirationDateTime=(ms.now() + dt.timedelta(days=1)).isoformat()
    )
    graph.delete(f"/subscriptions/{second['id']}")
    graph.call("DELETE", f"/subscriptions/{second['id']}", 404)
    assert graph.get("/subscriptions")["value"] == []


def test_reauthorization_required_pauses_notifications_until_reauthorized(graph, ms, receiver):
    subscription = subscribe(graph, receiver)
    ms.lifecycle_event(subscription["id"], "reauthorizationRequired")
    [lifecycle] = receiver.bodies("/lifecycle", 1)
    assert lifecycle["value"][0]["lifecycleEvent"] == "reauthorizationRequired"
    assert lifecycle["value"][0]["clientState"] == "the-secret"
    graph.post("/me/events", SIMPLE)
    assert receiver.bodies("/notify", 1, timeout=0.3) == []
    graph.call("POST", f"/subscriptions/{subscription['id']}/reauthorize", 204)
    graph.post("/me/events", SIMPLE)
    assert len(receiver.bodies("/notify", 1)) == 1


def test_subscription_removed_and_missed(graph, ms, receiver):
    subscription = subscribe(graph, receiver)
    ms.lifecycle_event(subscription["id"], "missed")
    ms.lifecycle_event(subscription["id"], "subscriptionRemoved")
    events = [b["value"][0]["lifecycleEvent"] for b in receiver.bodies("/lifecycle", 2)]
    assert sorted(events) == ["missed", "subscriptionRemoved"]  # separate POSTs, any order
    graph.call("GET", f"/subscriptions/{subscription['id']}", 404)
    with pytest.raises(ValueError):
        ms.lifecycle_event(subscription["id"], "unknown")


def test_subscriptions_belong_to_their_creator(graph, ms, receiver):
    subscription = subscribe(graph, receiver)
    ms.add_account("bob@example.com", "Bob")
    bob = Graph(ms, ms.issue_tokens("bob@example.com")[0])
    bob.call("GET", f"/subscriptions/{subscription['id']}", 404)
    bob.call("DELETE", f"/subscriptions/{subscription['id']}", 404)
    assert bob.get("/subscriptions")["value"] == []


def test_a_public_address_is_delivered_through_webhook_hosts(graph, ms, receiver):
    """A subscriber that registers https://odoo.example.com is reached on this machine."""
    subscribe(
        graph, receiver, expect=400, notificationUrl="https://odoo.example.com/notify"
    )  # out of reach: the validation cannot be delivered
    ms.webhook_hosts = {"odoo.example.com": receiver.url}
    subscribe(
        graph,
        receiver,
        notificationUrl="https://odoo.example.com/notify",
        lifecycleNotificationUrl="https://odoo.example.com/lifecycle",
    )
    graph.post("/me/events", SIMPLE)
    assert len(receiver.bodies("/notify", 1)) == 1


def test_google_delivers_to_a_mapped_public_address(receiver):
    with GoogleEmulator() as google:
        google.add_account(USER)
        google.webhook_hosts = {"odoo.example.com": receiver.url}
        access, _refresh = google.issue_tokens(USER)
        answer = requests.post(
            f"{google.url}/calendar/v3/calendars/primary/events/watch",
            json={
                "id": "c1",
                "type": "web_hook",
                "token": "t0k",
                "address": "https://odoo.example.com/calendar_notify",
            },
            headers={"Authorization": f"Bearer {access}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        deadline = time.monotonic() + 5
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.02)
        path, _query, headers, _body = receiver.received[0]
        assert path == "/calendar_notify"
        assert headers["X-Goog-Channel-Token"] == "t0k"
        assert headers["X-Goog-Resource-State"] == "sync"


def test_subscription_answers_match_the_graph_model(graph, receiver):
    pytest.importorskip("msgraph", reason="msgraph-sdk (requirements-dev.txt) validates the schema")
    from msgraph.generated.models.subscription import Subscription

    from .test_microsoft_schema import assert_valid

    subscription = subscribe(graph, receiver)
    assert_valid(subscription, Subscription)
    assert_valid(graph.get(f"/subscriptions/{subscription['id']}"), Subscription)
