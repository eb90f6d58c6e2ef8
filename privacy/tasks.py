"""Celery tasks: run a privacy request; the nightly retention rules (celery beat) per tenant."""

from __future__ import annotations

from crm.celery import app
from crm.tenancy.tasks import TenantTask


@app.task(base=TenantTask, name="privacy.run_request", acks_late=True, soft_time_limit=1800, time_limit=1900)
def run_privacy_request(tenant_id: int, request_id: int) -> None:
    """Export or erase; claimed with a conditional update, so a duplicate delivery does nothing."""
    from privacy.services import privacy_request_run

    privacy_request_run(request_id=request_id)


@app.task(base=TenantTask, name="privacy.run_retention_rules", acks_late=True, soft_time_limit=1800, time_limit=1900)
def run_retention_rules(tenant_id: int) -> int:
    from privacy.services import retention_rules_run_all

    return retention_rules_run_all(tenant_id=tenant_id)


@app.task(name="privacy.schedule_retention_rules", soft_time_limit=50, time_limit=60)
def schedule_retention_rules() -> int:
    """Queue one run per active tenant that has an active rule."""
    from crm.models import Tenant
    from crm.tenancy.context import tenant_context
    from privacy.models import RetentionRule

    queued = 0
    for tenant_id in Tenant.objects.filter(is_active=True).order_by("id").values_list("id", flat=True):
        with tenant_context(tenant_id):
            if not RetentionRule.objects.filter(is_active=True).exists():
                continue
        run_retention_rules.delay(tenant_id)
        queued += 1
    return queued
