"""Sort options for custom fields (crm/sorting.py providers): one per sortable field of the tenant.

Records without a value sort last either way: a 0/1 "has no value" column goes first in the row
value, in the same direction as the value itself. No index can serve these sorts (each tenant has
its own keys, and JSON operators are not LEAKPROOF under row-level security), so PostgreSQL reads
the rows the filters leave and keeps the top page: docs/benchmarks.md has the cost at a million.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Case, DateField, FloatField, IntegerField, TextField, Value, When
from django.db.models.expressions import Expression
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _

from crm.sorting import SortOption
from customers.custom_fields.selectors import active_custom_fields
from customers.models import CustomField, CustomFieldType

SORT_KEY_PREFIX = "cf_"


def _missing_rank(key: str, *, descending: bool) -> Case:
    """0 for "has a value", 1 for none; reversed when the sort is descending, so empties stay last."""
    has, lacks = (1, 0) if descending else (0, 1)
    return Case(
        When(**{"custom_fields__has_key": key}, then=Value(has)), default=Value(lacks), output_field=IntegerField()
    )


def _value(field: CustomField) -> Expression:
    text = KeyTextTransform(field.key, "custom_fields")
    match field.field_type:
        case CustomFieldType.NUMBER:
            return Coalesce(Cast(text, FloatField()), Value(0.0))
        case CustomFieldType.DATE:
            return Coalesce(Cast(text, DateField()), Value("1970-01-01", output_field=DateField()))
        case _:
            return Coalesce(text, Value(""), output_field=TextField())


def options_for(field: CustomField) -> list[SortOption]:
    if field.field_type in (CustomFieldType.MULTI_CHOICE, CustomFieldType.BOOLEAN):
        return []
    key, label = f"{SORT_KEY_PREFIX}{field.key}", {"label": field.label}

    def columns(*, descending: bool) -> tuple[Expression | str, ...]:
        return (_missing_rank(field.key, descending=descending), _value(field), "id")

    if field.field_type == CustomFieldType.NUMBER:
        high, low = _("%(label)s: highest first") % label, _("%(label)s: lowest first") % label
    elif field.field_type == CustomFieldType.DATE:
        high, low = _("%(label)s: latest first") % label, _("%(label)s: earliest first") % label
    else:
        return [SortOption(key, _("%(label)s: A to Z") % label, columns(descending=False))]
    return [
        SortOption(f"{key}_desc", high, columns(descending=True), descending=True),
        SortOption(key, low, columns(descending=False)),
    ]


def provider_for(entity: str) -> Callable[[Any], list[SortOption]]:
    """A crm.sorting provider: the sort options of ``entity``'s active custom fields (current tenant)."""

    def provide(tenant: Any) -> list[SortOption]:
        return [option for field in active_custom_fields(entity) for option in options_for(field)]

    return provide
