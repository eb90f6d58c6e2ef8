"""The interface every SMS backend implements, and the one error type they raise.

A backend gets a finished, validated message and either hands it on (``SendResult``) or raises
``SmsError``. ``permanent`` decides what happens next: a permanent error (the number or the token
was refused) fails the message with the reason; a transient one (gateway down, timeout, 5xx) is
retried with backoff by the task.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class OutgoingSms:
    to: str  # E.164
    sender: str  # E.164 number or alphanumeric sender id; may be empty (the gateway's default)
    body: str
    client_reference: str  # our id of the message; gateways may use it to drop duplicate sends


@dataclass(frozen=True)
class SendResult:
    provider_id: str  # the gateway's id of the message ("" if it gave none)
    status: str  # "sent" or "delivered" (sms.models.SmsStatus)


class SmsError(Exception):
    """Sending failed. ``permanent``: retrying cannot help (bad number, bad token, refused)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.message = message


class SmsBackend(ABC):
    name: str

    @abstractmethod
    def send(self, message: OutgoingSms) -> SendResult:
        """Hand ``message`` on; raise SmsError when it could not be."""


class SmsRetryLater(SmsError):
    """A transient failure, recorded; try again after ``delay`` seconds."""

    def __init__(self, message: str, *, delay: int) -> None:
        super().__init__(message, permanent=False)
        self.delay = delay
