"""How one user's mailbox is reached through EWS: exchangelib's ``Configuration`` and
``Account`` built from the connection settings, the server's version, and the checks an
administrator needs to read in plain words.

- Endpoint: the EWS URL (``https://mail.example.com/EWS/Exchange.asmx``). Autodiscover from
  the mailbox's address is only a way of finding it (:func:`discover_endpoint`), when the
  administrator asked for it: it is fragile, and a wrong answer sends credentials elsewhere.
- Authentication: NTLM; Basic, only over https (it sends the password as is; a loopback http
  endpoint is accepted, the password never leaves the machine); OAuth client credentials
  (Exchange SE with modern auth through Entra ID hybrid).
- Access: a service account IMPERSONATING each user's mailbox (the ApplicationImpersonation
  role: the administrator connects users by their e-mail address), or each user's own
  credentials (DELEGATE on their own mailbox).
- Certificates: a CA bundle path for servers with a private CA. Verification is never turned
  off: exchangelib's HTTP adapter class is replaced by one that verifies against the bundle
  configured for that host and behaves as the default adapter for every other host.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from exchangelib import (
    BASIC,
    DELEGATE,
    IMPERSONATION,
    NTLM,
    OAUTH2,
    Account,
    Configuration,
    Credentials,
    FailFast,
    Identity,
    OAuth2Credentials,
)
from exchangelib.autodiscover.discovery import Autodiscovery
from exchangelib.errors import EWSError, TransportError
from exchangelib.protocol import BaseProtocol

from calendar_sync_base.services.errors import ConfigurationError, SyncError

AUTH_TYPES = {"ntlm": NTLM, "basic": BASIC, "oauth": OAUTH2}
# Where Entra ID issues tokens (another authority: a national cloud, e.g. login.microsoftonline.us).
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
# The WWW-Authenticate scheme of each authentication.
AUTH_SCHEMES = {"ntlm": "NTLM", "basic": "Basic", "oauth": "Bearer"}
ACCESS_TYPES = {"impersonation": IMPERSONATION, "delegate": DELEGATE}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Microsoft turns EWS off in Exchange Online tenant by tenant from October 2026, for good on
# 1 April 2027 (Exchange Team blog, "Retirement of Exchange Web Services in Exchange Online").
EXCHANGE_ONLINE_HOSTS = ("outlook.office365.com", "outlook.office.com")
# OpenSSL's reason in requests' (and exchangelib's) message of a refused server certificate.
CERTIFICATE_REFUSED = re.compile(r"certificate verify failed: ([^(]*?)\s*\(_ssl")


@dataclass(frozen=True)
class ExchangeSettings:
    """The connection settings of one mailbox (secrets included: never logged, never shown)."""

    endpoint: str
    mailbox: str  # the primary SMTP address of the mailbox synced
    auth: str = "ntlm"  # key of AUTH_TYPES
    access: str = "impersonation"  # key of ACCESS_TYPES
    username: str = ""  # NTLM / Basic login: user@domain, DOMAIN\\user or the UPN
    password: str = ""
    client_id: str = ""  # OAuth client credentials
    client_secret: str = ""
    tenant_id: str = ""
    authority: str = ""  # the token service, when not Entra ID's global one (sovereign clouds)
    ca_bundle: str = ""  # PEM file of the CA that signed the server's certificate

    def __repr__(self) -> str:  # the secrets stay out of logs and tracebacks
        return f"ExchangeSettings(endpoint={self.endpoint!r}, mailbox={self.mailbox!r})"


def exchange_online_warning(endpoint: str) -> bool:
    """True for an EWS URL of Exchange Online, where Microsoft switches EWS off (2026-27):
    Microsoft 365 mailboxes are synced through Graph."""
    host = (urlsplit(endpoint or "").hostname or "").lower()
    return any(host == online or host.endswith("." + online) for online in EXCHANGE_ONLINE_HOSTS)


def _check_endpoint(settings: ExchangeSettings) -> None:
    parts = urlsplit(settings.endpoint or "")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(f"The EWS URL {settings.endpoint!r} is not an http(s) address")
    if settings.auth not in AUTH_TYPES:
        raise ConfigurationError(f"Unknown EWS authentication {settings.auth!r}")
    if settings.access not in ACCESS_TYPES:
        raise ConfigurationError(f"Unknown EWS access type {settings.access!r}")
    if (
        settings.auth == "basic"
        and parts.scheme != "https"
        and parts.hostname not in LOOPBACK_HOSTS
    ):
        raise ConfigurationError(
            "Basic authentication sends the password as it is: it needs an https EWS URL"
        )


def _credentials(settings: ExchangeSettings):
    if settings.auth == "oauth":
        if not (settings.client_id and settings.client_secret and settings.tenant_id):
            raise ConfigurationError("OAuth needs the client id, client secret and tenant id")
        return AuthorityOAuth2Credentials(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            tenant_id=settings.tenant_id,
            identity=Identity(primary_smtp_address=settings.mailbox),
            authority=settings.authority or DEFAULT_AUTHORITY,
        )
    if not (settings.username and settings.password):
        raise ConfigurationError("The Exchange login and password are missing")
    return Credentials(settings.username, settings.password)


class AuthorityOAuth2Credentials(OAuth2Credentials):
    """exchangelib's client credentials (scope ``https://outlook.office365.com/.default``,
    the token sent with ``X-AnchorMailbox`` and impersonation), from a chosen authority:
    exchangelib itself always asks Entra ID's global one."""

    def __init__(self, *args, authority: str = DEFAULT_AUTHORITY, **kwargs):
        super().__init__(*args, **kwargs)
        self.authority = authority.rstrip("/")

    @property
    def token_url(self) -> str:
        return f"{self.authority}/{self.tenant_id}/oauth2/v2.0/token"


class CaBundleAdapter(requests.adapters.HTTPAdapter):
    """Verifies the hosts of ``bundles`` against their own CA bundle; others as usual."""

    bundles: dict[str, str] = {}

    def _verify(self, url: str, verify):
        return self.bundles.get((urlsplit(url).netloc or "").lower(), verify)

    def cert_verify(self, conn, url, verify, cert):
        return super().cert_verify(conn, url, self._verify(url, verify), cert)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        verify = self._verify(request.url, verify)
        return super().get_connection_with_tls_context(request, verify, proxies, cert)


def trust_ca_bundle(endpoint: str, ca_bundle: str) -> None:
    """Verify ``endpoint``'s certificate against ``ca_bundle`` (a readable PEM file), or
    against the usual authorities when it is empty. The adapter is installed in any case:
    exchangelib keeps its sessions per server for the whole process, so a bundle set (or
    removed) after a first connection must still apply to them."""
    if ca_bundle and not (os.path.isfile(ca_bundle) and os.access(ca_bundle, os.R_OK)):
        raise ConfigurationError(f"The CA bundle {ca_bundle!r} is not a readable file")
    if not issubclass(BaseProtocol.HTTP_ADAPTER_CLS, CaBundleAdapter):
        if BaseProtocol.HTTP_ADAPTER_CLS is not requests.adapters.HTTPAdapter:
            raise ConfigurationError(
                "exchangelib's HTTP adapter was replaced by another module: "
                "the CA bundle cannot be applied"
            )
        BaseProtocol.HTTP_ADAPTER_CLS = CaBundleAdapter
    host = urlsplit(endpoint).netloc.lower()
    if ca_bundle:
        CaBundleAdapter.bundles[host] = ca_bundle
    else:
        CaBundleAdapter.bundles.pop(host, None)


def untrusted_certificate(exc: Exception) -> ConfigurationError | None:
    """The plain-words error of a server certificate refused by verification (None for
    other failures): the administrator is told what to configure, never to turn it off."""
    refused = CERTIFICATE_REFUSED.search(str(exc))
    if refused is None:
        return None
    return ConfigurationError(
        f"The Exchange server's certificate is not trusted ({refused.group(1)}): "
        "set the CA bundle of the authority that signed it in the Exchange settings"
    )


class SystemResolverAutodiscovery(Autodiscovery):
    """exchangelib's autodiscover (SOAP ``GetUserSettings`` on
    ``https://{domain}/autodiscover/autodiscover.svc``, then on ``autodiscover.{domain}``, an
    http redirect, a DNS SRV record), whose check that a candidate host exists asks the
    system's resolver: exchangelib asks DNS servers directly (dnspython), which ignores the
    hosts file many on-premises sites name their Exchange server in."""

    def _ensure_valid_hostname(self, url):
        host = urlsplit(url).hostname or ""
        try:
            socket.getaddrinfo(host, None)
        except OSError as exc:
            raise TransportError(f"{host!r} has no address") from exc


def discover_endpoint(settings: ExchangeSettings) -> str:
    """The EWS URL autodiscover finds for ``settings.mailbox``, with its credentials (the
    server's certificate checked against the CA bundle, as for EWS itself)."""
    domain = settings.mailbox.rpartition("@")[2].lower()
    if not domain:
        raise ConfigurationError("Autodiscover needs the e-mail address of a mailbox")
    for host in (domain, f"autodiscover.{domain}"):
        trust_ca_bundle(f"https://{host}", settings.ca_bundle)
    discovery = SystemResolverAutodiscovery(settings.mailbox, _credentials(settings))
    try:
        answer, _protocol = discovery.discover()
    except EWSError as exc:
        raise ConfigurationError(
            f"Autodiscover did not find the Exchange server of {settings.mailbox} ({exc}). "
            "Enter the EWS URL in the Exchange settings."
        ) from exc
    endpoint = answer.ews_url or answer.user_settings.get("internal_ews_url")
    if not endpoint:
        raise ConfigurationError(
            f"Autodiscover answered for {settings.mailbox} without an EWS URL. "
            "Enter the EWS URL in the Exchange settings."
        )
    return endpoint


def build_account(settings: ExchangeSettings, *, timezone=None) -> Account:
    """The exchangelib ``Account`` of the mailbox (no request is sent yet).

    exchangelib's own retries stay off (``FailFast``): the connector retries what is worth it
    (``ErrorServerBusy``) within the sync's deadline. ``timezone``: an ``EWSTimeZone`` for
    exchangelib's default (the user's), used where an item names none.
    """
    _check_endpoint(settings)
    if not settings.mailbox:
        raise ConfigurationError("No mailbox address to synchronize")
    trust_ca_bundle(settings.endpoint, settings.ca_bundle)
    config = Configuration(
        service_endpoint=settings.endpoint,
        credentials=_credentials(settings),
        auth_type=AUTH_TYPES[settings.auth],
        retry_policy=FailFast(),
        max_connections=2,
    )
    return Account(
        settings.mailbox,
        config=config,
        autodiscover=False,
        access_type=ACCESS_TYPES[settings.access],
        default_timezone=timezone,
    )


def offered_auth_schemes(settings: ExchangeSettings, timeout: float = 30) -> list[str]:
    """The authentication schemes the EWS URL offers an anonymous request (its 401
    challenge), checked to include the configured one: a test of the URL, the certificate
    and the authentication that needs no user's credentials."""
    _check_endpoint(settings)
    verify = settings.ca_bundle or True
    try:
        answer = requests.post(settings.endpoint, data=b"", verify=verify, timeout=timeout)
    except (requests.RequestException, OSError) as exc:  # OSError: an unreadable CA bundle
        raise untrusted_certificate(exc) or SyncError(
            f"The EWS URL {settings.endpoint} could not be reached: {exc}"
        ) from exc
    challenges = answer.headers.get("WWW-Authenticate", "")  # several are joined by ", "
    words = [part.strip().split(" ")[0] for part in challenges.split(",") if part.strip()]
    offered = [word for word in words if "=" not in word]  # not a challenge's parameter
    if answer.status_code != 401 or AUTH_SCHEMES[settings.auth] not in offered:
        raise ConfigurationError(
            f"The EWS URL {settings.endpoint} does not offer {AUTH_SCHEMES[settings.auth]} "
            f"authentication (HTTP {answer.status_code}, offered: {', '.join(offered) or 'none'})"
        )
    return offered


def server_version(account: Account) -> str:
    """The server's release and build, e.g. ``Exchange2019 (15.2.1118.7)``, for Settings and
    the Sync Console (exchangelib learns it from the first answer's ``ServerVersionInfo``)."""
    version = account.version
    return f"{version.api_version} ({version.build})"
