"""The backend a workspace's SMS settings choose."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from crm.secrets import SecretUnreadable, decrypt_secret
from sms.backends.base import OutgoingSms, SendResult, SmsBackend, SmsError, SmsRetryLater
from sms.backends.console import ConsoleBackend
from sms.backends.file import FileBackend
from sms.backends.http_gateway import HttpGatewayBackend

if TYPE_CHECKING:
    from sms.models import SmsSettings

__all__ = [
    "OutgoingSms",
    "SendResult",
    "SmsBackend",
    "SmsError",
    "SmsRetryLater",
    "backend_for",
    "file_outbox_folder",
]


def file_outbox_folder(tenant_slug: str) -> Path:
    """Where the file backend writes for a workspace: ``SMS_FILE_DIR`` (default media/sms-outbox)."""
    root = Path(getattr(settings, "SMS_FILE_DIR", None) or Path(settings.MEDIA_ROOT) / "sms-outbox")
    return root / tenant_slug


def backend_for(config: SmsSettings) -> SmsBackend:
    """The configured backend; SmsError (permanent) when the configuration cannot work."""
    if config.backend == "file":
        return FileBackend(file_outbox_folder(config.tenant.slug))
    if config.backend == "http":
        if not config.gateway_url:
            raise SmsError("No gateway URL is set in the SMS settings.", permanent=True)
        try:
            token = decrypt_secret(config.gateway_token_encrypted)
        except SecretUnreadable as error:
            raise SmsError(f"The gateway token could not be read: {error}", permanent=True) from error
        timeout = float(getattr(settings, "SMS_HTTP_TIMEOUT", 10.0))
        return HttpGatewayBackend(url=config.gateway_url, token=token, timeout=timeout)
    return ConsoleBackend()
