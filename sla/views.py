"""Settings pages of the sla app: business hours and holidays, SLA policies, escalation rules, routing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from service_desk.models import Queue
from sla import escalations, selectors, services
from sla import routing as routing_services
from sla.forms import (
    BusinessHoursForm,
    EscalationRuleForm,
    HolidayForm,
    PolicyForm,
    QueueModeForm,
    RoutingRuleForm,
)
from sla.models import EscalationRule, Holiday, RoutingRule, SlaPolicy

CONFIGURE = Capability.TENANT_CONFIGURE


def _add_errors(form: Any, error: ValidationError) -> None:
    """A service's ValidationError, shown next to the fields it names."""
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


# --- business hours -----------------------------------------------------------------------------------


@capability_required(CONFIGURE)
def business_hours(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    calendar = services.calendar_get(tenant=tenant)
    form = BusinessHoursForm(
        request.POST if request.method == "POST" else None, initial=BusinessHoursForm.initial_from(calendar)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.calendar_update(
                tenant=tenant,
                time_zone=form.cleaned_data["time_zone"],
                always_open=form.cleaned_data["always_open"],
                weekly_hours=form.cleaned_data["weekly_hours"],
                by=acting_user(request),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Business hours saved. Running SLA clocks are being recomputed."))
            return redirect("sla:business_hours")
    context = {
        "form": form,
        "calendar": calendar,
        "holidays": calendar.holidays.all(),
        "holiday_form": HolidayForm(),
        "workspace_zone": tenant.time_zone,
    }
    return render(request, "sla/business_hours.html", context)


@capability_required(CONFIGURE)
@require_POST
def holiday_add(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            services.holiday_add(
                tenant=tenant, day=form.cleaned_data["date"], name=form.cleaned_data["name"], by=acting_user(request)
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Holiday added."))
            return redirect("sla:business_hours")
    calendar = services.calendar_get(tenant=tenant)
    context = {
        "form": BusinessHoursForm(initial=BusinessHoursForm.initial_from(calendar)),
        "calendar": calendar,
        "holidays": calendar.holidays.all(),
        "holiday_form": form,
        "workspace_zone": tenant.time_zone,
    }
    return render(request, "sla/business_hours.html", context, status=400)


@object_view(Holiday)
@capability_required(CONFIGURE)
def holiday_delete(request: HttpRequest, pk: int) -> HttpResponse:
    holiday = get_object_for_user(Holiday.objects.all(), pk)  # first: another tenant's object is a 404
    if request.method != "POST":
        return redirect("sla:business_hours")
    services.holiday_delete(tenant=request.tenant, holiday=holiday, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("Holiday removed."))
    return redirect("sla:business_hours")


# --- policies and escalations -------------------------------------------------------------------------


def _policy_form_page(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    form = PolicyForm(request.POST if request.method == "POST" else None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_save(
                tenant=request.tenant,  # type: ignore[attr-defined]
                policy=policy,
                by=acting_user(request),
                **{name: form.cleaned_data[name] for name in PolicyForm.Meta.fields},
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("SLA policy saved. Running SLA clocks are being recomputed."))
            return redirect("sla:policies")
    return render(request, "sla/policy_form.html", {"form": form, "policy": policy})


@capability_required(CONFIGURE)
def policy_list(request: HttpRequest) -> HttpResponse:
    context = {
        "policies": selectors.policies(),
        "rules": selectors.escalation_rules(),
        "defaults": services.DEFAULT_TARGETS,
    }
    return render(request, "sla/policy_list.html", context)


@capability_required(CONFIGURE)
@require_POST
def policy_defaults(request: HttpRequest) -> HttpResponse:
    """Create the suggested policy for every priority that has none."""
    tenant = request.tenant  # type: ignore[attr-defined]
    existing = set(SlaPolicy.objects.filter(tier_field="").values_list("priority", flat=True))
    with transaction.atomic():
        for priority, (first, resolution) in services.DEFAULT_TARGETS.items():
            if priority not in existing:
                services.policy_save(
                    tenant=tenant,
                    policy=None,
                    priority=priority,
                    first_response_minutes=first,
                    resolution_minutes=resolution,
                    by=acting_user(request),
                )
    messages.success(request, _("Suggested policies added."))
    return redirect("sla:policies")


@capability_required(CONFIGURE)
def policy_create(request: HttpRequest) -> HttpResponse:
    return _policy_form_page(request, None)


@object_view(SlaPolicy)
@capability_required(CONFIGURE)
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _policy_form_page(request, get_object_for_user(SlaPolicy.objects.all(), pk))


@object_view(SlaPolicy)
@capability_required(CONFIGURE)
def policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    policy = get_object_for_user(SlaPolicy.objects.all(), pk)  # first: another tenant's object is a 404
    if request.method != "POST":
        return redirect("sla:policies")
    services.policy_delete(tenant=request.tenant, policy=policy, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("SLA policy deleted."))
    return redirect("sla:policies")


def _escalation_form_page(request: HttpRequest, rule: EscalationRule | None) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    form = EscalationRuleForm(request.POST if request.method == "POST" else None, instance=rule, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        escalations.escalation_rule_save(tenant=tenant, rule=form.save(commit=False), by=acting_user(request))
        messages.success(request, _("Escalation rule saved."))
        return redirect("sla:policies")
    return render(request, "sla/escalation_form.html", {"form": form, "rule": rule})


@capability_required(CONFIGURE)
def escalation_create(request: HttpRequest) -> HttpResponse:
    return _escalation_form_page(request, None)


@object_view(EscalationRule)
@capability_required(CONFIGURE)
def escalation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _escalation_form_page(request, get_object_for_user(EscalationRule.objects.all(), pk))


@object_view(EscalationRule)
@capability_required(CONFIGURE)
def escalation_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_for_user(EscalationRule.objects.all(), pk)  # first: another tenant's object is a 404
    if request.method != "POST":
        return redirect("sla:policies")
    escalations.escalation_rule_delete(tenant=request.tenant, rule=rule, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("Escalation rule deleted."))
    return redirect("sla:policies")


# --- routing --------------------------------------------------------------------------------------------


@capability_required(CONFIGURE)
def routing(request: HttpRequest) -> HttpResponse:
    context = {
        "rules": selectors.routing_rules(),
        "queues": selectors.queues_with_modes(),
        "mode_form": QueueModeForm(),
    }
    return render(request, "sla/routing.html", context)


def _routing_form_page(request: HttpRequest, rule: RoutingRule | None) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    form = RoutingRuleForm(request.POST if request.method == "POST" else None, instance=rule, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if rule is None:
            saved.position = (RoutingRule.objects.aggregate(top=Max("position"))["top"] or 0) + 1
        routing_services.routing_rule_save(tenant=tenant, rule=saved, by=acting_user(request))
        messages.success(request, _("Routing rule saved."))
        return redirect("sla:routing")
    return render(request, "sla/routing_rule_form.html", {"form": form, "rule": rule})


@capability_required(CONFIGURE)
def routing_rule_create(request: HttpRequest) -> HttpResponse:
    return _routing_form_page(request, None)


@object_view(RoutingRule)
@capability_required(CONFIGURE)
def routing_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _routing_form_page(request, get_object_for_user(RoutingRule.objects.all(), pk))


@object_view(RoutingRule)
@capability_required(CONFIGURE)
def routing_rule_remove(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    rule = get_object_for_user(RoutingRule.objects.all(), pk)  # first: another tenant's object is a 404
    if request.method != "POST":
        return redirect("sla:routing")
    routing_services.routing_rule_delete(tenant=tenant, rule=rule, by=acting_user(request))
    messages.success(request, _("Routing rule deleted."))
    return redirect("sla:routing")


@object_view(RoutingRule)
@capability_required(CONFIGURE)
def routing_rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    rule = get_object_for_user(RoutingRule.objects.all(), pk)  # first: another tenant's object is a 404
    if request.method != "POST":
        return redirect("sla:routing")
    up = request.POST.get("direction") == "up"
    routing_services.routing_rule_move(tenant=tenant, rule=rule, up=up, by=acting_user(request))
    return redirect("sla:routing")


@object_view(Queue)
@capability_required(CONFIGURE)
def queue_mode(request: HttpRequest, pk: int) -> HttpResponseBase:
    queue = get_object_for_user(Queue.objects.all(), pk)  # first: another tenant's object is a 404
    if request.method != "POST":
        return redirect("sla:routing")
    form = QueueModeForm(request.POST)
    if form.is_valid():
        tenant = request.tenant  # type: ignore[attr-defined]
        routing_services.queue_routing_set(
            tenant=tenant, queue=queue, mode=form.cleaned_data["mode"], by=acting_user(request)
        )
        messages.success(request, _("Assignment for “%(queue)s” saved.") % {"queue": queue.name})
    else:
        messages.error(request, _("Choose an assignment mode."))
    return redirect("sla:routing")
