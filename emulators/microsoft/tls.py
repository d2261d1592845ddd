"""TLS for the Microsoft emulator: a throwaway CA, a server certificate and trust helpers.

msal refuses an authority that is not https, so the emulator serves TLS with a certificate for
127.0.0.1 / localhost signed by a CA generated here. Clients trust that CA through
``REQUESTS_CA_BUNDLE`` (set machine-wide on our machines, where it overrides requests'
``verify=`` argument): :func:`trusting` points it at a bundle of the usual CAs plus ours.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import ipaddress
import os
import shutil
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..base import _RequestHandler, _Server

CA_FILE = "emulator-ca.pem"
CERT_FILE = "server-cert.pem"
KEY_FILE = "server-key.pem"
TRUST_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")
HANDSHAKE_TIMEOUT = 10  # seconds: a client that connects and never speaks must not pin a thread


@dataclass(frozen=True)
class Certificates:
    """Files of one CA + server certificate (PEM) in ``directory``."""

    directory: Path

    @property
    def ca_path(self) -> str:
        return str(self.directory / CA_FILE)

    @property
    def cert_path(self) -> str:
        return str(self.directory / CERT_FILE)

    @property
    def key_path(self) -> str:
        return str(self.directory / KEY_FILE)

    def complete(self) -> bool:
        return all(Path(p).is_file() for p in (self.ca_path, self.cert_path, self.key_path))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def create_certificates(directory: str | os.PathLike) -> Certificates:
    """Write a new CA and a server certificate for 127.0.0.1, ::1 and localhost."""
    certs = Certificates(Path(directory))
    certs.directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _ca_certificate(ca_key)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _server_certificate(server_key, ca_key, ca_cert)
    pem = serialization.Encoding.PEM
    Path(certs.ca_path).write_bytes(ca_cert.public_bytes(pem))
    # The chain (server + CA) lets clients that only know the CA by subject still verify.
    Path(certs.cert_path).write_bytes(server_cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    key_bytes = server_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file = Path(certs.key_path)
    key_file.write_bytes(key_bytes)
    key_file.chmod(0o600)
    return certs


def load_or_create(directory: str | os.PathLike) -> Certificates:
    """The certificates in ``directory`` (created when missing or expiring within a day)."""
    certs = Certificates(Path(directory))
    if certs.complete() and _still_valid(certs.cert_path):
        return certs
    return create_certificates(directory)


_default: Certificates | None = None
_default_lock = threading.Lock()


def default_certificates() -> Certificates:
    """One CA per process, in a temporary directory removed at exit (key generation is cheap
    but every test creating its own CA would make trusting them a chore)."""
    global _default  # noqa: PLW0603 - process-wide cache
    with _default_lock:
        if _default is None:
            directory = tempfile.mkdtemp(prefix="ms-emulator-tls-")
            atexit.register(shutil.rmtree, directory, ignore_errors=True)
            _default = create_certificates(directory)
        return _default


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Calendar Sync emulators"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _validity(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return builder.not_valid_before(now - dt.timedelta(days=1)).not_valid_after(
        now + dt.timedelta(days=825)
    )


def _ca_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = _name("Calendar Sync emulator CA (throwaway)")
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    return _validity(builder).sign(key, hashes.SHA256())


def _server_certificate(key, ca_key, ca_cert: x509.Certificate) -> x509.Certificate:
    names = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    )
    return _validity(builder).sign(ca_key, hashes.SHA256())


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=not cert_sign,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _still_valid(cert_path: str) -> bool:
    try:
        pem = Path(cert_path).read_bytes()
        cert = x509.load_pem_x509_certificate(pem)
    except (OSError, ValueError):
        return False
    limit = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(days=1)
    return cert.not_valid_after > limit


# -- trusting the CA -------------------------------------------------------------------------


def base_bundle() -> str | None:
    """The CA bundle clients use now: REQUESTS_CA_BUNDLE, else certifi's, else the system's."""
    for variable in TRUST_VARIABLES:
        value = os.environ.get(variable)
        if value and Path(value).is_file():
            return value
    with contextlib.suppress(ImportError):
        import certifi

        return certifi.where()
    return ssl.get_default_verify_paths().cafile


def write_bundle(ca_paths: str | list[str], target: str | os.PathLike) -> str:
    """Write ``target`` = the current bundle (see :func:`base_bundle`) + the given CA files."""
    paths = [ca_paths] if isinstance(ca_paths, str) else list(ca_paths)
    parts = []
    base = base_bundle()
    if base:
        parts.append(Path(base).read_text(encoding="utf-8", errors="replace"))
    parts.extend(Path(path).read_text(encoding="ascii") for path in paths)
    Path(target).write_text("\n".join(part.strip() + "\n" for part in parts), encoding="utf-8")
    return str(target)


@contextlib.contextmanager
def trusting(ca_path: str | list[str]) -> Iterator[str]:
    """While active, ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE`` and ``SSL_CERT_FILE`` name a
    bundle of the usual CAs plus ``ca_path`` (one path or a list). Yields the bundle path."""
    handle, bundle = tempfile.mkstemp(prefix="ms-emulator-bundle-", suffix=".pem")
    os.close(handle)
    saved = {name: os.environ.get(name) for name in TRUST_VARIABLES}
    try:
        write_bundle(ca_path, bundle)
        for name in TRUST_VARIABLES:
            os.environ[name] = bundle
        yield bundle
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        with contextlib.suppress(OSError):
            os.unlink(bundle)


# -- serving ---------------------------------------------------------------------------------


class TLSRequestHandler(_RequestHandler):
    """The framework's handler, after a TLS handshake made in the connection's own thread."""

    def setup(self) -> None:
        self.request.settimeout(HANDSHAKE_TIMEOUT)
        self.request.do_handshake()
        self.request.settimeout(None)
        super().setup()


class TLSServer(_Server):
    """Accepts TCP connections and wraps them in TLS without handshaking in the accept loop
    (one silent client would otherwise block every other connection)."""

    def __init__(self, address, handler_class, emulator, context: ssl.SSLContext):
        self.ssl_context = context
        super().__init__(address, handler_class, emulator)

    def get_request(self) -> tuple[socket.socket, tuple]:
        sock, address = super().get_request()
        wrapped = self.ssl_context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        )
        return wrapped, address

    def handle_error(self, request, client_address) -> None:
        # Clients that do not trust the CA abort the handshake: that is their business, not a
        # server error worth a traceback.
        error = _current_exception()
        if isinstance(error, (ssl.SSLError, ConnectionError, socket.timeout, OSError)):
            if self.emulator.verbose:
                print(f"TLS connection from {client_address} failed: {error!r}")
            return
        super().handle_error(request, client_address)


class TlsServing:
    """Mixin of an ``EmulatorServer`` serving https with a CA of :func:`certificates_in`
    when ``tls`` is on (call :meth:`use_tls` in ``__init__``)."""

    tls: bool = False
    certificates: Certificates | None = None

    def use_tls(self, tls: bool, cert_dir: str | None = None) -> None:
        self.tls = tls
        self.certificates = certificates_in(cert_dir) if tls else None

    def _new_server(self):
        if not self.tls:
            return super()._new_server()
        context = self.certificates.server_context()
        return TLSServer((self.host, self.port), TLSRequestHandler, self, context)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def ca_path(self) -> str | None:
        """The CA certificate (PEM) to trust; None with ``tls=False``."""
        return self.certificates.ca_path if self.certificates else None

    @contextlib.contextmanager
    def trusting(self) -> Iterator[str]:
        """``trusting(self.ca_path)``: requests (and msal) trust this emulator meanwhile."""
        with trusting(self.ca_path) as bundle:
            yield bundle


def certificates_in(cert_dir: str | None) -> Certificates:
    """The certificates kept in ``cert_dir``, else the process's throwaway ones."""
    if cert_dir:
        return load_or_create(cert_dir)
    return default_certificates()


def _current_exception() -> BaseException | None:
    import sys

    return sys.exc_info()[1]
