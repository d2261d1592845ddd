"""Graph change notifications on a user's events (mixed into MicrosoftEmulator).

``POST /subscriptions`` first validates ``notificationUrl`` (and ``lifecycleNotificationUrl``)
by posting ``?validationToken=...`` to it: the subscriber must answer 200, ``text/plain``, the
token itself, within 10 seconds. Then every created / updated / deleted event of the mailbox is
POSTed as a ``changeNotificationCollection`` carrying the subscription's ``clientState``.
Lifecycle notifications (``reauthorizationRequired``, ``subscriptionRemoved``, ``missed``) are
sent on demand (``lifecycle_event``). Sources are listed in README.md ("Subscriptions").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import threading
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from .. import webhooks
from ..base import RecordedRequest, Response, bearer_token
from . import errors, timezones
from .graph import READ_PERMISSIONS, graph_json, request_body

if TYPE_CHECKING:
    from .server import MicrosoftEmulator
    from .store import Mailbox, StoredEvent

# Outlook event subscriptions live at most 10,080 minutes (under 7 days).
MAX_LIFETIME = dt.timedelta(minutes=10080)
MAX_CLIENT_STATE = 128
CHANGE_TYPES = ("created", "updated", "deleted")
LIFECYCLE_EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")
EVENTS_RESOURCE = re.compile(r"/?(?:me|users/(?P<user>[^/]+))(?:/calendar)?/events", re.I)
SUBSCRIPTION = r"/v1\.0/subscriptions/(?P<subscription_id>[^/]+)"
VALIDATION_FAILED = (
    "Subscription validation request failed. Notification endpoint must respond with 200 OK "
    "to validation request."
)


@dataclasses.dataclass
class Subscription:
    id: str
    email: str
    resource: str
    change_types: tuple[str, ...]
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expiration: dt.datetime
    application_id: str
    creator_id: str
    # A reauthorizationRequired was sent: notifications pause until reauthorize or renewal.
    needs_reauthorization: bool = False


class SubscriptionsApi:
    """Requires the host class: ``mailboxes``, ``graph_mailbox``, ``now()``, ``lock``,
    ``webhook_hosts``, ``deliver_notifications``, ``tenant_id``."""

    def _register_subscription_routes(self: MicrosoftEmulator) -> None:
        # Creating one calls the subscriber back: not under the lock, the subscriber may
        # call the emulator meanwhile.
        self.route("POST", r"/v1\.0/subscriptions", self._create_subscription, locked=False)
        self.route("GET", r"/v1\.0/subscriptions", self._list_subscriptions)
        self.route("GET", SUBSCRIPTION, self._get_subscription)
        self.route("PATCH", SUBSCRIPTION, self._patch_subscription)
        self.route("DELETE", SUBSCRIPTION, self._delete_subscription)
        self.route(
            "POST",
            SUBSCRIPTION + r"/(?:microsoft\.graph\.)?reauthorize",
            self._reauthorize_subscription,
        )

    # -- routes ------------------------------------------------------------------------------

    def _create_subscription(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        with self.lock:
            mailbox = self.graph_mailbox(request, READ_PERMISSIONS)
            token = self.identity.tokens[bearer_token(request.headers.get("Authorization"))]
            subscription = self._new_subscription(mailbox, request_body(request) or {}, token)
        for url in filter(None, (subscription.notification_url, subscription.lifecycle_url)):
            if not self._validated(url):
                raise errors.bad_request(VALIDATION_FAILED, "ValidationError")
        with self.lock:
            self.subscriptions[subscription.id] = subscription
            return graph_json(self._subscription_json(subscription), 201)

    def _list_subscriptions(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        mailbox = self.graph_mailbox(request, set())
        mine = [s for s in self._live_subscriptions() if s.email == mailbox.email]
        return graph_json(
            {
                "@odata.context": f"{self.graph_url}/$metadata#subscriptions",
                "value": [self._subscription_json(s) for s in mine],
            }
        )

    def _get_subscription(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        return graph_json(self._subscription_json(self._own_subscription(request)))

    def _patch_subscription(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        subscription = self._own_subscription(request)
        body = request_body(request) or {}
        unknown = set(body) - {"expirationDateTime", "notificationUrl"}
        if unknown:
            raise errors.bad_request(f"Only expirationDateTime can be updated: {sorted(unknown)}")
        if "expirationDateTime" in body:
            subscription.expiration = self._checked_expiration(body["expirationDateTime"])
            subscription.needs_reauthorization = False  # a renewal reauthorizes
        return graph_json(self._subscription_json(subscription))

    def _delete_subscription(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        subscription = self._own_subscription(request)
        del self.subscriptions[subscription.id]
        return Response(204)

    def _reauthorize_subscription(self: MicrosoftEmulator, request: RecordedRequest) -> Response:
        self._own_subscription(request).needs_reauthorization = False
        return Response(204)

    # -- helpers -----------------------------------------------------------------------------

    def _new_subscription(self: MicrosoftEmulator, mailbox: Mailbox, body, token) -> Subscription:
        if not isinstance(body, dict):
            raise errors.bad_request("The subscription must be a JSON object.")
        change_types = tuple(
            part.strip() for part in str(body.get("changeType") or "").split(",") if part.strip()
        )
        if not change_types or set(change_types) - set(CHANGE_TYPES):
            raise errors.bad_request(f"Invalid changeType '{body.get('changeType')}'.")
        resource = str(body.get("resource") or "")
        match = EVENTS_RESOURCE.fullmatch(resource)
        user = (match and match.group("user") or "").replace("%40", "@").lower()
        if not match or (user and user not in (mailbox.oid, mailbox.email.lower())):
            raise errors.bad_request(f"Resource '{resource}' is not supported.", "InvalidRequest")
        client_state = body.get("clientState")
        if client_state is not None and len(str(client_state)) > MAX_CLIENT_STATE:
            raise errors.bad_request(
                f"clientState must be at most {MAX_CLIENT_STATE} characters long."
            )
        for key in ("notificationUrl", "lifecycleNotificationUrl"):
            if body.get(key) is not None and not webhooks.allowed_address(str(body[key])):
                raise errors.bad_request(f"The {key} must be an https URL.", "InvalidRequest")
        if not body.get("notificationUrl"):
            raise errors.bad_request("notificationUrl is required.", "InvalidRequest")
        return Subscription(
            id=str(uuid.uuid4()),
            email=mailbox.email,
            resource=resource,
            change_types=change_types,
            notification_url=body["notificationUrl"],
            lifecycle_url=body.get("lifecycleNotificationUrl"),
            client_state=client_state,
            expiration=self._checked_expiration(body.get("expirationDateTime")),
            application_id=token.client_id,
            creator_id=mailbox.oid,
        )

    def _checked_expiration(self: MicrosoftEmulator, value: Any) -> dt.datetime:
        try:
            expiration = timezones.parse_instant(str(value))
        except ValueError:
            raise errors.bad_request("expirationDateTime is required and must be a date.") from None
        now = self.now()
        if expiration <= now:
            raise errors.bad_request("Subscription expiration must be in the future.")
        if expiration > now + MAX_LIFETIME:
            raise errors.bad_request(
                "Subscription expiration can only be "
                f"{int(MAX_LIFETIME.total_seconds() // 60)} minutes in the future."
            )
        return expiration

    def _validated(self: MicrosoftEmulator, url: str) -> bool:
        """Graph's validation request: POST ``url?validationToken=<token>`` (text/plain);
        only an answer of 200 whose body is the token itself passes."""
        target = webhooks.target(url, self.webhook_hosts)
        if target is None:
            return False
        token = (
            "Validation: Testing client application reachability for subscription "
            f"Request-Id: {uuid.uuid4()}"
        )
        separator = "&" if urlsplit(target).query else "?"
        status, answer = webhooks.post(
            f"{target}{separator}validationToken={quote(token)}",
            {"Content-Type": "text/plain; charset=utf-8"},
        )
        return status == 200 and answer.decode("utf-8", "replace") == token

    def _own_subscription(self: MicrosoftEmulator, request: RecordedRequest) -> Subscription:
        mailbox = self.graph_mailbox(request, set())
        subscription = self.subscriptions.get(request.path_params["subscription_id"])
        if (
            subscription is None
            or subscription.email != mailbox.email
            or subscription.expiration <= self.now()
        ):
            # Observed answer for an unknown or expired subscription id (field reports:
            # microsoftgraph/msgraph-sdk-php#221, microsoft-graph-docs#5725).
            raise errors.GraphError(404, "ResourceNotFound", "The object was not found.")
        return subscription

    def _live_subscriptions(self: MicrosoftEmulator) -> list[Subscription]:
        now = self.now()
        return [s for s in self.subscriptions.values() if s.expiration > now]

    def _subscription_json(self: MicrosoftEmulator, subscription: Subscription) -> dict:
        return {
            "@odata.context": f"{self.graph_url}/$metadata#subscriptions/$entity",
            "id": subscription.id,
            "resource": subscription.resource,
            "applicationId": subscription.application_id,
            "changeType": ",".join(subscription.change_types),
            "clientState": subscription.client_state,
            "notificationUrl": subscription.notification_url,
            "notificationQueryOptions": None,
            "lifecycleNotificationUrl": subscription.lifecycle_url,
            "expirationDateTime": timezones.format_utc(subscription.expiration),
            "creatorId": subscription.creator_id,
            "includeResourceData": False,
            "latestSupportedTlsVersion": "v1_2",
            "encryptionCertificate": None,
            "encryptionCertificateId": None,
            "notificationUrlAppId": None,
        }

    # -- notifications -----------------------------------------------------------------------

    def notify_change(
        self: MicrosoftEmulator, mailbox: Mailbox, event: StoredEvent, change: str
    ) -> None:
        """``change`` (created, updated, deleted) happened to an event of ``mailbox``
        (called under the lock, by the mailbox)."""
        for subscription in self._live_subscriptions():
            if (
                subscription.email != mailbox.email
                or change not in subscription.change_types
                or subscription.needs_reauthorization
            ):
                continue
            path = f"Users/{mailbox.oid}/Events/{event.id}"
            item = {
                **self._notification_head(subscription),
                "changeType": change,
                "resource": path,
                "resourceData": {
                    "@odata.type": "#Microsoft.Graph.Event",
                    "@odata.id": path,
                    "@odata.etag": f'W/"{event.change_key}"',
                    "id": event.id,
                },
            }
            self._send(subscription.notification_url, item)

    def lifecycle_event(self, subscription_id: str, event: str) -> dict[str, Any]:
        """Send a lifecycle notification for a subscription, as Graph does when it needs the
        subscriber to reauthorize (``reauthorizationRequired``), when it removed the
        subscription (``subscriptionRemoved``: it is deleted here) or when notifications were
        lost (``missed``). Returns the delivery record."""
        if event not in LIFECYCLE_EVENTS:
            raise ValueError(f"unknown lifecycle event {event!r}")
        with self.lock:
            subscription = self.subscriptions[subscription_id]
            if event == "subscriptionRemoved":
                del self.subscriptions[subscription_id]
            elif event == "reauthorizationRequired":
                subscription.needs_reauthorization = True
            item = {**self._notification_head(subscription), "lifecycleEvent": event}
            return self._send(subscription.lifecycle_url or subscription.notification_url, item)

    def _notification_head(self: MicrosoftEmulator, subscription: Subscription) -> dict:
        return {
            "subscriptionId": subscription.id,
            "subscriptionExpirationDateTime": timezones.format_utc(subscription.expiration),
            "clientState": subscription.client_state,
            "tenantId": self.tenant_id,
        }

    def _send(self: MicrosoftEmulator, address: str, item: dict) -> dict[str, Any]:
        note = {"address": address, "body": {"value": [item]}, "status": None}
        self.notifications.append(note)
        url = webhooks.target(address, self.webhook_hosts)
        if self.deliver_notifications and url:
            threading.Thread(target=_deliver, args=(url, note), daemon=True).start()
        return note


def _deliver(url: str, note: dict[str, Any]) -> None:
    body = json.dumps(note["body"]).encode()
    note["status"], _answer = webhooks.post(url, {"Content-Type": "application/json"}, body)
