"""Celery tasks: the per-minute SLA sweep (celery beat) and one run per tenant."""

from __future__ import annotations

from crm.celery import app
from crm.tenancy.tasks import TenantTask


@app.task(base=TenantTask, name="sla.sweep_tenant", acks_late=True, soft_time_limit=240, time_limit=300)
def sweep_tenant(tenant_id: int) -> dict[str, int]:
    """Recompute stale clocks, flag breaches, fire escalations. Safe to run twice or side by side: clocks
    are recomputed from history (idempotent) and each escalation is claimed by a unique row."""
    from django.db import connection

    from crm.models import Tenant
    from sla.escalations import escalations_run
    from sla.services import sla_sweep_tenant

    tenant = Tenant.objects.get(pk=tenant_id)
    # Overlapping sweeps of one tenant would only repeat work: the second one skips.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [7_001, tenant_id])
        if not cursor.fetchone()[0]:
            return {"refreshed": 0, "escalated": 0, "skipped": 1}
    try:
        refreshed = sla_sweep_tenant(tenant=tenant)
        escalated = escalations_run(tenant=tenant)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [7_001, tenant_id])
    return {"refreshed": refreshed, "escalated": escalated, "skipped": 0}


@app.task(name="sla.dispatch_sweeps", soft_time_limit=50, time_limit=60)
def dispatch_sweeps() -> int:
    """Queue a sweep for every active tenant with open tickets; returns how many."""
    from crm.models import Tenant
    from crm.tenancy.context import tenant_context
    from service_desk.models import OPEN_STATUSES, Ticket
    from sla.models import TicketSla

    queued = 0
    for tenant_id in Tenant.objects.filter(is_active=True).order_by("id").values_list("id", flat=True):
        with tenant_context(tenant_id):
            # Also tickets solved since the last sweep: their clocks stop (met or breached) on this one.
            if not (
                Ticket.objects.filter(status__in=OPEN_STATUSES).exists()
                or TicketSla.objects.filter(ticket_open=True).exists()
            ):
                continue
        sweep_tenant.delay(tenant_id)
        queued += 1
    return queued
