"""The server side of NTLM over HTTP (MS-NLMP), enough for requests_ntlm / pyspnego clients.

A connection is authenticated by a three-leg handshake on the same keep-alive TCP connection:
NEGOTIATE -> 401 with a CHALLENGE -> AUTHENTICATE. The NTLMv2 response is verified against the
account's password (NTProofStr = HMAC-MD5(NTOWFv2, server challenge + client blob)); the MIC
and session keys are not checked (no signing or sealing happens over HTTP).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import time

SIGNATURE = b"NTLMSSP\x00"
NEGOTIATE_UNICODE = 0x00000001
REQUEST_TARGET = 0x00000004
NEGOTIATE_NTLM = 0x00000200
NEGOTIATE_ALWAYS_SIGN = 0x00008000
TARGET_TYPE_DOMAIN = 0x00010000
NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000
NEGOTIATE_TARGET_INFO = 0x00800000
NEGOTIATE_VERSION = 0x02000000
# Flags the server agrees to when the client asks for them.
SUPPORTED_FLAGS = 0xE2888235
# Windows Server 2019 (10.0 build 17763), NTLM revision 15.
SERVER_VERSION = struct.pack("<BBHxxxB", 10, 0, 17763, 15)


class NtlmError(ValueError):
    """A malformed NTLM message."""


def parse_header(value: str | None) -> bytes | None:
    """The NTLM token of an ``Authorization: NTLM <base64>`` header (or Negotiate wrapping raw
    NTLM), else None."""
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() not in ("ntlm", "negotiate") or not token:
        return None
    try:
        raw = base64.b64decode(token.strip())
    except ValueError:
        return None
    return raw if raw.startswith(SIGNATURE) else None


def message_type(message: bytes) -> int:
    if len(message) < 12 or not message.startswith(SIGNATURE):
        raise NtlmError("not an NTLM message")
    return struct.unpack_from("<I", message, 8)[0]


def challenge(negotiate: bytes, domain: str, computer: str) -> tuple[bytes, bytes]:
    """(CHALLENGE message, server challenge) answering a NEGOTIATE message."""
    client_flags = struct.unpack_from("<I", negotiate, 12)[0] if len(negotiate) >= 16 else 0
    flags = (client_flags & SUPPORTED_FLAGS) | (
        NEGOTIATE_UNICODE
        | REQUEST_TARGET
        | NEGOTIATE_NTLM
        | NEGOTIATE_ALWAYS_SIGN
        | TARGET_TYPE_DOMAIN
        | NEGOTIATE_EXTENDED_SESSIONSECURITY
        | NEGOTIATE_TARGET_INFO
        | NEGOTIATE_VERSION
    )
    server_challenge = os.urandom(8)
    target_name = domain.upper().encode("utf-16-le")
    target_info = _target_info(domain, computer)
    header_size = 56
    info_offset = header_size + len(target_name)
    message = (
        SIGNATURE
        + struct.pack("<I", 2)
        + struct.pack("<HHI", len(target_name), len(target_name), header_size)
        + struct.pack("<I", flags)
        + server_challenge
        + b"\x00" * 8
        + struct.pack("<HHI", len(target_info), len(target_info), info_offset)
        + SERVER_VERSION
        + target_name
        + target_info
    )
    return message, server_challenge


def _target_info(domain: str, computer: str) -> bytes:
    def pair(av_id: int, value: bytes) -> bytes:
        return struct.pack("<HH", av_id, len(value)) + value

    filetime = int((time.time() + 11644473600) * 10_000_000)
    return b"".join(
        (
            pair(2, domain.upper().encode("utf-16-le")),
            pair(1, computer.upper().encode("utf-16-le")),
            pair(4, f"{domain.lower()}.local".encode("utf-16-le")),
            pair(3, f"{computer.lower()}.{domain.lower()}.local".encode("utf-16-le")),
            pair(7, struct.pack("<Q", filetime)),
            pair(0, b""),
        )
    )


def _field(message: bytes, offset: int) -> bytes:
    length, _max, start = struct.unpack_from("<HHI", message, offset)
    if start + length > len(message):
        raise NtlmError("field out of range")
    return message[start : start + length]


def authenticate_identity(message: bytes) -> tuple[str, str]:
    """(domain, user) an AUTHENTICATE message names."""
    if message_type(message) != 3 or len(message) < 64:
        raise NtlmError("not an AUTHENTICATE message")
    domain = _field(message, 28).decode("utf-16-le")
    user = _field(message, 36).decode("utf-16-le")
    return domain, user


def verify(message: bytes, server_challenge: bytes, password: str) -> bool:
    """Whether the AUTHENTICATE message's NTLMv2 response proves knowledge of ``password``."""
    domain, user = authenticate_identity(message)
    nt_response = _field(message, 20)
    if len(nt_response) <= 24:
        return False  # NTLMv1 is refused, as Exchange servers configured for NTLMv2 only do
    proof, blob = nt_response[:16], nt_response[16:]
    nt_hash = md4(password.encode("utf-16-le"))
    response_key = hmac.new(nt_hash, (user.upper() + domain).encode("utf-16-le"), "md5").digest()
    expected = hmac.new(response_key, server_challenge + blob, hashlib.md5).digest()
    return hmac.compare_digest(proof, expected)


def md4(data: bytes) -> bytes:
    """MD4 (RFC 1320): the NT hash; OpenSSL 3 no longer offers it to hashlib."""

    def rotl(value: int, bits: int) -> int:
        value &= 0xFFFFFFFF
        return ((value << bits) | (value >> (32 - bits))) & 0xFFFFFFFF

    length = (8 * len(data)) & 0xFFFFFFFFFFFFFFFF
    data += b"\x80" + b"\x00" * ((55 - len(data)) % 64) + struct.pack("<Q", length)
    state = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
    for chunk in range(0, len(data), 64):
        x = struct.unpack("<16I", data[chunk : chunk + 64])
        a, b, c, d = state
        for i in range(16):
            k, s = i, (3, 7, 11, 19)[i % 4]
            a, b, c, d = d, rotl(a + ((b & c) | (~b & d)) + x[k], s), b, c
        for i in range(16):
            k, s = (i % 4) * 4 + i // 4, (3, 5, 9, 13)[i % 4]
            a, b, c, d = d, rotl(a + ((b & c) | (b & d) | (c & d)) + x[k] + 0x5A827999, s), b, c
        for i in range(16):
            k = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)[i]
            s = (3, 9, 11, 15)[i % 4]
            a, b, c, d = d, rotl(a + (b ^ c ^ d) + x[k] + 0x6ED9EBA1, s), b, c
        state = [(v + n) & 0xFFFFFFFF for v, n in zip(state, (a, b, c, d), strict=True)]
    return struct.pack("<4I", *state)
