"""Files attached to interactions: checked for size and type, kept in Django's default storage,
and only ever handed out by the tenant-checked download view (never by a public media URL)."""

from __future__ import annotations

import logging
import os
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from crm.models import Tenant
from interactions.models import Interaction, InteractionAttachment

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# Extension -> the content types a browser or mail client may label it with. Anything else (HTML,
# SVG, scripts, executables, archives) is refused: a download is an attachment, never a page.
DEFAULT_ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf",),
    "png": ("image/png",),
    "jpg": ("image/jpeg", "image/pjpeg"),
    "jpeg": ("image/jpeg", "image/pjpeg"),
    "gif": ("image/gif",),
    "webp": ("image/webp",),
    "heic": ("image/heic",),
    "txt": ("text/plain",),
    "csv": ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"),
    "ics": ("text/calendar",),
    "eml": ("message/rfc822",),
    "doc": ("application/msword",),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
    "xls": ("application/vnd.ms-excel",),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
    "ppt": ("application/vnd.ms-powerpoint",),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",),
    "odt": ("application/vnd.oasis.opendocument.text",),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet",),
    "mp3": ("audio/mpeg",),
    "m4a": ("audio/mp4", "audio/x-m4a"),
    "wav": ("audio/wav", "audio/x-wav"),
}
# Clients that do not know a type send these; the extension then decides.
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


class AttachmentRejected(ValueError):
    """The file was not stored; the message says why (too large, or a type that is not allowed)."""


def max_bytes() -> int:
    return int(getattr(settings, "INTERACTION_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def allowed_types() -> dict[str, tuple[str, ...]]:
    return dict(getattr(settings, "INTERACTION_ATTACHMENT_TYPES", DEFAULT_ALLOWED_TYPES))


def accept_attribute() -> str:
    """For <input type=file accept=...>: the browser's picker offers only what the server takes."""
    return ",".join(f".{extension}" for extension in sorted(allowed_types()))


def safe_filename(filename: str) -> str:
    """The base name without path parts or control characters, at most 150 characters, never empty."""
    name = os.path.basename(filename.replace("\\", "/")).strip()
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.replace('"', "'").lstrip(".") or "attachment"
    stem, extension = os.path.splitext(name)
    return stem[: 150 - len(extension)] + extension


def checked_content_type(*, filename: str, content_type: str, size: int) -> str:
    """The content type to store, or AttachmentRejected saying what is wrong."""
    limit = max_bytes()
    if size > limit:
        raise AttachmentRejected(
            _("“%(name)s” is %(size)s; attachments can be at most %(limit)s.")
            % {"name": filename, "size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    if size == 0:
        raise AttachmentRejected(_("“%(name)s” is empty.") % {"name": filename})
    extension = os.path.splitext(filename)[1].lower().lstrip(".")
    types = allowed_types()
    if extension not in types:
        raise AttachmentRejected(
            _("“%(name)s”: files of type .%(extension)s cannot be attached. Allowed: %(allowed)s.")
            % {"name": filename, "extension": extension or "?", "allowed": ", ".join(sorted(types))}
        )
    declared = content_type.split(";")[0].strip().lower()
    if declared in GENERIC_TYPES:
        return types[extension][0]
    if declared not in types[extension]:
        raise AttachmentRejected(
            _("“%(name)s” says it is %(type)s, which does not match a .%(extension)s file.")
            % {"name": filename, "type": declared, "extension": extension}
        )
    return declared


@transaction.atomic
def attachment_add(
    *, tenant: Tenant, interaction: Interaction, filename: str, content_type: str, content: bytes
) -> InteractionAttachment:
    """Store one file on an interaction; AttachmentRejected (nothing stored) when too large or of a refused type."""
    if interaction.tenant_id != tenant.id:
        raise AttachmentRejected(_("The interaction is not in this workspace."))
    name = safe_filename(filename)
    stored_type = checked_content_type(filename=name, content_type=content_type, size=len(content))
    attachment = InteractionAttachment(
        tenant=tenant, interaction=interaction, filename=name, content_type=stored_type, size=len(content)
    )
    # The file is written first so the row never points at nothing. If the row cannot be saved the
    # file goes too; a rollback of a caller's outer transaction can still leave an unreferenced file
    # behind, which costs disk space but exposes nothing (only rows are ever served).
    attachment.file.save(name, ContentFile(content), save=False)
    try:
        attachment.save()
    except Exception:
        default_storage.delete(attachment.file.name or "")
        raise
    return attachment


def delete_stored_files(names: Iterable[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("attachment file %s could not be deleted", name)


@transaction.atomic
def attachment_delete(*, tenant: Tenant, attachment: InteractionAttachment) -> None:
    """Remove one attachment; its file is deleted once the removal commits."""
    name = attachment.file.name or ""
    attachment.delete()
    transaction.on_commit(lambda: delete_stored_files([name]))
