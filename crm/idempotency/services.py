"""Retention of API idempotency keys."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from crm.idempotency.models import IdempotencyKey
from crm.models import Tenant
from crm.tenancy.context import tenant_context

KEEP_FOR = timedelta(hours=24)


def idempotency_keys_sweep() -> int:
    """Delete every tenant's keys older than KEEP_FOR; returns how many went."""
    cutoff, deleted = timezone.now() - KEEP_FOR, 0
    for tenant_id in Tenant.objects.values_list("id", flat=True):
        with tenant_context(tenant_id):
            deleted += IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]
    return deleted
