"""Pages of product feedback: the report, product area settings, and adding feedback to tickets and
interactions (forms rendered by the partials on those pages)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from feedback import selectors, services
from feedback.forms import FeedbackForm, ProductAreaForm, ReportFilterForm
from feedback.models import FeedbackItem, ProductArea
from interactions.models import Interaction
from service_desk.models import Ticket


@capability_required(Capability.TICKETS_VIEW)
def report(request: HttpRequest) -> HttpResponse:
    filters = ReportFilterForm(request.GET or None)
    area = kind = None
    if filters.is_valid():
        area, kind = filters.cleaned_data.get("area"), filters.cleaned_data.get("kind")
    data = selectors.feedback_report(area_id=area.pk if area else None, kind=kind or "")
    chart = {
        "months": data.months,
        "series": [{"name": str(label), "kind": value, "data": data.trend[value]} for value, label in data.kinds],
    }
    context = {"report": data, "filters": filters, "chart": chart, "has_items": bool(data.rows)}
    return render(request, "feedback/report.html", context)


@capability_required(Capability.TENANT_CONFIGURE)
def area_list(request: HttpRequest) -> HttpResponse:
    form = ProductAreaForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_area_save(tenant=request.tenant, area=None, by=acting_user(request), **form.cleaned_data)  # type: ignore[attr-defined]
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Product area added."))
            return redirect("feedback:areas")
    return render(request, "feedback/areas.html", {"areas": selectors.areas_with_counts(), "form": form})


@object_view(ProductArea)
@capability_required(Capability.TENANT_CONFIGURE)
def area_edit(request: HttpRequest, pk: int) -> HttpResponse:
    area = get_object_for_user(ProductArea.objects.all(), pk)
    initial = {"name": area.name, "description": area.description, "is_active": area.is_active}
    form = ProductAreaForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_area_save(tenant=request.tenant, area=area, by=acting_user(request), **form.cleaned_data)  # type: ignore[attr-defined]
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Product area saved."))
            return redirect("feedback:areas")
    return render(request, "feedback/area_form.html", {"area": area, "form": form})


@object_view(ProductArea)
@capability_required(Capability.TENANT_CONFIGURE)
def area_delete(request: HttpRequest, pk: int) -> HttpResponse:
    area = get_object_for_user(ProductArea.objects.all(), pk)  # first: another tenant's area is a 404
    if request.method != "POST":
        return redirect("feedback:areas")
    if services.product_area_delete(tenant=request.tenant, area=area, by=acting_user(request)):  # type: ignore[attr-defined]
        messages.success(request, _("Product area deleted."))
    else:
        messages.info(request, _("The area has feedback, so it was switched off instead of deleted."))
    return redirect("feedback:areas")


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


def _add(
    request: HttpRequest, *, ticket: Ticket | None, interaction: Interaction | None, fallback: str
) -> HttpResponse:
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Feedback not saved: choose a product area and a type."))
        return _back(request, fallback)
    try:
        services.feedback_add(
            tenant=request.tenant,  # type: ignore[attr-defined]
            ticket=ticket,
            interaction=interaction,
            by=acting_user(request),
            **form.cleaned_data,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Feedback recorded."))
    return _back(request, fallback)


@object_view(Ticket)
@capability_required(Capability.TICKETS_EDIT)
def ticket_feedback_add(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_for_user(Ticket.objects.all(), pk)
    fallback = reverse("service_desk:ticket_detail", args=[ticket.pk])
    if request.method != "POST":
        return redirect(fallback)
    return _add(request, ticket=ticket, interaction=None, fallback=fallback)


@object_view(Interaction)
@capability_required(Capability.INTERACTIONS_EDIT)
def interaction_feedback_add(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = get_object_for_user(Interaction.objects.all(), pk)
    fallback = reverse("interactions:detail", args=[interaction.pk])
    if request.method != "POST":
        return redirect(fallback)
    return _add(request, ticket=None, interaction=interaction, fallback=fallback)


@object_view(FeedbackItem)
@capability_required(Capability.INTERACTIONS_VIEW)
def item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_for_user(FeedbackItem.objects.all(), pk)
    if item.ticket_id:
        fallback, needed = reverse("service_desk:ticket_detail", args=[item.ticket_id]), Capability.TICKETS_EDIT
    else:
        fallback, needed = reverse("interactions:detail", args=[item.interaction_id]), Capability.INTERACTIONS_EDIT
    if not request.membership.can(needed):  # type: ignore[attr-defined]
        raise PermissionDenied(needed)
    if request.method != "POST":
        return redirect(fallback)
    services.feedback_delete(tenant=request.tenant, item=item, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("Feedback removed."))
    return _back(request, fallback)
