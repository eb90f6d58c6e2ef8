"""Account and contact pages: lists, details, and create / edit / delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy
from django.views.decorators.http import require_GET

from analytics.selectors import contact_scores_context
from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.lists.views import toolbar_context
from crm.roles import Capability
from crm.sorting import order_by_sort
from crm.timeline import timeline_page
from customers import exports, selectors, services
from customers.custom_fields.selectors import active_custom_fields, shown_custom_values
from customers.deals.selectors import open_deals_for
from customers.duplicates.selectors import open_pairs_for
from customers.filters import AccountFilter, ContactFilter
from customers.forms import AccountForm, ContactForm, OrderForm, VersionedForm
from customers.lists import ACCOUNTS, CONTACTS
from customers.models import Account, Contact, CustomFieldEntity, Order
from customers.services import ConcurrentEditError
from customers.sorts import ACCOUNT_SORTS, CONTACT_SORTS
from workspace import field_access


def _contact_filters(request: HttpRequest) -> ContactFilter:
    params = request.GET.copy()
    for name in ("after", "format"):
        params.pop(name, None)
    return ContactFilter(params, tenant=request.tenant, user=acting_user(request))  # type: ignore[attr-defined]


@capability_required(Capability.CUSTOMERS_VIEW)
def contact_list(request: HttpRequest) -> HttpResponse:
    filters = _contact_filters(request)
    base = filters.qs if filters.is_valid() else Contact.objects.none()
    sort = CONTACT_SORTS.get(request.GET.get("sort"), request.tenant)  # type: ignore[attr-defined]
    page = selectors.contact_page(cursor=request.GET.get("after"), base=base, sort=sort)
    params = request.GET.copy()
    params.pop("after", None)
    context = {
        "page": page,
        "filters": filters,
        "params": params.urlencode(),
        "query": request.GET.get("q", ""),
        "hidden_fields": field_access.hidden_fields(request, field_access.CONTACT),
        **toolbar_context(request, CONTACTS, sort),
    }
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
        "timeline": timeline_page(contact=contact),
        "timeline_url": reverse("customers:contact-timeline", args=[contact.pk]),
        "open_deals": open_deals_for(contact=contact),
        "custom_values": shown_custom_values(CustomFieldEntity.CONTACT, contact.custom_fields),
        "duplicates": open_pairs_for(contact),
        "hidden_fields": field_access.hidden_fields(request, field_access.CONTACT),
        **contact_scores_context(contact),
    }
    return render(request, "customers/contact_detail.html", context)


@capability_required(Capability.CUSTOMERS_VIEW)
def account_list(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    params.pop("after", None)
    filters = AccountFilter(params, tenant=request.tenant, user=acting_user(request))  # type: ignore[attr-defined]
    base = filters.qs if filters.is_valid() else Account.objects.none()
    sort = ACCOUNT_SORTS.get(request.GET.get("sort"), request.tenant)  # type: ignore[attr-defined]
    page = selectors.account_page(cursor=request.GET.get("after"), base=base, sort=sort)
    template = "customers/account_list.html#rows" if request.htmx else "customers/account_list.html"  # type: ignore[attr-defined]
    context = {
        "page": page,
        "filters": filters,
        "params": params.urlencode(),
        **toolbar_context(request, ACCOUNTS, sort),
    }
    return render(request, template, context)


@object_view(Account)
@capability_required(Capability.CUSTOMERS_VIEW)
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_for_user(selectors.accounts_for_detail(), pk)
    context = {
        "account": account,
        "contacts": selectors.account_contacts(account),
        "orders": selectors.recent_orders(account=account),
        "order_summary": selectors.order_summary(account=account),
        "timeline": timeline_page(account=account),
        "timeline_url": reverse("customers:account-timeline", args=[account.pk]),
        "open_deals": open_deals_for(account=account),
        "custom_values": shown_custom_values(CustomFieldEntity.ACCOUNT, account.custom_fields),
        "hidden_fields": field_access.hidden_fields(request, field_access.ACCOUNT),
    }
    return render(request, "customers/account_detail.html", context)


def _consequences(*lines: tuple[int, Any]) -> list[str]:
    """What a delete does: one sentence per non-zero count, from ngettext_lazy(..., "n") messages."""
    return [str(message % {"n": count}) for count, message in lines if count]


def _save_form(request: HttpRequest, form: VersionedForm, save: Callable[[], Model], success: str) -> Model | None:
    """Run the service; a concurrent edit or a rule it enforces becomes a form error."""
    try:
        record = save()
    except ConcurrentEditError as conflict:
        form.add_error(None, str(conflict))
        data = form.data.copy()  # type: ignore[attr-defined]  # a QueryDict from request.POST
        data["version"] = str(conflict.current.version)  # re-submitting means "overwrite after review"
        form.data = data
        return None
    except ValueError as rule:
        form.add_error(None, str(rule))
        return None
    messages.success(request, success)
    return record


def _form_page(
    request: HttpRequest,
    form: VersionedForm,
    save: Callable[[], Model],
    *,
    success: str,
    detail_route: str,
    template: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The create/edit page pattern: on a valid POST save and go to the record, else (re)show the form."""
    if request.method == "POST" and form.is_valid():
        record = _save_form(request, form, save, success)
        if record is not None:
            return redirect(detail_route, record.pk)
    return render(request, template, {"form": form, **(context or {})})


@capability_required(Capability.CUSTOMERS_EDIT)
def contact_create(request: HttpRequest) -> HttpResponse:
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    form = ContactForm(request.POST or None, tenant=tenant, initial={"owner": user.pk})
    field_access.restrict_form(form, request, field_access.CONTACT)
    return _form_page(
        request,
        form,
        lambda: services.contact_create(tenant=tenant, data=form.changes(), by=user),
        success=_("Contact created."),
        detail_route="customers:contact-detail",
        template="customers/contact_form.html",
    )


@object_view(Contact)
@capability_required(Capability.CUSTOMERS_EDIT)
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    contact = get_object_for_user(selectors.contacts_for_detail(), pk)
    form = ContactForm(request.POST or None, instance=contact, tenant=tenant)
    field_access.restrict_form(form, request, field_access.CONTACT)
    return _form_page(
        request,
        form,
        lambda: services.contact_update(
            tenant=tenant, contact=contact, data=form.changes(), expected_version=form.expected_version(), by=user
        ),
        success=_("Contact saved."),
        detail_route="customers:contact-detail",
        template="customers/contact_form.html",
        context={"contact": contact},
    )


@object_view(Contact)
@capability_required(Capability.CUSTOMERS_DELETE)
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_for_user(selectors.contacts_for_detail(), pk)
    if request.method == "POST":
        services.contact_delete(tenant=request.tenant, contact=contact, by=request.user)  # type: ignore[attr-defined,arg-type]
        messages.success(request, _("%(name)s was deleted.") % {"name": contact.full_name})
        return redirect("customers:contact-list")
    impact = selectors.contact_delete_impact(contact)
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object_name": contact.full_name,
            "cancel_url": reverse("customers:contact-detail", args=[contact.pk]),
            "consequences": _consequences(
                (
                    impact["orders"],
                    ngettext_lazy("%(n)d order is deleted with it.", "%(n)d orders are deleted with it.", "n"),
                ),
                (
                    impact["interactions"],
                    ngettext_lazy(
                        "%(n)d interaction is deleted with it.", "%(n)d interactions are deleted with it.", "n"
                    ),
                ),
            ),
        },
    )


@capability_required(Capability.CUSTOMERS_EDIT)
def account_create(request: HttpRequest) -> HttpResponse:
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    form = AccountForm(request.POST or None, tenant=tenant, initial={"owner": user.pk})
    field_access.restrict_form(form, request, field_access.ACCOUNT)
    return _form_page(
        request,
        form,
        lambda: services.account_create(tenant=tenant, data=form.changes(), by=user),
        success=_("Account created."),
        detail_route="customers:account-detail",
        template="customers/account_form.html",
    )


@object_view(Account)
@capability_required(Capability.CUSTOMERS_EDIT)
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    account = get_object_for_user(selectors.accounts_for_detail(), pk)
    form = AccountForm(request.POST or None, instance=account, tenant=tenant)
    field_access.restrict_form(form, request, field_access.ACCOUNT)
    return _form_page(
        request,
        form,
        lambda: services.account_update(
            tenant=tenant, account=account, data=form.changes(), expected_version=form.expected_version(), by=user
        ),
        success=_("Account saved."),
        detail_route="customers:account-detail",
        template="customers/account_form.html",
        context={"account": account},
    )


@object_view(Account)
@capability_required(Capability.CUSTOMERS_DELETE)
def account_delete(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_for_user(selectors.accounts_for_detail(), pk)
    if request.method == "POST":
        services.account_delete(tenant=request.tenant, account=account, by=request.user)  # type: ignore[attr-defined,arg-type]
        messages.success(request, _("%(name)s was deleted.") % {"name": account.name})
        return redirect("customers:account-list")
    impact = selectors.account_delete_impact(account)
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object_name": account.name,
            "cancel_url": reverse("customers:account-detail", args=[account.pk]),
            "consequences": [
                *_consequences(
                    (
                        impact["contacts"],
                        ngettext_lazy(
                            "%(n)d contact stays, without this account.",
                            "%(n)d contacts stay, without this account.",
                            "n",
                        ),
                    ),
                    (
                        impact["subsidiaries"],
                        ngettext_lazy(
                            "%(n)d subsidiary stays, without a parent.",
                            "%(n)d subsidiaries stay, without a parent.",
                            "n",
                        ),
                    ),
                ),
                _("Its orders stay on their contacts."),
            ],
        },
    )


@require_GET
@capability_required(Capability.CUSTOMERS_VIEW)
def account_options(request: HttpRequest) -> HttpResponse:
    accounts = selectors.account_options(request.GET.get("lookup", "").strip())
    return render(request, "customers/_account_options.html", {"accounts": accounts})


@object_view(Contact)
@capability_required(Capability.CUSTOMERS_EDIT)
def order_create(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    contact = get_object_for_user(selectors.contacts_for_detail(), pk)
    form = OrderForm(request.POST or None, tenant=tenant, contact=contact)
    if request.method == "POST" and form.is_valid():
        services.order_create(tenant=tenant, contact=contact, data=form.cleaned_data, by=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Order added."))
        return redirect("customers:contact-detail", contact.pk)
    return render(request, "customers/order_form.html", {"form": form, "contact": contact})


@object_view(Order)
@capability_required(Capability.CUSTOMERS_EDIT)
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    order = get_object_for_user(selectors.orders_for_detail(), pk)
    form = OrderForm(request.POST or None, instance=order, tenant=tenant, contact=order.contact)
    if request.method == "POST" and form.is_valid():
        services.order_update(tenant=tenant, order=order, data=form.cleaned_data, by=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Order saved."))
        return redirect("customers:contact-detail", order.contact_id) if order.contact_id else redirect("dashboard")
    return render(request, "customers/order_form.html", {"form": form, "contact": order.contact, "order": order})


@object_view(Order)
@capability_required(Capability.CUSTOMERS_DELETE)
def order_delete(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_for_user(selectors.orders_for_detail(), pk)
    back = reverse("customers:contact-detail", args=[order.contact_id]) if order.contact_id else reverse("dashboard")
    if request.method == "POST":
        services.order_delete(tenant=request.tenant, order=order, by=request.user)  # type: ignore[attr-defined,arg-type]
        messages.success(request, _("Order deleted."))
        return redirect(back)
    label = _("the order of %(amount)s %(currency)s on %(date)s") % {
        "amount": order.amount,
        "currency": order.currency,
        "date": timezone.localtime(order.ordered_at).date().isoformat(),
    }
    return render(
        request,
        "customers/confirm_delete.html",
        {"object_name": label, "cancel_url": back, "consequences": [_("Revenue figures will no longer count it.")]},
    )


@object_view(Contact)
@capability_required(Capability.CUSTOMERS_VIEW)
def contact_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The next page of a contact's timeline (htmx "Show older")."""
    contact = get_object_for_user(selectors.contacts_for_detail(), pk)
    context = {
        "timeline": timeline_page(contact=contact, cursor=request.GET.get("before")),
        "timeline_url": reverse("customers:contact-timeline", args=[contact.pk]),
    }
    return render(request, "customers/_timeline.html#entries", context)


@object_view(Account)
@capability_required(Capability.CUSTOMERS_VIEW)
def account_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_for_user(selectors.accounts_for_detail(), pk)
    context = {
        "timeline": timeline_page(account=account, cursor=request.GET.get("before")),
        "timeline_url": reverse("customers:account-timeline", args=[account.pk]),
    }
    return render(request, "customers/_timeline.html#entries", context)


@require_GET
@capability_required(Capability.CUSTOMERS_EXPORT)
def contact_export(request: HttpRequest) -> HttpResponseBase:
    """The contact list as filtered and sorted: CSV streamed at any size, XLSX up to XLSX_MAX_ROWS."""
    filters = _contact_filters(request)
    base = filters.qs if filters.is_valid() else Contact.objects.none()
    custom = active_custom_fields(CustomFieldEntity.CONTACT)
    sort = CONTACT_SORTS.get(request.GET.get("sort"), request.tenant)  # type: ignore[attr-defined]
    columns = field_access.visible_columns(exports.CONTACT_COLUMNS, request, field_access.CONTACT)
    fields = [f for f, _ in columns] + ["custom_fields"]
    rows = selectors.contacts_for_export(base=base, sort=sort, fields=fields)
    header = [label for _, label in columns] + [field.label for field in custom]
    return exports.export_response(request, rows=rows, header=header, custom=custom,
                                   name="contacts", list_url=reverse("customers:contact-list"))  # fmt: skip


@require_GET
@capability_required(Capability.CUSTOMERS_EXPORT)
def account_export(request: HttpRequest) -> HttpResponseBase:
    """The account list as filtered and sorted, like the contact export."""
    params = request.GET.copy()
    for name in ("after", "format"):
        params.pop(name, None)
    filters = AccountFilter(params, tenant=request.tenant, user=acting_user(request))  # type: ignore[attr-defined]
    base = filters.qs if filters.is_valid() else Account.objects.none()
    custom = active_custom_fields(CustomFieldEntity.ACCOUNT)
    sort = ACCOUNT_SORTS.get(request.GET.get("sort"), request.tenant)  # type: ignore[attr-defined]
    columns = field_access.visible_columns(exports.ACCOUNT_COLUMNS, request, field_access.ACCOUNT)
    rows = order_by_sort(base, sort).values_list(*(f for f, _ in columns), "custom_fields")
    header = [label for _, label in columns] + [field.label for field in custom]
    return exports.export_response(request, rows=rows, header=header, custom=custom, name="accounts",
                                   list_url=reverse("customers:account-list"))  # fmt: skip
