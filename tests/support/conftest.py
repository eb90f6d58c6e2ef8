"""Support fixtures: a private media root, a clean rate-limit cache, a real SMTP peer for outgoing mail,
a support queue, and raw customer emails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from crm.tenancy.context import tenant_context
from inbox.models import Source
from inbox.services import IngestResult, inbound_message_ingest
from service_desk.models import Queue
from tests.mail.conftest import configure_mail, eager_tasks, smtp_server  # noqa: F401  (fixtures)
from tests.peers import SmtpServer

SUPPORT_ADDRESS = "help@acme.example"


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://crm.example.com"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def clean_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def queue(tenant_a: Any) -> Queue:
    with tenant_context(tenant_a.id):
        return Queue.objects.create(tenant=tenant_a, name="Support", email_address=SUPPORT_ADDRESS, is_default=True)


@pytest.fixture
def outbox(tenant_a: Any, smtp_server: SmtpServer, eager_tasks: None) -> SmtpServer:  # noqa: F811
    """Tenant A's outgoing mail goes to a real local SMTP server, sent in-process."""
    configure_mail(tenant_a, smtp_server)
    return smtp_server


def customer_mail(
    *,
    sender: str = "Jane Buyer <jane@customer.example>",
    to: str = SUPPORT_ADDRESS,
    subject: str = "Printer is broken",
    body: str = "It prints only blank pages.",
    message_id: str = "<c1@customer.example>",
    extra: str = "",
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    headers = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", "Date: Tue, 24 Nov 2026 09:30:00 +0000"]
    headers.append(f"Message-ID: {message_id}")
    if extra:
        headers.extend(line.strip() for line in extra.strip().splitlines())
    if attachment is None:
        return ("\r\n".join(headers) + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n").encode()
    import base64

    name, content = attachment
    encoded = base64.b64encode(content).decode()
    lines = [
        *headers,
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="BOUND"',
        "",
        "--BOUND",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
        "--BOUND",
        f'Content-Type: application/octet-stream; name="{name}"',
        f'Content-Disposition: attachment; filename="{name}"',
        "Content-Transfer-Encoding: base64",
        "",
        *[encoded[i : i + 76] for i in range(0, len(encoded), 76)],
        "--BOUND--",
        "",
    ]
    return "\r\n".join(lines).encode()


def ingest(tenant: Any, raw: bytes, capture: Any = None) -> IngestResult:
    """Receive ``raw`` as the inbox does (HTTP endpoint path); with ``capture``, run on-commit work (sending)."""
    with tenant_context(tenant.id):
        if capture is None:
            return inbound_message_ingest(tenant=tenant, raw=raw, source=Source.HTTP)
        with capture(execute=True):
            return inbound_message_ingest(tenant=tenant, raw=raw, source=Source.HTTP)
