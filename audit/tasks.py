"""Celery tasks: the nightly retention sweep (celery beat) and one sweep per tenant."""

from __future__ import annotations

from crm.celery import app
from crm.tenancy.tasks import TenantTask


@app.task(base=TenantTask, name="audit.retention_sweep", acks_late=True, soft_time_limit=540, time_limit=600)
def retention_sweep(tenant_id: int) -> int:
    """Deletes the tenant's audit events past its retention through the owner connection; idempotent."""
    from audit.services import audit_retention_sweep

    return audit_retention_sweep(tenant_id=tenant_id)


@app.task(name="audit.schedule_retention_sweeps", soft_time_limit=50, time_limit=60)
def schedule_retention_sweeps() -> int:
    from crm.models import Tenant

    tenant_ids = list(Tenant.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    for tenant_id in tenant_ids:
        retention_sweep.delay(tenant_id)
    return len(tenant_ids)
