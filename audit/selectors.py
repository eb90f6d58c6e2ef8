"""Reads of the audit trail, scoped to the current tenant."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from crm.models import Membership, Tenant, User
from crm.sorting import Page, SortOption, keyset_page

# Served by audit_event_tenant_at_idx (tenant, at DESC, id DESC).
NEWEST_FIRST = SortOption("newest", gettext_lazy("Newest first"), ["at", "id"], descending=True)
PAGE_SIZE = 50
HISTORY_LIMIT = 200


def events_for_list() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.all()


def event_page(*, base: QuerySet[AuditEvent], cursor: str | None = None, size: int = PAGE_SIZE) -> Page:
    return keyset_page(base, sort=NEWEST_FIRST, cursor=cursor, size=size)


def object_history(*, object_type: str, object_id: str, limit: int = HISTORY_LIMIT) -> list[AuditEvent]:
    """A record's events, newest first (audit_event_object_idx)."""
    return list(AuditEvent.objects.filter(object_type=object_type, object_id=object_id).order_by("-at", "-id")[:limit])


def object_types() -> list[str]:
    """The object types the trail records, for the filter menu (no query: the registry's list)."""
    from audit.registry import AUDITED

    extra = ["crm.user", "imports.contactimport", "audit.auditsettings", "privacy.privacyrequest"]
    return sorted({audited.label.lower() for audited in AUDITED} | set(extra))


def tenant_members(tenant: Tenant) -> list[User]:
    """Everyone who is or was a member, for the actor filter."""
    user_ids = Membership.objects.filter(tenant=tenant).values("user_id")
    return list(User.objects.filter(pk__in=user_ids).order_by("email"))
