"""List filters on custom fields, added to a django-filter FilterSet for the tenant's active fields.

Each field gets filters named after it: ``cf_<key>`` (text, web address, choice, multi-choice, yes/no),
``cf_<key>_min`` / ``_max`` (numbers) and ``cf_<key>_from`` / ``_to`` (dates). Values are compared as
stored by values.py: JSON numbers numerically, ISO dates as text (which sorts like dates).

Under row-level security no index serves JSON operators (they are not LEAKPROOF), so these filters
read the rows the other filters leave; docs/benchmarks.md has what that costs at a million contacts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils.translation import gettext as _

from crm.filter_menu import FilterInput, MoreFiltersMixin
from customers.custom_fields.selectors import active_custom_fields
from customers.models import CustomField, CustomFieldType


def _value(key: str) -> KeyTransform:
    return KeyTransform(key, "custom_fields")


def _filters_for(field: CustomField) -> dict[str, django_filters.Filter]:
    name, key = field.form_field_name, field.key

    def apply(lookup: str, *, text: bool = False) -> Any:
        def method(queryset: QuerySet[Any], _name: str, value: Any) -> QuerySet[Any]:
            if value in (None, ""):
                return queryset
            expression = KeyTextTransform(key, "custom_fields") if text else _value(key)
            if isinstance(value, Decimal):  # compared as a JSON number
                value = float(value)
            return queryset.alias(**{name: expression}).filter(**{f"{name}__{lookup}": value})

        return method

    match field.field_type:
        case CustomFieldType.NUMBER:
            return {
                f"{name}_min": django_filters.NumberFilter(method=apply("gte"), label=field.label),
                f"{name}_max": django_filters.NumberFilter(method=apply("lte"), label=field.label),
            }
        case CustomFieldType.DATE:
            return {
                f"{name}_from": django_filters.DateFilter(method=_date_bound(key, name, "gte"), label=field.label),
                f"{name}_to": django_filters.DateFilter(method=_date_bound(key, name, "lte"), label=field.label),
            }
        case CustomFieldType.CHOICE:
            choices = [(choice, choice) for choice in field.choices]
            return {name: django_filters.ChoiceFilter(method=apply("exact"), choices=choices, label=field.label)}
        case CustomFieldType.MULTI_CHOICE:
            choices = [(choice, choice) for choice in field.choices]
            return {name: django_filters.ChoiceFilter(method=_list_has(key, name), choices=choices, label=field.label)}
        case CustomFieldType.BOOLEAN:
            return {name: django_filters.BooleanFilter(method=apply("exact"), label=field.label)}
        case _:
            return {name: django_filters.CharFilter(method=apply("icontains", text=True), label=field.label)}


def _date_bound(key: str, name: str, lookup: str) -> Any:
    def method(queryset: QuerySet[Any], _name: str, value: Any) -> QuerySet[Any]:
        if value is None:
            return queryset
        return queryset.alias(**{name: KeyTextTransform(key, "custom_fields")}).filter(
            **{f"{name}__{lookup}": value.isoformat()}
        )

    return method


def _list_has(key: str, name: str) -> Any:
    def method(queryset: QuerySet[Any], _name: str, value: Any) -> QuerySet[Any]:
        if not value:
            return queryset
        return queryset.alias(**{name: _value(key)}).filter(**{f"{name}__contains": [value]})

    return method


def _inputs_for(field: CustomField) -> list[FilterInput]:
    name, label = field.form_field_name, field.label
    match field.field_type:
        case CustomFieldType.NUMBER:
            return [
                FilterInput(f"{name}_min", _("%(label)s from") % {"label": label}, "number", []),
                FilterInput(f"{name}_max", _("%(label)s to") % {"label": label}, "number", []),
            ]
        case CustomFieldType.DATE:
            return [
                FilterInput(f"{name}_from", _("%(label)s from") % {"label": label}, "date", []),
                FilterInput(f"{name}_to", _("%(label)s to") % {"label": label}, "date", []),
            ]
        case CustomFieldType.CHOICE | CustomFieldType.MULTI_CHOICE:
            return [FilterInput(name, label, "select", [(choice, choice) for choice in field.choices])]
        case CustomFieldType.BOOLEAN:
            return [FilterInput(name, label, "select", [("true", _("Yes")), ("false", _("No"))])]
        case _:
            return [FilterInput(name, label, "text", [])]


class CustomFieldFilterMixin(MoreFiltersMixin):
    """Call ``add_custom_field_filters(entity)`` in the FilterSet's ``__init__``."""

    filters: dict[str, django_filters.Filter]

    def add_custom_field_filters(self, entity: str) -> None:
        for field in active_custom_fields(entity):
            self.filters.update(_filters_for(field))
            self.add_filter_group(field.label, _inputs_for(field))
