"""Factories for contact imports (also used by tests/crm/test_cross_tenant_urls.py through IMPORT_FACTORIES)."""

from __future__ import annotations

import factory
from django.core.files.base import ContentFile

from imports.models import ContactImport, ImportStatus
from tests.factories import TenantOwnedFactory


class ContactImportFactory(TenantOwnedFactory):
    class Meta:
        model = ContactImport

    original_name = "spring-fair.csv"
    file = factory.LazyFunction(lambda: ContentFile(b"Email,First Name\nann@example.org,Ann\n", name="spring-fair.csv"))
    file_format = "csv"
    encoding = "utf-8"
    delimiter = ","
    headers = factory.LazyFunction(lambda: ["Email", "First Name"])
    mapping = factory.LazyFunction(lambda: ["email", "first_name"])
    status = ImportStatus.UPLOADED


IMPORT_FACTORIES = {ContactImport: ContactImportFactory}
