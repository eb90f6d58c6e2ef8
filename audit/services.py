"""Writes of the audit app: record an event, the retention setting, the sweep and redaction.

``audit_record`` is the one way an audit row is written (the registry's signal handlers call it
too). It runs on the runtime connection, inside the caller's transaction: a write that rolls
back leaves no audit row, and an audit row that cannot be written fails the write.

Deleting (retention) and redacting (privacy erasure) audit rows go through the OWNER connection
("owner" alias), the only role allowed to change the trail.
"""

from __future__ import annotations

import json
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from audit.context import current_actor
from audit.models import MIN_RETENTION_MONTHS, AuditEvent, AuditSettings
from crm.models import Tenant, User
from crm.tenancy.context import tenant_context

OWNER_DB = "owner"
REDACTED = "[erased]"


def to_json_value(value: Any) -> Any:
    """A JSON-safe copy of a field value (dates as ISO text, decimals and UUIDs as text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def object_label(obj: models.Model) -> str:
    return obj._meta.label_lower


def audit_record(
    *,
    tenant: Tenant | int,
    action: str,
    actor: User | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Append one audit event. ``actor``/``ip`` default to the request's or task's (audit.context)."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    context = current_actor()
    if obj is not None:
        object_type = object_type or object_label(obj)
        object_id = object_id or (obj.pk if obj.pk is not None else "")
        object_repr = object_repr or str(obj)
    actor_id = actor.pk if actor is not None else (context.user_id if context else None)
    if actor is not None:
        label = actor.email
    elif context and context.user_id == actor_id:
        label = context.label
    else:
        label = ""
    event = AuditEvent(
        tenant_id=tenant_id,
        action=action,
        actor_id=actor_id,
        actor_label=label[:200],
        object_type=object_type[:100],
        object_id=str(object_id)[:64],
        object_repr=object_repr[:300],
        changes={key: [to_json_value(v) for v in pair] for key, pair in (changes or {}).items()},
        ip=ip or (context.ip if context else None),
        user_agent=context.user_agent if context else "",
        request_id=context.request_id if context else "",
    )
    # The row belongs to its tenant whatever tenant the caller runs as (sign-in happens before one is
    # chosen; a platform job may touch several): RLS checks the row against the session's tenant.
    with tenant_context(tenant_id):
        event.save(force_insert=True)


# --- Retention ----------------------------------------------------------------------------------


def audit_settings_for(tenant: Tenant) -> AuditSettings:
    """The tenant's setting, or an unsaved default (18 months)."""
    return AuditSettings.objects.filter(tenant=tenant).first() or AuditSettings(tenant=tenant)


@transaction.atomic
def audit_settings_save(*, tenant: Tenant, retention_months: int, by: User) -> AuditSettings:
    if retention_months < MIN_RETENTION_MONTHS:
        raise ValueError(f"retention must be at least {MIN_RETENTION_MONTHS} months")
    current = AuditSettings.objects.select_for_update().filter(tenant=tenant).first()
    before = current.retention_months if current else MIN_RETENTION_MONTHS
    setting, _created = AuditSettings.objects.update_or_create(
        tenant=tenant, defaults={"retention_months": retention_months}
    )
    if before != retention_months:
        audit_record(
            tenant=tenant,
            action="setting_change",
            actor=by,
            object_type="audit.auditsettings",
            object_id=setting.pk,
            object_repr="Audit retention",
            changes={"retention_months": [before, retention_months]},
        )
    return setting


def retention_cutoff(months: int, *, now: Any = None) -> Any:
    return (now or timezone.now()) - relativedelta(months=max(months, MIN_RETENTION_MONTHS))


def audit_retention_sweep(*, tenant_id: int, batch: int = 5000) -> int:
    """Delete the tenant's events older than its retention, in batches, through the owner connection."""
    with tenant_context(tenant_id):
        months = (
            AuditSettings.objects.using(OWNER_DB)
            .filter(tenant_id=tenant_id)
            .values_list("retention_months", flat=True)
            .first()
        ) or MIN_RETENTION_MONTHS
        cutoff = retention_cutoff(months)
        deleted = 0
        while True:
            with transaction.atomic(using=OWNER_DB):
                ids = list(
                    AuditEvent.objects.using(OWNER_DB)
                    .filter(tenant_id=tenant_id, at__lt=cutoff)
                    .order_by("at", "id")
                    .values_list("id", flat=True)[:batch]
                )
                if not ids:
                    break
                deleted += (
                    AuditEvent.objects.using(OWNER_DB).filter(tenant_id=tenant_id, id__in=ids)._raw_delete(OWNER_DB)
                )
        AuditSettings.objects.using(OWNER_DB).filter(tenant_id=tenant_id).update(
            last_swept_at=timezone.now(), last_swept_count=deleted
        )
    return deleted


# --- Redaction (privacy erasure) -----------------------------------------------------------------


def _redact(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        lowered = value.lower()
        return REDACTED if any(secret in lowered for secret in secrets) else value
    if isinstance(value, list):
        return [_redact(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: _redact(item, secrets) for key, item in value.items()}
    return value


def audit_redact_values(*, tenant_id: int, values: list[str], object_type: str = "", object_id: str = "") -> int:
    """Replace every audit value mentioning one of ``values`` (and, for the given object, every recorded
    value) by "[erased]", through the owner connection. Returns the number of rows changed. Idempotent."""
    secrets = sorted({value.strip().lower() for value in values if value and len(value.strip()) >= 3})
    changed = 0
    with tenant_context(tenant_id), transaction.atomic(using=OWNER_DB):
        events = AuditEvent.objects.using(OWNER_DB).filter(tenant_id=tenant_id)
        condition = models.Q(object_type=object_type, object_id=object_id) if object_type else models.Q(pk__in=[])
        for secret in secrets:
            # A plain text search over the JSON; the exact redaction happens in Python below.
            condition |= models.Q(object_repr__icontains=secret) | models.Q(changes__icontains=secret)
        for event in events.filter(condition).only("id", "object_type", "object_id", "object_repr", "changes"):
            whole = bool(object_type) and (event.object_type, event.object_id) == (object_type, object_id)
            changes = (
                {field: [REDACTED if v not in (None, "") else v for v in pair] for field, pair in event.changes.items()}
                if whole
                else _redact(event.changes, secrets)
            )
            repr_ = REDACTED if whole or _redact(event.object_repr, secrets) == REDACTED else event.object_repr
            if changes != event.changes or repr_ != event.object_repr:
                AuditEvent.objects.using(OWNER_DB).filter(pk=event.pk).update(changes=changes, object_repr=repr_)
                changed += 1
    return changed
