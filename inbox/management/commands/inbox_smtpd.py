"""Run the dropbox's SMTP receiver: ``manage.py inbox_smtpd --host 0.0.0.0 --port 2525``."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from inbox.services import DROPBOX_LOCAL_PART, inbound_domain, max_bytes
from inbox.smtp import dropbox_controller, dropbox_controller_stop


class Command(BaseCommand):
    help = "Receive mail for the per-tenant dropbox addresses over SMTP and ingest it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=2525, help="port to listen on (default 2525)")

    def handle(self, *args: Any, host: str, port: int, **options: Any) -> None:
        controller = dropbox_controller(host=host, port=port)
        controller.start()
        self.stdout.write(
            f"Receiving mail for {DROPBOX_LOCAL_PART}+<token>@{inbound_domain()} on {host}:{port} "
            f"(messages up to {max_bytes()} bytes). Ctrl-C to stop."
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            dropbox_controller_stop(controller)
