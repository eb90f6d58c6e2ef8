"""Writes of the platform operator: create, suspend, reactivate and delete tenants; impersonation.

Every function here is for superusers only (the views check): they act across tenants on purpose.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql

from audit.services import audit_record
from crm.models import Membership, Tenant, User
from crm.roles import Role
from crm.services import tenant_create
from crm.tenancy.context import tenant_context
from crm.tenancy.middleware import ACTIVE_TENANT_SESSION_KEY
from operator_console.models import DeletionStatus, TenantDeletion

logger = logging.getLogger(__name__)

IMPERSONATOR_SESSION_KEY = "operator_impersonator_id"
IMPERSONATED_SESSION_KEY = "operator_impersonated_id"
IMPERSONATED_TENANT_SESSION_KEY = "operator_impersonated_tenant_id"
OPERATOR_TENANT_SESSION_KEY = "operator_previous_tenant_id"


class OperatorError(ValueError):
    """A refused operator action; ``field`` names the form field it belongs to (None: the whole form)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@transaction.atomic
def tenant_create_with_admin(*, name: str, slug: str, admin_email: str, by: User) -> Tenant:
    """A new tenant and an invitation for its first admin (workspace invitations: signed, expiring)."""
    from workspace.services import invitation_create

    if Tenant.objects.filter(slug=slug).exists():
        raise OperatorError(_("This short name is taken."), field="slug")
    tenant = tenant_create(name=name, slug=slug)
    with tenant_context(tenant.pk):
        invitation_create(tenant=tenant, email=admin_email, role=Role.ADMIN, teams=[], by=by)
        audit_record(tenant=tenant, action="create", actor=by, obj=tenant)
    return tenant


@transaction.atomic
def tenant_set_active(*, tenant: Tenant, active: bool, by: User) -> Tenant:
    """Suspend (members get the "no workspace" page, tasks refuse to run) or reactivate a tenant."""
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if locked.is_active != active:
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        audit_record(
            tenant=locked, action="setting_change", actor=by, obj=locked, changes={"is_active": [not active, active]}
        )
    return locked


@transaction.atomic
def tenant_delete_request(*, tenant: Tenant, confirm_slug: str, by: User) -> TenantDeletion:
    """Suspend the tenant at once and queue the task that deletes its rows, then the tenant."""
    from customers.demo.seed import tenant_tables

    if confirm_slug.strip() != tenant.slug:
        raise OperatorError(_("Type the short name exactly to confirm."), field="confirm_slug")
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    existing = TenantDeletion.objects.filter(
        tenant_id=locked.pk, status__in=[DeletionStatus.QUEUED, DeletionStatus.RUNNING]
    ).first()
    if existing is not None:
        return existing
    if locked.is_active:
        locked.is_active = False
        locked.save(update_fields=["is_active"])
    deletion = TenantDeletion.objects.create(
        tenant_id=locked.pk,
        tenant_name=locked.name,
        tenant_slug=locked.slug,
        tables_total=len(tenant_tables()),
        requested_by=by,
    )
    audit_record(tenant=locked, action="delete", actor=by, obj=locked)
    deletion_id = deletion.pk
    transaction.on_commit(lambda: _enqueue_delete(deletion_id))
    return deletion


def _enqueue_delete(deletion_id: int) -> None:
    from operator_console.tasks import delete_tenant

    delete_tenant.delay(deletion_id)


def tenant_delete_run(*, deletion_id: int) -> bool:
    """Delete one tenant's rows table by table (referencing tables first), then the tenant.

    Claimed with a conditional update; a failed or interrupted run is requeued as "queued" and simply
    starts again: each table's DELETE commits on its own, so a rerun only finds what is left. The
    append-only audit trail is kept (its rows name the tenant by id only).
    """
    from customers.demo.seed import tenant_tables

    claimed = TenantDeletion.objects.filter(pk=deletion_id, status=DeletionStatus.QUEUED).update(
        status=DeletionStatus.RUNNING, started_at=timezone.now(), tables_done=0, error=""
    )
    if not claimed:
        return False
    deletion = TenantDeletion.objects.get(pk=deletion_id)
    tenant_id = int(deletion.tenant_id)
    tables = tenant_tables()
    try:
        for done, table in enumerate(tables, start=1):
            with transaction.atomic(), tenant_context(tenant_id), connection.cursor() as cursor:
                cursor.execute(
                    sql.SQL("DELETE FROM {} WHERE tenant_id = %s").format(sql.Identifier(table)), [tenant_id]
                )
                deleted = max(cursor.rowcount, 0)
            TenantDeletion.objects.filter(pk=deletion_id).update(
                tables_done=done, tables_total=len(tables), rows_deleted=deletion.rows_deleted + deleted
            )
            deletion.rows_deleted += deleted
        with transaction.atomic(), tenant_context(tenant_id):
            # Memberships (and any row written since) cascade; users stay, the audit trail stays.
            Tenant.objects.filter(pk=tenant_id).delete()
    except Exception as exc:
        logger.exception("Deleting tenant %s failed", tenant_id)
        TenantDeletion.objects.filter(pk=deletion_id).update(
            status=DeletionStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        return False
    TenantDeletion.objects.filter(pk=deletion_id).update(status=DeletionStatus.DONE, finished_at=timezone.now())
    return True


@transaction.atomic
def deletion_retry(*, deletion: TenantDeletion) -> TenantDeletion:
    if TenantDeletion.objects.filter(pk=deletion.pk, status=DeletionStatus.FAILED).update(status=DeletionStatus.QUEUED):
        deletion_id = deletion.pk
        transaction.on_commit(lambda: _enqueue_delete(deletion_id))
    deletion.refresh_from_db()
    return deletion


# --- Impersonation --------------------------------------------------------------------------------


def impersonation_start(*, request: HttpRequest, membership: Membership, reason: str, by: User) -> None:
    """Act as a tenant admin in this session, after writing the reason to that tenant's audit trail.

    The operator stays signed in: the session only remembers whom they act as, and
    operator_console.middleware swaps the user for each request (no sign-in, no sign-in signals).
    """
    reason = reason.strip()
    if not reason:
        raise OperatorError(_("Say why you need to act as this admin."), field="reason")
    if membership.role != Role.ADMIN or not membership.is_active or not membership.user.is_active:
        raise OperatorError(_("Choose an active admin of this workspace."), field="membership")
    if not membership.tenant.is_active:
        raise OperatorError(_("Reactivate the workspace first: a suspended workspace cannot be opened."))
    audit_record(
        tenant=membership.tenant,
        action="impersonate",
        actor=by,
        obj=membership.user,
        changes={"reason": ["", reason]},
    )
    session = request.session
    session[OPERATOR_TENANT_SESSION_KEY] = session.get(ACTIVE_TENANT_SESSION_KEY)
    session[IMPERSONATOR_SESSION_KEY] = by.pk
    session[IMPERSONATED_SESSION_KEY] = membership.user_id
    session[IMPERSONATED_TENANT_SESSION_KEY] = membership.tenant_id
    session[ACTIVE_TENANT_SESSION_KEY] = membership.tenant_id


def impersonation_end(*, request: HttpRequest) -> None:
    session = request.session
    tenant_id = session.pop(IMPERSONATED_TENANT_SESSION_KEY, None)
    user_id = session.pop(IMPERSONATED_SESSION_KEY, None)
    operator_id = session.pop(IMPERSONATOR_SESSION_KEY, None)
    previous = session.pop(OPERATOR_TENANT_SESSION_KEY, None)
    if previous is None:
        session.pop(ACTIVE_TENANT_SESSION_KEY, None)
    else:
        session[ACTIVE_TENANT_SESSION_KEY] = previous
    if tenant_id is not None and operator_id is not None:
        audit_record(
            tenant=int(tenant_id),
            action="impersonate",
            actor=User.objects.filter(pk=operator_id).first(),
            object_type="crm.user",
            object_id=str(user_id or ""),
            changes={"ended": [False, True]},
        )
