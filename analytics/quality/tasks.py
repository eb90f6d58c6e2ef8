"""The cleaning run and its nightly dispatcher: thin, ids only (tenant first), one service call."""

from __future__ import annotations

from crm.celery import app
from crm.models import Tenant
from crm.tenancy.tasks import TenantTask


@app.task(
    base=TenantTask,
    name="analytics.data_quality_run",
    acks_late=True,
    soft_time_limit=3600,  # a million contacts take a few minutes; duplicates as long again
    time_limit=3660,
)
def run_data_quality(tenant_id: int, run_id: int) -> None:
    from analytics.quality.services import data_quality_run_execute

    data_quality_run_execute(tenant=Tenant.objects.get(pk=tenant_id), run_id=run_id)


@app.task(name="analytics.data_quality_nightly", soft_time_limit=600, time_limit=660)
def dispatch_nightly_data_quality() -> int:
    """celery beat, once a night: one run per active tenant, a few minutes apart.

    Deliberately not a TenantTask: it loops over tenants (the tenant table is not tenant-owned)
    and enters each tenant's context explicitly before touching its runs.
    """
    from analytics.quality.services import data_quality_schedule_nightly

    return data_quality_schedule_nightly(tenants=Tenant.objects.filter(is_active=True).order_by("id"))
