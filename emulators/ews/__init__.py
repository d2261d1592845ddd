"""Exchange Web Services (Exchange Server 2019) calendar emulator that exchangelib drives."""

from .server import EWS_PATH, EwsEmulator, EwsFaults

__all__ = ["EWS_PATH", "EwsEmulator", "EwsFaults"]
