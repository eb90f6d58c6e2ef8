"""The audited models, and the one deliberate use of signals in this code base.

STYLE.md forbids hidden side effects in ``save()`` and signals, because a reader of a service
should see everything it does. The audit trail is the documented exception, for a reason the
rule itself serves: issue 9 asks that *every* create, update and delete leaves an audit row,
including writes added later by people who never heard of auditing. An explicit call in each
service would be forgotten in the next one; a signal on the model cannot be. So:

- ``AUDITED`` below is the whole list, in one place, with the action each model's changes count as
  (``permission_change`` for memberships and teams, ``setting_change`` for tenant and integration
  settings). Models of apps that do not exist (yet) are skipped.
- ``post_init`` keeps a snapshot of the values loaded from the database (no extra query per save);
  ``post_save`` compares against it and records only the fields that changed, before and after;
  ``post_delete`` records the deletion. Secrets (passwords, tokens, encrypted fields) are never
  written, only that they changed.
- Services that write with a conditional ``QuerySet.update()`` (optimistic locking: contacts,
  accounts, deals, orders) fire no signal; they call ``record_update(instance, values)`` after the
  update, which uses the same snapshot.
- Sign-in, sign-out and failed sign-in come from Django's auth signals (the attempted username is
  kept, never the password). Bulk paths (exports, imports, merges) call ``audit_record`` once each.
- In Celery tasks, a ``user_id``/``by_id``/``requested_by_id`` keyword of the task names the actor.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.db.models.signals import post_delete, post_init, post_save

from audit.context import AuditActor, audit_actor_context, current_actor
from audit.services import audit_record, to_json_value

MASK = "••••••"
SNAPSHOT_ATTR = "_audit_snapshot"
# Never written to the trail: derived or bookkeeping columns that change with every save.
IGNORED_FIELDS = frozenset(
    {
        "updated_at", "version", "updated_by_id", "first_name_key", "last_name_key", "name_key", "last_login",
        "last_checked_at", "check_status", "check_requested_by_id", "last_error", "last_poll_at",
        "last_poll_status", "last_poll_message", "last_poll_count", "imap_uidvalidity", "imap_last_uid",
    }
)  # fmt: skip
SECRET_WORDS = ("password", "secret", "token", "encrypted", "api_key")


@dataclass(frozen=True)
class Audited:
    label: str  # app_label.ModelName
    update_action: str = "update"
    create_action: str = "create"
    delete_action: str = "delete"


AUDITED: tuple[Audited, ...] = (
    Audited("customers.Contact"),
    Audited("customers.Account"),
    Audited("customers.Deal"),
    Audited("customers.Order"),
    Audited("customers.Pipeline"),
    Audited("customers.Stage"),
    Audited("customers.CustomField", "setting_change", "setting_change", "setting_change"),
    Audited("crm.Team", "permission_change", "permission_change", "permission_change"),
    Audited("crm.TeamMember", "permission_change", "permission_change", "permission_change"),
    Audited("crm.Membership", "permission_change", "permission_change", "permission_change"),
    Audited("crm.Tenant", "setting_change", "setting_change", "setting_change"),
    Audited("mail.MailSettings", "setting_change", "setting_change", "setting_change"),
    Audited("sms.SmsSettings", "setting_change", "setting_change", "setting_change"),
    Audited("inbox.InboxSettings", "setting_change", "setting_change", "setting_change"),
    Audited("service_desk.Ticket"),
    Audited("service_desk.Queue", "setting_change", "setting_change", "setting_change"),
    Audited("campaigns.Campaign"),
    Audited("campaigns.Suppression"),
    Audited("segments.Segment"),
)

_BY_MODEL: dict[type[models.Model], Audited] = {}


def is_secret(field_name: str) -> bool:
    return any(word in field_name for word in SECRET_WORDS)


def _fields(model: type[models.Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields if field.attname not in IGNORED_FIELDS]


def _value(instance: models.Model, attname: str) -> Any:
    value = instance.__dict__.get(attname)
    # Lists and dicts (tags, custom fields) are copied: an in-place edit must not change the snapshot.
    return copy.copy(value) if isinstance(value, list | dict) else value


def take_snapshot(instance: models.Model) -> None:
    setattr(instance, SNAPSHOT_ATTR, {name: _value(instance, name) for name in _fields(type(instance))})


def _tenant_id(instance: models.Model) -> int | None:
    if instance._meta.label == "crm.Tenant":
        return instance.pk
    return getattr(instance, "tenant_id", None)


def _diff(instance: models.Model, names: Iterable[str], after: dict[str, Any]) -> dict[str, list[Any]]:
    before = getattr(instance, SNAPSHOT_ATTR, None) or {}
    changes: dict[str, list[Any]] = {}
    for name in names:
        old, new = before.get(name), after.get(name)
        if to_json_value(old) == to_json_value(new):
            continue
        key = name[:-3] if name.endswith("_id") and name != "object_id" else name
        changes[key] = [MASK, MASK] if is_secret(name) else [old, new]
    return changes


def _record(instance: models.Model, action: str, changes: dict[str, list[Any]]) -> None:
    tenant_id = _tenant_id(instance)
    if tenant_id is None:
        return
    audit_record(tenant=tenant_id, action=action, obj=instance, changes=changes)


def record_update(instance: models.Model, values: dict[str, Any]) -> None:
    """For services that write with ``QuerySet.update(**values)``: record the changed fields of
    ``instance`` (its snapshot is the row as loaded) and move the snapshot on."""
    audited = _BY_MODEL.get(type(instance))
    if audited is None:
        return
    after: dict[str, Any] = {}
    for name, value in values.items():
        field = instance._meta.get_field(name)
        attname = str(getattr(field, "attname", name))
        if attname in IGNORED_FIELDS or isinstance(value, models.expressions.Combinable):
            continue
        after[attname] = value.pk if isinstance(value, models.Model) else value
    changes = _diff(instance, after.keys(), after)
    if changes:
        _record(instance, audited.update_action, changes)
    snapshot = getattr(instance, SNAPSHOT_ATTR, None)
    if snapshot is not None:
        snapshot.update({name: copy.copy(value) for name, value in after.items()})


# --- Signal handlers ------------------------------------------------------------------------------


def _on_init(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    take_snapshot(instance)


def _on_save(
    sender: type[models.Model], instance: models.Model, created: bool, update_fields: Any = None, raw: bool = False,
    **_: Any,
) -> None:  # fmt: skip
    if raw:  # fixtures
        return
    audited = _BY_MODEL[sender]
    names = _fields(sender)
    if update_fields:
        wanted = {getattr(sender._meta.get_field(name), "attname", name) for name in update_fields}
        names = [name for name in names if name in wanted]
    current = {name: instance.__dict__.get(name) for name in names}
    if created:
        changes = {
            (key[:-3] if key.endswith("_id") else key): ([None, MASK] if is_secret(key) else [None, value])
            for key, value in current.items()
            if value not in (None, "", [], {}) and key not in ("id", "tenant_id")
        }
        _record(instance, audited.create_action, changes)
    else:
        changes = _diff(instance, names, current)
        if changes:
            _record(instance, audited.update_action, changes)
    take_snapshot(instance)


def _on_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    _record(instance, _BY_MODEL[sender].delete_action, {})


def _on_login(sender: Any, request: Any, user: Any, **_: Any) -> None:
    from audit.middleware import client_ip

    for tenant_id in _tenant_ids_of(user):
        audit_record(tenant=tenant_id, action="login", actor=user, ip=client_ip(request) if request else None)


def _on_logout(sender: Any, request: Any, user: Any, **_: Any) -> None:
    from audit.middleware import client_ip

    if user is None:
        return
    for tenant_id in _tenant_ids_of(user):
        audit_record(tenant=tenant_id, action="logout", actor=user, ip=client_ip(request) if request else None)


def _on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any) -> None:
    """A failed sign-in belongs to the tenants of the account it tried; the password is never kept."""
    from audit.middleware import client_ip
    from crm.models import User

    username = str(credentials.get("username") or credentials.get("email") or "")[:200]
    if not username:
        return
    user = User.objects.filter(email__iexact=username).first()
    if user is None:
        return  # an unknown address belongs to no tenant; the security app's throttling sees it
    for tenant_id in _tenant_ids_of(user):
        audit_record(
            tenant=tenant_id,
            action="login_failed",
            object_type="crm.user",
            object_id=user.pk,
            object_repr=username,
            changes={"username": [None, username]},
            ip=client_ip(request) if request else None,
        )


def _tenant_ids_of(user: Any) -> list[int]:
    from crm.models import Membership

    return list(Membership.objects.filter(user=user, is_active=True).values_list("tenant_id", flat=True))


# --- Celery: the task's user is the actor ------------------------------------------------------------

_TASK_USER_KEYS = ("user_id", "by_id", "requested_by_id", "actor_id")
_task_tokens: dict[str, Any] = {}


def _on_task_prerun(task_id: str = "", kwargs: dict[str, Any] | None = None, **_: Any) -> None:
    user_id = next((kwargs[key] for key in _TASK_USER_KEYS if kwargs and isinstance(kwargs.get(key), int)), None)
    if user_id is None or current_actor() is not None:
        return
    manager = audit_actor_context(AuditActor(user_id=user_id, request_id=f"task:{task_id}"[:64]))
    manager.__enter__()
    _task_tokens[task_id] = manager


def _on_task_postrun(task_id: str = "", **_: Any) -> None:
    manager = _task_tokens.pop(task_id, None)
    if manager is not None:
        manager.__exit__(None, None, None)


def connect() -> None:
    """Connect the handlers for every audited model that exists (called from AuditConfig.ready)."""
    for audited in AUDITED:
        try:
            model = apps.get_model(audited.label)
        except LookupError:
            continue  # that app has not built the model yet
        _BY_MODEL[model] = audited
        uid = f"audit:{audited.label}"
        post_init.connect(_on_init, sender=model, dispatch_uid=uid, weak=False)
        post_save.connect(_on_save, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(_on_delete, sender=model, dispatch_uid=uid, weak=False)
    user_logged_in.connect(_on_login, dispatch_uid="audit:login", weak=False)
    user_logged_out.connect(_on_logout, dispatch_uid="audit:logout", weak=False)
    user_login_failed.connect(_on_login_failed, dispatch_uid="audit:login_failed", weak=False)

    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_on_task_prerun, dispatch_uid="audit:task_prerun", weak=False)
    task_postrun.connect(_on_task_postrun, dispatch_uid="audit:task_postrun", weak=False)


def audited_models() -> dict[type[models.Model], Audited]:
    return dict(_BY_MODEL)
