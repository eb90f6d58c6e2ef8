"""Writes to static lists: create, rename, delete, and members in bulk (set-wise SQL, idempotent)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import StaticList, StaticListMember
from crm.models import Tenant, User


class StaticListNameTaken(ValueError):
    """Another list of the tenant already has this name (names compare case-insensitively)."""


def _lists_named(name: str) -> QuerySet[StaticList]:
    """Lists of this name in any case (the unique index compares lower-cased names too)."""
    return StaticList.objects.annotate(name_key=Lower("name")).filter(name_key=name.strip().lower())


def _name_taken(name: str, *, exclude: StaticList | None = None) -> bool:
    others = _lists_named(name)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


@transaction.atomic
def static_list_create(*, tenant: Tenant, name: str, description: str = "", by: User) -> StaticList:
    name = name.strip()
    if _name_taken(name):
        raise StaticListNameTaken(_("A list named “%(name)s” already exists.") % {"name": name})
    return StaticList.objects.create(tenant=tenant, name=name, description=description.strip(), created_by=by)


@transaction.atomic
def static_list_update(*, tenant: Tenant, static_list: StaticList, name: str, description: str) -> StaticList:
    name = name.strip()
    if _name_taken(name, exclude=static_list):
        raise StaticListNameTaken(_("A list named “%(name)s” already exists.") % {"name": name})
    static_list.name, static_list.description, static_list.updated_at = name, description.strip(), timezone.now()
    static_list.save(update_fields=["name", "description", "updated_at"])
    return static_list


@transaction.atomic
def static_list_delete(*, tenant: Tenant, static_list: StaticList) -> None:
    # Every member row of every rep, not only the ones this user may see: the list goes whole.
    StaticListMember.unscoped_objects.filter(tenant=tenant, static_list=static_list).delete()
    static_list.delete()


def static_list_get_or_create(*, tenant: Tenant, name: str, by: User) -> StaticList:
    """The list with this name (any case), created if missing; safe when two requests race."""
    name = name.strip()
    existing = _lists_named(name).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return StaticList.objects.create(tenant=tenant, name=name, created_by=by)
    except IntegrityError:  # created by a concurrent request between the lookup and the insert
        return _lists_named(name).get()


@transaction.atomic
def static_list_add_contacts(*, tenant: Tenant, static_list: StaticList, contacts: QuerySet[Any], by: User) -> int:
    """Add every contact of ``contacts`` (already scoped to the user) not yet in the list; returns how many
    were added. One INSERT ... SELECT with ON CONFLICT DO NOTHING, so running it again adds nobody twice."""
    selection_sql, selection_params = contacts.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO campaigns_staticlistmember (tenant_id, static_list_id, contact_id, added_by_id, added_at) "
            f"SELECT %s, %s, selection.id, %s, %s FROM ({selection_sql}) AS selection(id) "
            "ON CONFLICT (tenant_id, static_list_id, contact_id) DO NOTHING",
            [tenant.pk, static_list.pk, by.pk, timezone.now(), *selection_params],
        )
        added = cursor.rowcount
    if added:
        StaticList.objects.filter(pk=static_list.pk).update(updated_at=timezone.now())
    return added


@transaction.atomic
def static_list_remove_contacts(*, tenant: Tenant, static_list: StaticList, contacts: QuerySet[Any]) -> int:
    removed, _ = StaticListMember.objects.filter(static_list=static_list, contact__in=contacts.values("pk")).delete()
    if removed:
        StaticList.objects.filter(pk=static_list.pk).update(updated_at=timezone.now())
    return removed
