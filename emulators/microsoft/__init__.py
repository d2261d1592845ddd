"""Microsoft identity platform (v2.0) + Microsoft Graph v1.0 calendar emulator (HTTPS)."""

from .identity import DEFAULT_SCOPES
from .server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    MicrosoftEmulator,
    MicrosoftFaults,
)
from .tls import trusting, write_bundle

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_SCOPES",
    "MicrosoftEmulator",
    "MicrosoftFaults",
    "trusting",
    "write_bundle",
]
