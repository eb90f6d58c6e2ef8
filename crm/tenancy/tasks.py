"""Celery base class that runs every task inside its tenant."""

from __future__ import annotations

from typing import Any

from celery import Task

from crm.tenancy.context import tenant_context


class MissingTenantError(ValueError):
    """A tenant task was sent without a tenant id."""


class TenantTask(Task):
    """Tasks take ``tenant_id`` as their first argument (or keyword) and run as that tenant.

    The tenant must exist and be active; otherwise the task refuses to run.
    """

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tenant_id = kwargs.get("tenant_id", args[0] if args else None)
        if not isinstance(tenant_id, int) or isinstance(tenant_id, bool):
            raise MissingTenantError(
                f"Task {self.name} needs a tenant id as its first argument or tenant_id=...; got {tenant_id!r}."
            )
        from crm.models import Tenant

        if not Tenant.objects.filter(pk=tenant_id, is_active=True).exists():
            raise MissingTenantError(f"Task {self.name}: tenant {tenant_id} does not exist or is inactive.")
        with tenant_context(tenant_id):
            return super().__call__(*args, **kwargs)
