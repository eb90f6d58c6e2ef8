"""Reads of the tenancy core, always scoped to a user or the current tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import Membership, User


def memberships_for_user(user: User) -> QuerySet[Membership]:
    """The workspaces this user may switch to: active memberships of active tenants."""
    return (
        Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
        .select_related("tenant")
        .order_by("tenant__name")
    )


def choose_active_membership(memberships: list[Membership], *, preferred_tenant_id: int | None) -> Membership | None:
    """The membership to act as: the preferred tenant if still allowed, else the first one."""
    if preferred_tenant_id is not None:
        preferred = next((m for m in memberships if m.tenant_id == preferred_tenant_id), None)
        if preferred is not None:
            return preferred
    return next(iter(memberships), None)


def membership_for_user(user: User, membership_id: int) -> Membership | None:
    return memberships_for_user(user).filter(pk=membership_id).first()
