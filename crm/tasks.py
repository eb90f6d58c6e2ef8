"""Celery tasks of the crm app: thin, ids only, tenant first."""

from __future__ import annotations

from crm.celery import app
from crm.tenancy.tasks import TenantTask


@app.task(base=TenantTask, name="crm.run_bulk_job", acks_late=True, soft_time_limit=3600, time_limit=3660)
def run_bulk_job(tenant_id: int, job_id: int) -> None:
    """A bulk action on a large selection (crm/lists/bulk.py); claimed, so a second delivery is harmless."""
    from crm.lists.bulk import bulk_job_run

    bulk_job_run(job_id=job_id)


@app.task(name="crm.sweep_idempotency_keys", soft_time_limit=600, time_limit=660)
def sweep_idempotency_keys() -> int:
    """Forget API idempotency keys after a day (a client retries within minutes), tenant by tenant:
    row-level security shows each tenant's rows only inside its own context."""
    from crm.idempotency.services import idempotency_keys_sweep

    return idempotency_keys_sweep()
