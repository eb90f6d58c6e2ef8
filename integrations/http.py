"""The one outbound HTTP client of integrations (webhooks, pull connectors) and its one error type.

``IntegrationError.permanent`` decides what the caller does: retry later (network trouble, 5xx,
429) or stop and tell an admin (refused address, 4xx, bad configuration). Requests to private,
loopback, link-local and other non-public addresses are refused unless ``INTEGRATIONS_ALLOW_PRIVATE_HOSTS``
is on (tests and on-premises setups), so a webhook URL cannot be used to reach the server's own network.
The check resolves the host name first; a DNS answer that changes between the check and the
connection (rebinding) is the remaining gap, which is why redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

MAX_RESPONSE_CHARS = 500
TRANSIENT_STATUSES = {408, 425, 429}


@dataclass
class IntegrationError(Exception):
    reason: str
    permanent: bool
    status: int | None = None
    elapsed_ms: int | None = None

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class HttpResult:
    status: int
    elapsed_ms: int
    body: str


def _allow_private() -> bool:
    return bool(getattr(settings, "INTEGRATIONS_ALLOW_PRIVATE_HOSTS", False))


def check_url(url: str) -> None:
    """Refuse URLs this server must not call; raises a permanent IntegrationError saying why."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IntegrationError(f"“{url}” is not an http(s) URL.", permanent=True)
    if _allow_private():
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except socket.gaierror as error:
        raise IntegrationError(f"The host {parts.hostname} could not be resolved: {error}.", permanent=False) from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise IntegrationError(
                f"{parts.hostname} resolves to a private or local address ({address}); such addresses are not allowed.",
                permanent=True,
            )


def post_json(url: str, *, body: bytes, headers: dict[str, str], timeout: float = 10.0) -> HttpResult:
    """POST ``body``; 2xx returns, anything else raises IntegrationError with the verdict."""
    check_url(url)
    started = time.monotonic()
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.post(url, content=body, headers={"Content-Type": "application/json", **headers})
    except httpx.TimeoutException as error:
        raise IntegrationError(f"No answer within {timeout:g} s.", permanent=False) from error
    except httpx.HTTPError as error:
        raise IntegrationError(f"The connection failed: {error}.", permanent=False) from error
    elapsed_ms = int((time.monotonic() - started) * 1000)
    text = response.text[:MAX_RESPONSE_CHARS]
    status = response.status_code
    if 200 <= status < 300:
        return HttpResult(status=status, elapsed_ms=elapsed_ms, body=text)
    if 300 <= status < 400:
        raise IntegrationError(
            f"The receiver redirected (HTTP {status}); enter its final URL.", True, status, elapsed_ms
        )
    permanent = 400 <= status < 500 and status not in TRANSIENT_STATUSES
    raise IntegrationError(f"The receiver answered HTTP {status}: {text[:200]}".strip(), permanent, status, elapsed_ms)
