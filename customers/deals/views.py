"""Deal pages: the board per pipeline, create / edit / move / delete, and the weighted forecast."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from crm.access import capability_required, get_object_for_user, object_view
from crm.roles import Capability
from customers.custom_fields.selectors import shown_custom_values
from customers.deals import selectors, services
from customers.deals.forms import DealForm, MoveForm
from customers.deals.pipeline_forms import PipelineForm, stage_formset
from customers.deals.services import pipeline_ensure_default
from customers.models import CustomFieldEntity, Deal, Pipeline
from customers.services import ConcurrentEditError
from customers.views import _save_form


def _pick_pipeline(request: HttpRequest, pipelines: list[Pipeline], default: Pipeline) -> Pipeline:
    wanted = request.GET.get("pipeline", "")
    return next((pipeline for pipeline in pipelines if str(pipeline.pk) == wanted), default)


def _board_context(pipeline: Pipeline, pipelines: list[Pipeline], *, error: str = "") -> dict[str, Any]:
    stages = selectors.pipeline_stages(pipeline)
    columns = selectors.board_columns(pipeline=pipeline, stages=stages)
    return {
        "pipeline": pipeline,
        "pipelines": pipelines,
        "stages": stages,
        "columns": columns,
        "deal_count": sum(column.count for column in columns),
        "closed_days": selectors.CLOSED_ON_BOARD_DAYS,
        "board_error": error,
    }


def _board_url(pipeline_id: int) -> str:
    return f"{reverse('deals:board')}?pipeline={pipeline_id}"


@capability_required(Capability.CUSTOMERS_VIEW)
def board(request: HttpRequest) -> HttpResponse:
    default = services.pipeline_ensure_default(tenant=request.tenant)  # type: ignore[attr-defined]
    pipelines = selectors.pipelines()
    context = _board_context(_pick_pipeline(request, pipelines, default), pipelines)
    return render(request, "customers/deals/board.html", context)


@object_view(Deal)
@capability_required(Capability.DEALS_EDIT)
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """POST moves the deal (drag and drop, or the card's stage select); GET is the no-JS form,
    also where a move to a lost stage asks for the reason."""
    deal = get_object_for_user(selectors.deal_for_move(), pk)
    form = MoveForm(request.POST or None, initial={"stage": request.GET.get("stage") or deal.stage_id})
    if request.method == "POST":
        error = ""
        if form.is_valid():
            try:
                services.deal_move(
                    tenant=request.tenant,  # type: ignore[attr-defined]
                    deal=deal,
                    stage=form.cleaned_data["stage"],
                    lost_reason=form.cleaned_data["lost_reason"],
                    expected_version=form.cleaned_data["version"],
                    by=request.user,  # type: ignore[arg-type]
                )
            except (ConcurrentEditError, services.DealRuleError) as refused:
                error = str(refused)
                form.add_error(None, error)
        else:
            error = " ".join(str(message) for messages_ in form.errors.values() for message in messages_)
        if request.htmx:  # type: ignore[attr-defined]
            context = _board_context(deal.pipeline, selectors.pipelines(), error=error)
            return render(request, "customers/deals/board.html#board", context)
        if not error:
            messages.success(request, _("%(deal)s moved.") % {"deal": deal.name})
            return redirect(_board_url(deal.pipeline_id))
    stages = selectors.pipeline_stages(deal.pipeline)
    return render(request, "customers/deals/move.html", {"deal": deal, "form": form, "stages": stages})


@object_view(Deal)
@capability_required(Capability.CUSTOMERS_VIEW)
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_object_for_user(selectors.deals_for_detail(), pk)
    context = {
        "deal": deal,
        "history": selectors.stage_history(deal),
        "custom_values": shown_custom_values(CustomFieldEntity.DEAL, deal.custom_fields),
    }
    return render(request, "customers/deals/deal_detail.html", context)


def _initial_for_new_deal(request: HttpRequest) -> dict[str, Any]:
    default = services.pipeline_ensure_default(tenant=request.tenant)  # type: ignore[attr-defined]
    pipeline = _pick_pipeline(request, selectors.pipelines(), default)
    first_stage = next(iter(selectors.pipeline_stages(pipeline)), None)
    initial: dict[str, Any] = {
        "owner": request.user.pk,
        "pipeline": pipeline.pk,
        "stage": first_stage.pk if first_stage else None,
        "currency": request.tenant.default_currency,  # type: ignore[attr-defined]
    }
    for related in ("contact", "account"):  # "New deal" from a contact or account page
        if request.GET.get(related, "").isdigit():
            initial[related] = int(request.GET[related])
    return initial


@capability_required(Capability.DEALS_EDIT)
def deal_create(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    initial = {} if request.method == "POST" else _initial_for_new_deal(request)
    form = DealForm(request.POST or None, tenant=tenant, initial=initial)
    if request.method == "POST" and form.is_valid():
        deal = _save_form(
            request,
            form,
            lambda: services.deal_create(tenant=tenant, data=form.changes(), by=request.user),  # type: ignore[arg-type]
            _("Deal created."),
        )
        if deal is not None:
            return redirect("deals:deal-detail", deal.pk)
    return render(request, "customers/deals/deal_form.html", {"form": form})


@object_view(Deal)
@capability_required(Capability.DEALS_EDIT)
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    deal = get_object_for_user(selectors.deals_for_detail(), pk)
    form = DealForm(request.POST or None, instance=deal, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        saved = _save_form(
            request,
            form,
            lambda: services.deal_update(
                tenant=tenant,
                deal=deal,
                data=form.changes(),
                expected_version=form.cleaned_data["version"] or 0,
                by=request.user,  # type: ignore[arg-type]
            ),
            _("Deal saved."),
        )
        if saved is not None:
            return redirect("deals:deal-detail", deal.pk)
    return render(request, "customers/deals/deal_form.html", {"form": form, "deal": deal})


@object_view(Deal)
@capability_required(Capability.DEALS_EDIT)
def deal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    deal = get_object_for_user(selectors.deals_for_detail(), pk)
    if request.method == "POST":
        services.deal_delete(tenant=request.tenant, deal=deal, by=request.user)  # type: ignore[attr-defined,arg-type]
        messages.success(request, _("%(name)s was deleted.") % {"name": deal.name})
        return redirect(_board_url(deal.pipeline_id))
    moves = len(selectors.stage_history(deal))
    consequences = [
        ngettext(
            "Its stage history (%(n)d entry) is deleted with it.",
            "Its stage history (%(n)d entries) is deleted with it.",
            moves,
        )
        % {"n": moves},
        _("Its contact and account stay."),
    ]
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object_name": deal.name,
            "cancel_url": reverse("deals:deal-detail", args=[deal.pk]),
            "consequences": consequences,
        },
    )


@capability_required(Capability.CUSTOMERS_VIEW)
def forecast(request: HttpRequest) -> HttpResponse:
    result = selectors.weighted_forecast(currency=request.tenant.default_currency)  # type: ignore[attr-defined]
    chart = {
        "months": result.columns,
        "totals": [float(amount) for amount in result.totals],
        "label": _("Weighted amount"),
    }
    return render(
        request,
        "customers/deals/forecast.html",
        {"forecast": result, "chart": chart, "currency": request.tenant.default_currency},  # type: ignore[attr-defined]
    )


@require_GET
@capability_required(Capability.CUSTOMERS_VIEW)
def contact_options(request: HttpRequest) -> HttpResponse:
    contacts = selectors.contact_options(request.GET.get("lookup", "").strip())
    return render(request, "customers/deals/_contact_options.html", {"contacts": contacts})


@capability_required(Capability.TENANT_CONFIGURE)
def pipeline_list(request: HttpRequest) -> HttpResponse:
    pipeline_ensure_default(tenant=request.tenant)  # type: ignore[attr-defined]
    return render(request, "customers/deals/pipeline_list.html", {"pipelines": selectors.pipelines_with_stages()})


@capability_required(Capability.TENANT_CONFIGURE)
def pipeline_create(request: HttpRequest) -> HttpResponse:
    return _pipeline_page(request, Pipeline())


@object_view(Pipeline)
@capability_required(Capability.TENANT_CONFIGURE)
def pipeline_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _pipeline_page(request, get_object_for_user(Pipeline.objects.all(), pk))


def _pipeline_page(request: HttpRequest, pipeline: Pipeline) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = PipelineForm(data, instance=pipeline)
    stages = stage_formset(data, pipeline=pipeline)
    if data is not None and form.is_valid() and stages.is_valid():
        services.pipeline_save(tenant=request.tenant, form=form, stages=stages)  # type: ignore[attr-defined]
        messages.success(request, _("Pipeline “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
        return redirect("deals:pipeline-list")
    return render(request, "customers/deals/pipeline_form.html", {"form": form, "stages": stages, "pipeline": pipeline})
