"""Celery tasks of contact imports: ids only, claimed in the service, so a second delivery does nothing."""

from __future__ import annotations

from crm.celery import app
from crm.tenancy.tasks import TenantTask


@app.task(base=TenantTask, name="imports.check_contact_import", acks_late=True, soft_time_limit=1800, time_limit=1860)
def check_contact_import(tenant_id: int, import_id: int) -> None:
    """The dry run over the whole file (imports/services.py): totals for the preview, no writes."""
    from imports.services import contact_import_check

    contact_import_check(import_id=import_id)


@app.task(base=TenantTask, name="imports.run_contact_import", acks_late=True, soft_time_limit=3600, time_limit=3660)
def run_contact_import(tenant_id: int, import_id: int) -> None:
    """The import itself, chunk by chunk from the progress cursor."""
    from imports.services import contact_import_run

    contact_import_run(import_id=import_id)


@app.task(
    base=TenantTask, name="imports.check_and_run_contact_import", acks_late=True, soft_time_limit=3600, time_limit=3660
)
def check_and_run_contact_import(tenant_id: int, import_id: int) -> None:
    """An API batch: the check, then (when the file can be imported at all) the run, in one task."""
    from imports.models import ContactImport, ImportStatus
    from imports.services import contact_import_check, contact_import_run

    contact_import_check(import_id=import_id)
    checked = ContactImport.objects.filter(pk=import_id, status=ImportStatus.CHECKED).update(status=ImportStatus.QUEUED)
    if checked or ContactImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).exists():
        contact_import_run(import_id=import_id)  # claims QUEUED itself: a second delivery does nothing


@app.task(base=TenantTask, name="imports.undo_contact_import", acks_late=True, soft_time_limit=1800, time_limit=1860)
def undo_contact_import(tenant_id: int, import_id: int) -> None:
    """Undo a finished import: remove what it created, restore what it changed (imports/undo.py)."""
    from imports.services import contact_import_undo_run

    contact_import_undo_run(import_id=import_id)


@app.task(name="imports.requeue_stale_imports")
def requeue_stale_imports() -> int:
    """Every few minutes: runs whose worker died are queued again and resume after their last chunk."""
    from crm.models import Tenant
    from crm.tenancy.context import tenant_context
    from imports.services import contact_imports_requeue_stale

    requeued = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("id"):
        with tenant_context(tenant.id):
            requeued += contact_imports_requeue_stale(tenant=tenant)
    return requeued
