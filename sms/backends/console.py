"""Prints each message to standard output: the default, so a new workspace can try SMS safely."""

from __future__ import annotations

import json
import sys
import uuid

from sms.backends.base import OutgoingSms, SendResult, SmsBackend


class ConsoleBackend(SmsBackend):
    name = "console"

    def send(self, message: OutgoingSms) -> SendResult:
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        line = {"id": provider_id, "to": message.to, "from": message.sender, "body": message.body,
                "client_reference": message.client_reference}  # fmt: skip
        sys.stdout.write(f"SMS {json.dumps(line, ensure_ascii=False)}\n")
        sys.stdout.flush()
        return SendResult(provider_id=provider_id, status="sent")
