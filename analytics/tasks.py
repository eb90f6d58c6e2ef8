"""Celery tasks: one scoring run per tenant, and the nightly dispatcher."""

from __future__ import annotations

from crm.celery import app
from crm.tenancy.tasks import TenantTask


@app.task(base=TenantTask, name="analytics.run_scoring", acks_late=True, soft_time_limit=3600, time_limit=3700)
def run_scoring(tenant_id: int, run_id: int) -> None:
    from analytics.scoring import analytics_run_execute

    analytics_run_execute(run_id=run_id)


@app.task(name="analytics.schedule_nightly_runs")
def schedule_nightly_runs() -> int:
    """Queue a run for every active tenant that wants one, a minute apart so they do not all start
    at once. Runs already queued or running are left alone (one per tenant)."""
    from analytics.models import AnalyticsConfig
    from analytics.services import analytics_run_start
    from crm.models import Tenant
    from crm.tenancy.context import tenant_context

    queued = 0
    for tenant in Tenant.objects.filter(is_active=True).order_by("id"):
        with tenant_context(tenant.id):
            config = AnalyticsConfig.objects.filter(tenant=tenant).first()
            if config is not None and not config.nightly:
                continue
            analytics_run_start(tenant=tenant, by=None)
            queued += 1
    return queued
