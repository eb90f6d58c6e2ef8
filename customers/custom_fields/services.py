"""Writes to custom-field definitions. Values are written with their records (customers/services.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.models import Tenant, User
from customers.models import CustomField


@transaction.atomic
def custom_field_create(*, tenant: Tenant, data: dict[str, Any], by: User) -> CustomField:
    field = CustomField(tenant=tenant, **data)
    field.save()
    return field


@transaction.atomic
def custom_field_update(*, tenant: Tenant, field: CustomField, data: dict[str, Any], by: User) -> CustomField:
    # Key, record type and type are fixed: stored values were validated against them.
    editable = {name: data[name] for name in ("label", "required", "help_text", "position", "choices") if name in data}
    CustomField.objects.filter(pk=field.pk).update(**editable)
    return CustomField.objects.get(pk=field.pk)


@transaction.atomic
def custom_field_archive(*, tenant: Tenant, field: CustomField, by: User) -> None:
    """Hide the field everywhere; its values stay on the records, so restoring brings them back."""
    CustomField.objects.filter(pk=field.pk, archived_at__isnull=True).update(archived_at=timezone.now())


@transaction.atomic
def custom_field_restore(*, tenant: Tenant, field: CustomField, by: User) -> None:
    CustomField.objects.filter(pk=field.pk).update(archived_at=None)
