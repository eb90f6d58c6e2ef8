"""Inbox fixtures: raw messages, a private media root, real SMTP and IMAP peers."""

from __future__ import annotations

import imaplib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crm.tenancy.context import tenant_context
from tests.peers import free_port

IMAP_USER = "sales@acme.example"
IMAP_PASSWORD = "imap-secret-2026"


def mail(
    *,
    sender: str = "Jane Buyer <jane@customer.example>",
    to: str = "sales@acme.example",
    subject: str = "Quote please",
    body: str = "Could you send a quote for 200 units?",
    message_id: str | None = "<m1@customer.example>",
    extra: str = "",
) -> bytes:
    headers = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", "Date: Tue, 24 Nov 2026 09:30:00 +0000"]
    if message_id:
        headers.append(f"Message-ID: {message_id}")
    if extra:
        headers.append(extra.strip())
    return ("\r\n".join(headers) + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n").encode()


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def build_mail() -> Callable[..., bytes]:
    return mail


@pytest.fixture
def imap_server() -> Iterator[dict[str, Any]]:
    """A real IMAP server (pymap, in-memory dict backend) with one user, in a subprocess."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "pymap"), "--host", "127.0.0.1", "--port", str(port), "--no-tls",
            "--no-service", "admin", "dict", "--demo-user", IMAP_USER, "--demo-password", IMAP_PASSWORD,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _attempt in range(200):
            try:
                imaplib.IMAP4("127.0.0.1", port).logout()
                break
            except OSError:
                time.sleep(0.05)

        def append(raw: bytes) -> None:
            client = imaplib.IMAP4("127.0.0.1", port)
            client.login(IMAP_USER, IMAP_PASSWORD)
            client.append("INBOX", None, None, raw)
            client.logout()

        yield {"host": "127.0.0.1", "port": port, "user": IMAP_USER, "password": IMAP_PASSWORD, "append": append}
    finally:
        process.terminate()
        process.wait()


def configure_imap(tenant: Any, server: dict[str, Any], *, password: str | None = None) -> Any:
    from inbox.services import inbox_imap_update

    with tenant_context(tenant.id):
        return inbox_imap_update(
            tenant=tenant,
            data={
                "imap_enabled": True,
                "imap_host": server["host"],
                "imap_port": server["port"],
                "imap_security": "none",
                "imap_username": server["user"],
                "imap_folder": "INBOX",
            },
            password=password or server["password"],
            by=None,  # type: ignore[arg-type]
        )


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run queued tasks in-process (the settings only do so without REDIS_URL)."""
    from crm.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
