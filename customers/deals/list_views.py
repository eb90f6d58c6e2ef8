"""The deal list: filters, sorting, keyset pages, saved views, bulk actions and CSV export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from crm.access import acting_user, capability_required
from crm.lists.views import toolbar_context
from crm.roles import Capability
from crm.sorting import keyset_page, order_by_sort
from customers import exports
from customers.custom_fields.selectors import active_custom_fields
from customers.deals.filters import DealFilter
from customers.lists import DEALS
from customers.models import CustomFieldEntity, Deal
from customers.sorts import DEAL_SORTS

PAGE_SIZE = 50
DEAL_COLUMNS = [
    ("id", "ID"), ("name", "Name"), ("pipeline__name", "Pipeline"), ("stage__name", "Stage"),
    ("stage__kind", "Status"), ("amount", "Amount"), ("currency", "Currency"),
    ("expected_close_date", "Expected close date"), ("owner__email", "Owner"), ("account__name", "Account"),
    ("contact__email", "Contact email"), ("lost_reason", "Reason lost"), ("created_at", "Added"),
]  # fmt: skip


def _deal_filters(request: HttpRequest) -> DealFilter:
    params = request.GET.copy()
    for name in ("after", "format"):
        params.pop(name, None)
    return DealFilter(params, tenant=request.tenant, user=acting_user(request))  # type: ignore[attr-defined]


@capability_required(Capability.CUSTOMERS_VIEW)
def deal_list(request: HttpRequest) -> HttpResponse:
    filters = _deal_filters(request)
    base = filters.qs if filters.is_valid() else Deal.objects.none()
    sort = DEAL_SORTS.get(request.GET.get("sort"), request.tenant)  # type: ignore[attr-defined]
    deals = base.select_related("pipeline", "stage", "owner", "account", "contact")
    page = keyset_page(deals, sort=sort, cursor=request.GET.get("after"), size=PAGE_SIZE)
    params = request.GET.copy()
    params.pop("after", None)
    context = {"page": page, "filters": filters, "params": params.urlencode(), **toolbar_context(request, DEALS, sort)}
    template = "customers/deals/deal_list.html#rows" if request.htmx else "customers/deals/deal_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_GET
@capability_required(Capability.CUSTOMERS_EXPORT)
def deal_export(request: HttpRequest) -> HttpResponseBase:
    """The deal list as filtered and sorted: CSV streamed at any size, XLSX up to XLSX_MAX_ROWS; one
    column per custom field after the standard ones."""
    filters = _deal_filters(request)
    base = filters.qs if filters.is_valid() else Deal.objects.none()
    sort = DEAL_SORTS.get(request.GET.get("sort"), request.tenant)  # type: ignore[attr-defined]
    custom = active_custom_fields(CustomFieldEntity.DEAL)
    rows = order_by_sort(base, sort).values_list(*(field for field, _ in DEAL_COLUMNS), "custom_fields")
    header = [label for _, label in DEAL_COLUMNS] + [field.label for field in custom]
    return exports.export_response(request, rows=rows, header=header, custom=custom, name="deals",
                                   list_url=reverse("deals:list"))  # fmt: skip
