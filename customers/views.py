"""Account and contact pages (read side; editing arrives with the customers issue)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.access import capability_required, get_object_for_user, object_view
from crm.roles import Capability
from customers import selectors
from customers.models import Account, Contact, LifecycleStage
from interactions.selectors import recent_interactions


@capability_required(Capability.CUSTOMERS_VIEW)
def contact_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    stage = request.GET.get("stage", "")
    page = selectors.contact_page(cursor=request.GET.get("after"), query=query, stage=stage)
    context = {"page": page, "query": query, "stage": stage, "stages": LifecycleStage.choices}
    template = "customers/contact_list.html#rows" if request.htmx else "customers/contact_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@object_view(Contact)
@capability_required(Capability.CUSTOMERS_VIEW)
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_for_user(selectors.contacts_for_detail(), pk)
    context = {
        "contact": contact,
        "orders": selectors.recent_orders(contact=contact),
        "order_summary": selectors.order_summary(contact=contact),
        "interactions": recent_interactions(contact=contact, limit=20),
    }
    return render(request, "customers/contact_detail.html", context)


@capability_required(Capability.CUSTOMERS_VIEW)
def account_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = selectors.account_page(cursor=request.GET.get("after"), query=query)
    template = "customers/account_list.html#rows" if request.htmx else "customers/account_list.html"  # type: ignore[attr-defined]
    return render(request, template, {"page": page, "query": query})


@object_view(Account)
@capability_required(Capability.CUSTOMERS_VIEW)
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_for_user(selectors.accounts_for_detail(), pk)
    context = {
        "account": account,
        "contacts": selectors.account_contacts(account),
        "orders": selectors.recent_orders(account=account),
        "order_summary": selectors.order_summary(account=account),
        "interactions": recent_interactions(account=account, limit=20),
    }
    return render(request, "customers/account_detail.html", context)
