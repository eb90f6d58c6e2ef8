"""The "Find duplicates" task: ids in, one service call."""

from __future__ import annotations

from crm.celery import app
from crm.models import Tenant
from crm.tenancy.tasks import TenantTask


@app.task(
    base=TenantTask,
    name="customers.find_duplicates",
    acks_late=True,
    soft_time_limit=3600,  # a million contacts take minutes (docs/benchmarks.md)
    time_limit=3660,
)
def find_duplicates(tenant_id: int, run_id: int) -> None:
    from customers.duplicates.services import duplicate_run_execute

    duplicate_run_execute(tenant=Tenant.objects.get(pk=tenant_id), run_id=run_id)
