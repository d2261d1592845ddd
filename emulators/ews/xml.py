"""SOAP and EWS XML: namespaces, element helpers, the response envelope.

Standard library only (``xml.etree.ElementTree``). Elements are built with Clark names
(``{namespace}Local``); :func:`tostring` writes the prefixes Exchange itself uses (``s:``,
``m:``, ``t:``, ``e:``).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
E = "http://schemas.microsoft.com/exchange/services/2006/errors"

for _prefix, _uri in (("s", SOAP), ("m", M), ("t", T), ("e", E)):
    ET.register_namespace(_prefix, _uri)

# RequestServerVersion values (ExchangeVersionType), oldest first.
EXCHANGE_VERSIONS = (
    "Exchange2007",
    "Exchange2007_SP1",
    "Exchange2010",
    "Exchange2010_SP1",
    "Exchange2010_SP2",
    "Exchange2013",
    "Exchange2013_SP1",
    "Exchange2015",
    "Exchange2016",
)


@dataclass(frozen=True)
class ServerVersion:
    """What a server release answers in every SOAP header, and the newest request version it
    accepts. Exchange 2013 and later send a ``Version`` that is not a request version."""

    build: tuple[int, int, int, int]
    version: str
    newest_request_version: str

    def attributes(self) -> dict[str, str]:
        names = ("MajorVersion", "MinorVersion", "MajorBuildNumber", "MinorBuildNumber")
        return {**dict(zip(names, map(str, self.build), strict=True)), "Version": self.version}

    def accepts(self, request_version: str | None) -> bool:
        newest = EXCHANGE_VERSIONS.index(self.newest_request_version)
        return request_version in EXCHANGE_VERSIONS[: newest + 1]


SERVER_VERSIONS = {
    "Exchange2019": ServerVersion((15, 2, 1118, 7), "V2017_07_11", "Exchange2016"),
    "Exchange2016": ServerVersion((15, 1, 2507, 6), "V2017_07_11", "Exchange2016"),
    "Exchange2013": ServerVersion((15, 0, 1497, 2), "V2_23", "Exchange2013_SP1"),
    "Exchange2010_SP2": ServerVersion((14, 2, 247, 5), "Exchange2010_SP2", "Exchange2010_SP2"),
    "Exchange2007_SP1": ServerVersion((8, 3, 83, 6), "Exchange2007_SP1", "Exchange2007_SP1"),
}


def m(local: str) -> str:
    return f"{{{M}}}{local}"


def t(local: str) -> str:
    return f"{{{T}}}{local}"


def local_name(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def sub(parent: ET.Element, tag: str, text: object = None, **attrs: object) -> ET.Element:
    """Append a child ``tag`` with optional text and attributes (None values left out)."""
    child = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        child.text = text if isinstance(text, str) else _format(text)
    return child


def _format(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    return str(value)


def format_datetime(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> dt.datetime:
    """An xs:dateTime as EWS clients send it (``Z``, an offset, or none: UTC)."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def parse_bool(text: str | None) -> bool:
    return (text or "").strip().lower() in ("true", "1")


def child_text(element: ET.Element | None, tag: str, default: str | None = None) -> str | None:
    if element is None:
        return default
    found = element.find(tag)
    return default if found is None or found.text is None else found.text.strip()


def envelope(body_child: ET.Element, server: ServerVersion) -> bytes:
    """A response envelope: ServerVersionInfo in the header, ``body_child`` in the body."""
    root = ET.Element(f"{{{SOAP}}}Envelope")
    header = sub(root, f"{{{SOAP}}}Header")
    sub(header, t("ServerVersionInfo"), **server.attributes())
    sub(root, f"{{{SOAP}}}Body").append(body_child)
    return tostring(root)


def tostring(element: ET.Element) -> bytes:
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)
