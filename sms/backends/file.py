"""Appends each message as one JSON line to ``<folder>/<workspace>/outbox.jsonl`` (development)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sms.backends.base import OutgoingSms, SendResult, SmsBackend, SmsError


class FileBackend(SmsBackend):
    name = "file"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def path(self) -> Path:
        return self.folder / "outbox.jsonl"

    def send(self, message: OutgoingSms) -> SendResult:
        provider_id = f"file-{uuid.uuid4().hex[:12]}"
        line = {
            "id": provider_id,
            "to": message.to,
            "from": message.sender,
            "body": message.body,
            "client_reference": message.client_reference,
            "at": datetime.now(UTC).isoformat(),
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # One write of one line in append mode: concurrent workers never interleave lines.
            with self.path.open("a", encoding="utf-8") as outbox:
                outbox.write(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as error:
            raise SmsError(f"Could not write to {self.path}: {error.strerror or error}", permanent=False) from error
        return SendResult(provider_id=provider_id, status="sent")
