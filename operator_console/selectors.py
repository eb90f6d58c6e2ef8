"""Reads of the operator area: every tenant, with its usage figures.

The cross-tenant reads here are deliberate (platform operator only). Tenants, users and memberships are
global tables; each tenant's own figures are read inside ``tenant_context`` so row-level security
admits exactly that tenant's rows: one query per tenant on the page, whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from psycopg import sql

from crm.models import Tenant
from crm.tenancy.context import tenant_context
from operator_console.models import DeletionStatus, TenantDeletion

PAGE_SIZE = 50


@dataclass(frozen=True)
class TenantUsage:
    tenant: Tenant
    users: int
    contacts: int
    open_tickets: int
    storage_bytes: int
    last_activity: datetime | None
    deleting: bool


def _figure_tables() -> dict[str, Any]:
    from audit.models import AuditEvent
    from customers.models import Contact
    from imports.models import ContactImport
    from interactions.models import InteractionAttachment
    from privacy.models import PrivacyRequest
    from service_desk.models import OPEN_STATUSES, Ticket, TicketAttachment

    return {
        "contact": Contact._meta.db_table,
        "ticket": Ticket._meta.db_table,
        "open_statuses": [str(s) for s in OPEN_STATUSES],
        "audit": AuditEvent._meta.db_table,
        # Stored files: attachments, uploaded import files and privacy export archives.
        "files": [
            (TicketAttachment._meta.db_table, "size"),
            (InteractionAttachment._meta.db_table, "size"),
            (ContactImport._meta.db_table, "size"),
            (PrivacyRequest._meta.db_table, "file_size"),
        ],
    }


def _usage_query(tables: dict[str, Any]) -> sql.Composed:
    storage = sql.SQL(" + ").join(
        sql.SQL("(SELECT coalesce(sum({}), 0) FROM {} WHERE tenant_id = %(t)s)").format(
            sql.Identifier(column), sql.Identifier(table)
        )
        for table, column in tables["files"]
    )
    return sql.SQL(
        "SELECT (SELECT count(*) FROM {contact} WHERE tenant_id = %(t)s),"
        " (SELECT count(*) FROM {ticket} WHERE tenant_id = %(t)s AND status = ANY(%(open)s)),"
        " {storage},"
        " (SELECT max(at) FROM {audit} WHERE tenant_id = %(t)s)"
    ).format(
        contact=sql.Identifier(tables["contact"]),
        ticket=sql.Identifier(tables["ticket"]),
        audit=sql.Identifier(tables["audit"]),
        storage=storage,
    )


def tenants_page(*, after: tuple[str, int] | None = None) -> tuple[list[TenantUsage], tuple[str, int] | None]:
    """One page of tenants by name (keyset on name, id) with their figures, and the next page's key."""
    queryset: QuerySet[Tenant] = Tenant.objects.annotate(
        users=Count("memberships", filter=Q(memberships__is_active=True, memberships__user__is_active=True)),
        last_login=Max("memberships__user__last_login"),
    ).order_by("name", "id")
    if after is not None:
        name, pk = after
        queryset = queryset.filter(Q(name__gt=name) | Q(name=name, id__gt=pk))
    tenants = list(queryset[: PAGE_SIZE + 1])
    next_key = (tenants[PAGE_SIZE - 1].name, tenants[PAGE_SIZE - 1].pk) if len(tenants) > PAGE_SIZE else None
    tenants = tenants[:PAGE_SIZE]
    deleting = set(
        TenantDeletion.objects.filter(
            tenant_id__in=[t.pk for t in tenants], status__in=[DeletionStatus.QUEUED, DeletionStatus.RUNNING]
        ).values_list("tenant_id", flat=True)
    )
    query = _usage_query(_figure_tables())
    open_statuses = _figure_tables()["open_statuses"]
    rows = []
    for tenant in tenants:
        # Bounded: one statement per tenant, each inside that tenant (RLS shows only its rows).
        with tenant_context(tenant.pk), connection.cursor() as cursor:
            cursor.execute(query, {"t": tenant.pk, "open": open_statuses})
            contacts, open_tickets, storage, last_event = cursor.fetchone()
        last_login = tenant.last_login  # type: ignore[attr-defined]
        last = max((d for d in (last_event, last_login) if d is not None), default=None)
        rows.append(
            TenantUsage(
                tenant=tenant,
                users=tenant.users,  # type: ignore[attr-defined]
                contacts=contacts,
                open_tickets=open_tickets,
                storage_bytes=int(storage),
                last_activity=last,
                deleting=tenant.pk in deleting,
            )
        )
    return rows, next_key


def tenant_admins(tenant: Tenant) -> QuerySet[Any]:
    """The tenant's active admins, whom the operator may act as."""
    from crm.models import Membership
    from crm.roles import Role

    return (
        Membership.objects.filter(tenant=tenant, role=Role.ADMIN, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user__email")
    )


def recent_deletions() -> list[TenantDeletion]:
    return list(TenantDeletion.objects.select_related("requested_by")[:20])
