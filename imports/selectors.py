"""Reads for the import pages: the history list, one import, its rejected rows."""

from __future__ import annotations

from django.db.models import QuerySet

from imports.models import ContactImport, ImportRejection


def imports_for_list() -> QuerySet[ContactImport]:
    """The tenant's imports, newest first (import_tenant_created_idx), with who started them."""
    return ContactImport.objects.select_related("created_by").order_by("-created_at", "-id")


def import_rejections(contact_import: ContactImport) -> QuerySet[ImportRejection]:
    """Every rejected row in file order (importreject_import_fk_idx)."""
    return ImportRejection.objects.filter(contact_import=contact_import).order_by("row_number", "id")
