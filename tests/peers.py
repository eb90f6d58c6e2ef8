"""Real network peers for the tests: free local ports, and an SMTP server (aiosmtpd) that keeps what it
receives. Mail, reminders and the rep journey all deliver to this one kind of server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Collector:
    """An aiosmtpd handler keeping every message; ``refuse`` makes it answer RCPT with those replies first."""

    envelopes: list[Envelope] = field(default_factory=list)
    refuse: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Envelope, address: str, options: list) -> str:
        if self.refuse:
            return self.refuse.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(envelope.content, policy=policy.default) for envelope in self.envelopes]  # type: ignore[misc]

    @property
    def recipients(self) -> list[list[str]]:
        """The envelope recipients of each message, in the order received."""
        return [list(envelope.rcpt_tos) for envelope in self.envelopes]


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: Collector


@contextmanager
def smtp_peer(**options: Any) -> Iterator[SmtpServer]:
    """A running SMTP server on a free local port; ``options`` go to aiosmtpd's Controller (auth, TLS)."""
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()
