"""Files on ticket messages: the same size and type caps as interaction attachments, kept in Django's
default storage and only ever handed out by the tenant-checked download view."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile

from crm.models import Tenant
from interactions.attachments import (
    AttachmentRejected,
    accept_attribute,
    checked_content_type,
    max_bytes,
    safe_filename,
)
from service_desk.models import TicketAttachment, TicketMessage

__all__ = ["AttachmentRejected", "IncomingFile", "accept_attribute", "attachment_store", "incoming", "max_bytes"]


@dataclass(frozen=True)
class IncomingFile:
    """A file to attach: from an upload, an inbound email part or the API."""

    filename: str
    content_type: str
    content: bytes


def incoming(item: IncomingFile | UploadedFile | tuple[str, str, bytes]) -> IncomingFile:
    """Accept an IncomingFile, a Django upload or a (filename, content_type, content) tuple."""
    if isinstance(item, IncomingFile):
        return item
    if isinstance(item, UploadedFile):
        return IncomingFile(item.name or "attachment", item.content_type or "", item.read())
    filename, content_type, content = item
    return IncomingFile(filename, content_type, content)


def check(item: IncomingFile) -> tuple[str, str]:
    """The safe name and content type to store, or AttachmentRejected saying what is wrong."""
    name = safe_filename(item.filename)
    return name, checked_content_type(filename=name, content_type=item.content_type, size=len(item.content))


def attachment_store(*, tenant: Tenant, message: TicketMessage, item: IncomingFile) -> TicketAttachment:
    """Write one checked file and its row (the caller holds the transaction)."""
    name, content_type = check(item)
    attachment = TicketAttachment(
        tenant=tenant, message=message, filename=name, content_type=content_type, size=len(item.content)
    )
    attachment.file.save(name, ContentFile(item.content), save=False)
    try:
        attachment.save()
    except Exception:
        default_storage.delete(attachment.file.name or "")
        raise
    return attachment
