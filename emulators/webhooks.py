"""Push deliveries to a subscriber's URL, made the way Google's and Microsoft's services make
them: an HTTP POST from the service to the address the subscriber registered.

The emulators only reach loopback addresses (tests, the demo). ``hosts`` stands in for DNS:
``{"odoo.example.com": "http://127.0.0.1:8069"}`` delivers what is addressed to
``https://odoo.example.com/...`` to the local server, so a subscriber that insists on a public
https address (as the real services do) can still be reached on this machine.
"""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit

DELIVERY_TIMEOUT = 10  # seconds; Graph's validation deadline, ample for a notification


def is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def allowed_address(address: str) -> bool:
    """Both services want https; plain http is accepted for loopback addresses (tests)."""
    parts = urlsplit(address)
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname))


def target(address: str, hosts: Mapping[str, str]) -> str | None:
    """Where a POST to ``address`` really goes on this machine; None: out of reach."""
    parts = urlsplit(address)
    base = hosts.get(parts.hostname or "")
    if base:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return base.rstrip("/") + path
    return address if is_loopback(parts.hostname) else None


def post(
    url: str,
    headers: Mapping[str, str],
    body: bytes = b"",
    timeout: float = DELIVERY_TIMEOUT,
) -> tuple[int | str, bytes]:
    """POST and return ``(status, body)``; a failure gives its repr as status (no raise)."""
    request = urllib.request.Request(url, data=body, method="POST")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except Exception as error:  # noqa: BLE001 - a delivery failure is recorded, not raised
        return repr(error), b""
