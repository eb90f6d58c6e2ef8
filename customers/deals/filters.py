"""The deal list's filters (django-filter): parsed and validated here, applied to a scoped queryset."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from crm.models import Tenant, User
from customers.custom_fields.filters import CustomFieldFilterMixin
from customers.filters import OwnerFilterMixin
from customers.models import CustomFieldEntity, Deal, Pipeline, Stage, StageKind
from customers.selectors import deal_search_filter


class DealFilter(CustomFieldFilterMixin, OwnerFilterMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    pipeline = django_filters.ChoiceFilter(method="filter_pipeline", label=_("Pipeline"), choices=[])
    stage = django_filters.ChoiceFilter(method="filter_stage", label=_("Stage"), choices=[])
    owner = django_filters.ChoiceFilter(method="filter_owner", label=_("Owner"), choices=[])
    status = django_filters.ChoiceFilter(field_name="stage__kind", choices=StageKind.choices, label=_("Status"))
    close_from = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="gte", label=_("Closing from"), widget=forms.DateInput
    )
    close_to = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="lte", label=_("Closing until"), widget=forms.DateInput
    )

    class Meta:
        model = Deal
        fields: list[str] = []

    def __init__(self, data: Any, *, tenant: Tenant, user: User) -> None:
        super().__init__(data, queryset=Deal.objects.all())
        self.tenant, self.user = tenant, user
        self.set_owner_choices(tenant)
        self.add_custom_field_filters(CustomFieldEntity.DEAL)
        pipelines = list(Pipeline.objects.order_by("position", "id").values_list("pk", "name"))
        names = dict(pipelines)
        stages = Stage.objects.order_by("pipeline__position", "pipeline_id", "position", "id")
        self.filters["pipeline"].extra["choices"] = [(str(pk), name) for pk, name in pipelines]
        self.filters["stage"].extra["choices"] = [
            (str(pk), f"{names.get(pipeline_id, '')} · {name}" if len(pipelines) > 1 else name)
            for pk, pipeline_id, name in stages.values_list("pk", "pipeline_id", "name")
        ]

    def filter_search(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        # A byte-order range on the lower-case name: served by deal_name_prefix_idx under RLS (LIKE is not).
        return queryset.filter(deal_search_filter(value)) if value.strip() else queryset

    def filter_pipeline(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        return queryset.filter(pipeline_id=int(value))

    def filter_stage(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        return queryset.filter(stage_id=int(value))
