"""Google Calendar v3 + Google OAuth emulator. See README.md in this folder."""

from .discovery import VALIDATED_REVISION
from .server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GoogleEmulator, GoogleFaults

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "VALIDATED_REVISION",
    "GoogleEmulator",
    "GoogleFaults",
]
