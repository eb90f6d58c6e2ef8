"""The system mail server for reminder tests: the shared SMTP peer (tests/peers.py), and Django's mail
settings pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.peers import Collector, free_port, smtp_peer

Inbox = Collector  # what the reminder tests call the server's mailbox
__all__ = ["Inbox", "free_port", "smtp_server", "smtp_settings"]


@contextmanager
def smtp_server() -> Iterator[tuple[Collector, int]]:
    with smtp_peer() as server:
        yield server.handler, server.port


def smtp_settings(settings: Any, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
