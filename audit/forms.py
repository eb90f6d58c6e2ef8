"""The audit log's filters and the retention setting."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import MIN_RETENTION_MONTHS, AuditAction, AuditEvent


def _start_of(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.NumberFilter(field_name="actor_id", label=_("Actor"))
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label=_("Action"), empty_label=_("Any action"))
    object_type = django_filters.CharFilter(field_name="object_type", lookup_expr="exact", label=_("Object type"))
    object_id = django_filters.CharFilter(field_name="object_id", lookup_expr="exact", label=_("Object id"))
    date_from = django_filters.DateFilter(method="filter_from", label=_("From"))
    date_to = django_filters.DateFilter(method="filter_to", label=_("To"))
    q = django_filters.CharFilter(method="filter_q", label=_("Object name contains"))

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_from(self, queryset: QuerySet[AuditEvent], name: str, value: Any) -> QuerySet[AuditEvent]:
        return queryset.filter(at__gte=_start_of(value))

    def filter_to(self, queryset: QuerySet[AuditEvent], name: str, value: Any) -> QuerySet[AuditEvent]:
        return queryset.filter(at__lt=_start_of(value + timedelta(days=1)))  # the whole "to" day

    def filter_q(self, queryset: QuerySet[AuditEvent], name: str, value: str) -> QuerySet[AuditEvent]:
        value = value.strip()
        return queryset.filter(object_repr__icontains=value) if value else queryset


class AuditSettingsForm(forms.Form):
    retention_months = forms.IntegerField(
        label=_("Keep audit events for (months)"),
        min_value=MIN_RETENTION_MONTHS,
        max_value=1200,
        help_text=_("At least 18 months. Older events are deleted every night."),
    )
