"""Celery tasks: the reminder dispatcher (celery beat, every minute) and one run per tenant."""

from __future__ import annotations

from crm.celery import app
from crm.tenancy.tasks import TenantTask


@app.task(base=TenantTask, name="followups.send_due_reminders", acks_late=True, soft_time_limit=240, time_limit=300)
def send_due_reminders(tenant_id: int) -> int:
    """Safe to run twice or side by side: each reminder is claimed by a conditional UPDATE."""
    from crm.models import Tenant
    from followups.reminders import reminders_send_due

    return reminders_send_due(tenant=Tenant.objects.get(pk=tenant_id))


@app.task(name="followups.dispatch_reminders", soft_time_limit=50, time_limit=60)
def dispatch_reminders() -> int:
    """Queue a run for every active tenant with a due (or stuck) reminder; returns how many."""
    from crm.models import Tenant
    from crm.tenancy.context import tenant_context
    from followups.reminders import reminders_due_exist

    queued = 0
    for tenant_id in Tenant.objects.filter(is_active=True).order_by("id").values_list("id", flat=True):
        with tenant_context(tenant_id):
            if not reminders_due_exist():
                continue
        send_due_reminders.delay(tenant_id)
        queued += 1
    return queued
