"""Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>" with the endpoint's secret.

Header: ``X-CRM-Signature: t=<unix seconds>,v1=<hex digest>``. Receivers recompute the digest over the
raw body and reject a timestamp older than REPLAY_WINDOW_SECONDS, which bounds replays; deliveries also
carry ``X-CRM-Event-Id`` so a receiver can drop a retried event it already processed (docs/webhooks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-CRM-Signature"
REPLAY_WINDOW_SECONDS = 300


def sign(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def verify(*, secret: str, body: bytes, header: str, now: int | None = None) -> bool:
    """What a receiver does (and our tests, as one): right digest and a fresh timestamp."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        stamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs((int(time.time()) if now is None else now) - stamp) > REPLAY_WINDOW_SECONDS:
        return False
    expected = sign(secret=secret, body=body, timestamp=stamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))
