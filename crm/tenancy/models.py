"""The base of every tenant-owned model."""

from __future__ import annotations

from django.db import models

from crm.tenancy.context import current_tenant_id, require_tenant_id, visible_owner_ids


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Default manager: only the current tenant's rows, and an error when there is no tenant."""

    def get_queryset(self) -> TenantQuerySet:
        queryset = super().get_queryset().filter(tenant_id=require_tenant_id())
        # Owned records (contacts, accounts, deals) obey the role's record visibility here, so
        # lists, search, exports, the API, the board and detail pages cannot disagree.
        owner_field = getattr(self.model, "VISIBILITY_OWNER_FIELD", None)
        owners = visible_owner_ids()
        if owner_field and owners is not None:
            queryset = queryset.filter(**{f"{owner_field}__in": owners})
        return queryset


class UnscopedTenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """No tenant filter. Every use must be a reviewed cross-tenant job.

    Row-level security still applies underneath: without a tenant setting in the
    database session this returns no rows at all.
    """


def _default_tenant_id() -> int | None:
    return current_tenant_id()


class TenantModel(models.Model):
    """Abstract base: a non-null tenant, a scoped default manager, and RLS in migrations.

    Indexes and unique constraints on subclasses must lead with ``tenant``; the
    migration autodetector adds the row-level security policy to every new
    subclass (crm/db/rls.py) and tests/crm/test_rls.py checks both.
    """

    tenant = models.ForeignKey(
        "crm.Tenant",
        on_delete=models.CASCADE,
        editable=False,
        default=_default_tenant_id,
        related_name="+",
        # Every subclass's composite indexes lead with tenant_id; a lone tenant_id index
        # would only cost writes (and misled the planner away from full-text indexes).
        db_index=False,
    )

    objects = TenantManager()
    unscoped_objects = UnscopedTenantManager()

    class Meta:
        abstract = True
