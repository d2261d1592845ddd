"""SOAP autodiscover: ``GetUserSettings`` on ``/autodiscover/autodiscover.svc``, answered with
the emulator's own EWS URL, in the shape of Microsoft's "GetUserSettings operation (SOAP)"
(learn.microsoft.com/exchange/client-developer/web-service-reference/getusersettings-operation-soap):
a ``GetUserSettingsResponseMessage`` whose ``Response`` holds one ``UserResponse`` per user,
each with its ``ErrorCode`` (``NoError``, ``InvalidUser``) and ``UserSettings``."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .xml import SOAP, sub, tostring

AUTODISCOVER_PATH = "/autodiscover/autodiscover.svc"
ANS = "http://schemas.microsoft.com/exchange/2010/Autodiscover"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
WSA = "http://www.w3.org/2005/08/addressing"
ACTION = (
    "http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettingsResponse"
)


def a(tag: str) -> str:
    return f"{{{ANS}}}{tag}"


def requested_users(body: bytes) -> list[str]:
    """The mailboxes a ``GetUserSettingsRequestMessage`` asks about."""
    root = ET.fromstring(body)
    return [mailbox.text or "" for mailbox in root.iter(a("Mailbox"))]


def user_settings_response(users: list[str], known: set[str], ews_url: str) -> bytes:
    """The answer for ``users``: ``AutoDiscoverSMTPAddress`` (exchangelib fails without it),
    ``InternalEwsUrl`` and ``ExternalEwsUrl`` = ``ews_url`` for the mailboxes in ``known``,
    ``InvalidUser`` for the others."""
    root = ET.Element(f"{{{SOAP}}}Envelope")
    header = sub(root, f"{{{SOAP}}}Header")
    sub(header, f"{{{WSA}}}Action", text=ACTION)
    message = sub(sub(root, f"{{{SOAP}}}Body"), a("GetUserSettingsResponseMessage"))
    response = sub(message, a("Response"))
    sub(response, a("ErrorCode"), text="NoError")
    sub(response, a("ErrorMessage"), text="")
    responses = sub(response, a("UserResponses"))
    for user in users:
        found = user.lower() in known
        answer = sub(responses, a("UserResponse"))
        sub(answer, a("ErrorCode"), text="NoError" if found else "InvalidUser")
        sub(answer, a("ErrorMessage"), text="No error." if found else f"Invalid user: '{user}'")
        sub(answer, a("RedirectTarget"), **{f"{{{XSI}}}nil": "true"})
        sub(answer, a("UserSettingErrors"))
        settings = sub(answer, a("UserSettings"))
        values = {
            "AutoDiscoverSMTPAddress": user.lower(),
            "InternalEwsUrl": ews_url,
            "ExternalEwsUrl": ews_url,
        }
        for name, value in values.items() if found else ():
            setting = sub(settings, a("UserSetting"), **{f"{{{XSI}}}type": "StringSetting"})
            sub(setting, a("Name"), text=name)
            sub(setting, a("Value"), text=value)
    return tostring(root)
