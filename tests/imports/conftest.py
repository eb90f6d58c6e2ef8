"""Helpers for import tests: uploads kept in a temporary media folder, tasks run in-process on demand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.celery import app as celery_app
from crm.tenancy.context import tenant_context
from imports import services
from imports.models import ContactImport, ImportMode


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Tasks queued on commit run in-process (the settings only do so without REDIS_URL)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def upload(tenant: Any, user: Any, content: bytes, name: str = "contacts.csv") -> ContactImport:
    with tenant_context(tenant.id):
        return services.contact_import_create(tenant=tenant, upload=SimpleUploadedFile(name, content), by=user)


def check(
    tenant: Any,
    user: Any,
    contact_import: ContactImport,
    *,
    mapping: list[str] | None = None,
    mode: str = ImportMode.UPSERT,
    source_system: str = "",
) -> ContactImport:
    """Map (the suggestions unless ``mapping``) and run the dry run in-process."""
    with tenant_context(tenant.id):
        services.contact_import_map(
            tenant=tenant,
            contact_import=contact_import,
            mapping=mapping or list(contact_import.mapping),
            mode=mode,
            source_system=source_system,
            by=user,
        )
        services.contact_import_check(import_id=contact_import.pk)
        contact_import.refresh_from_db()
        return contact_import


def run(tenant: Any, user: Any, contact_import: ContactImport, *, max_chunks: int | None = None) -> ContactImport:
    with tenant_context(tenant.id):
        contact_import.refresh_from_db()
        if contact_import.status == "checked":
            services.contact_import_start(tenant=tenant, contact_import=contact_import, by=user)
        services.contact_import_run(import_id=contact_import.pk, max_chunks=max_chunks)
        contact_import.refresh_from_db()
        return contact_import


def import_file(tenant: Any, user: Any, content: bytes, name: str = "contacts.csv", **options: Any) -> ContactImport:
    contact_import = check(tenant, user, upload(tenant, user, content, name), **options)
    assert contact_import.status == "checked", contact_import.message
    return run(tenant, user, contact_import)
