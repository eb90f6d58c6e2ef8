"""Reads of custom-field definitions (scoped to the current tenant by the model's manager)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from crm.tenancy.context import current_tenant_id, request_memo
from customers.custom_fields.values import display_value
from customers.models import CustomField


def active_custom_fields(entity: str) -> list[CustomField]:
    """The fields shown on forms, pages, filters and exports of ``entity``, in the admin's order
    (read once per request: the filters, the sort menu and the form all ask)."""
    memo, key = request_memo(), ("active_custom_fields", current_tenant_id(), entity)
    if memo is not None and key in memo:
        return list(memo[key])  # type: ignore[call-overload]
    fields = list(CustomField.objects.filter(entity=entity, archived_at__isnull=True).order_by("position", "id"))
    if memo is not None:
        memo[key] = fields
    return list(fields)


def custom_fields_for_admin() -> QuerySet[CustomField]:
    return CustomField.objects.order_by("entity", "archived_at", "position", "id")


def records_with_value(field: CustomField, value: object | None = None) -> int:
    """How many records hold a value for ``field`` (or this choice ``value``): the admin is told before
    a change that would strand them. A scan of the tenant's rows: JSON operators are not LEAKPROOF, so
    no index serves them under row-level security; this runs on admin actions only."""
    model = field.record_model()
    records = model.objects.filter(custom_fields__has_key=field.key)
    if value is not None:
        records = model.objects.filter(custom_fields__contains={field.key: value}) | model.objects.filter(
            custom_fields__contains={field.key: [value]}
        )
    return records.count()


@dataclass(frozen=True)
class ShownValue:
    field: CustomField
    text: str
    is_link: bool


def shown_custom_values(entity: str, values: dict[str, Any]) -> list[ShownValue]:
    """The record's active custom fields as the detail page shows them (empty ones too, as "—")."""
    return [
        ShownValue(field=field, text=display_value(field, values.get(field.key)), is_link=field.field_type == "url")
        for field in active_custom_fields(entity)
    ]
