"""Whether the providers can call Odoo back: push notifications need an address on the public
internet, over https (Google refuses any other webhook address, Graph's validation request
cannot reach a private one)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# Names that never resolve on the public internet (RFC 6761, RFC 6762, common LAN suffixes).
PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".test")


def is_public_https(url: str | None) -> bool:
    """``https://`` on a public IP address or a dotted host name that is not a private one."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host:
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return "." in host and not f".{host}".endswith(PRIVATE_SUFFIXES)
