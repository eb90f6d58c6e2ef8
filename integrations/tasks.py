"""Celery tasks of integrations: one webhook delivery attempt, and the sweep that retries due ones."""

from __future__ import annotations

from crm.celery import app
from crm.tenancy.tasks import TenantTask


@app.task(base=TenantTask, name="integrations.deliver_webhook", acks_late=True, soft_time_limit=30, time_limit=45)
def deliver_webhook(tenant_id: int, delivery_id: int) -> str:
    """One attempt; safe to run twice (claimed by a conditional update). Retries are scheduled on the
    row (next_attempt_at) and picked up by the sweep, so a lost task never loses a delivery."""
    from crm.models import Tenant
    from integrations.webhooks import webhook_delivery_send

    return webhook_delivery_send(tenant=Tenant.objects.get(pk=tenant_id), delivery_id=delivery_id)


@app.task(name="integrations.sweep_webhook_deliveries", soft_time_limit=50, time_limit=60)
def sweep_webhook_deliveries() -> int:
    """Queue every due delivery (retries, and those whose task was lost) of every active tenant."""
    from crm.models import Tenant
    from crm.tenancy.context import tenant_context
    from integrations.webhooks import webhook_deliveries_due_ids

    queued = 0
    for tenant_id in Tenant.objects.filter(is_active=True).order_by("id").values_list("id", flat=True):
        with tenant_context(tenant_id):
            due = webhook_deliveries_due_ids()
        for delivery_id in due:
            deliver_webhook.delay(tenant_id, delivery_id)
        queued += len(due)
    return queued
