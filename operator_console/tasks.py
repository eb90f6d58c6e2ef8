"""Celery tasks of the operator area."""

from __future__ import annotations

from crm.celery import app


# Not a TenantTask: the tenant is suspended (TenantTask refuses those) and gone afterwards. The service
# sets the tenant for each statement itself.
@app.task(name="operator_console.delete_tenant", acks_late=True, soft_time_limit=3600, time_limit=3700)
def delete_tenant(deletion_id: int) -> bool:
    from operator_console.services import tenant_delete_run

    return tenant_delete_run(deletion_id=deletion_id)
