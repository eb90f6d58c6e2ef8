"""Analytics pages: runs with a progress bar, model cards, settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from analytics import selectors, services
from analytics.dashboard import analytics_dashboard
from analytics.forms import AnalyticsConfigForm
from analytics.models import ModelRun
from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability


@capability_required(Capability.ANALYTICS_VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    context = analytics_dashboard(run=services.current_run())
    figures = context["figures"]
    context["charts"] = {
        "churn": figures["churn_histogram"],
        "value": figures["value_histogram"],
        "segments": figures["segments"],
        "revenue": figures["revenue"],
        "pipeline": figures["pipeline"],
    }
    return render(request, "analytics/dashboard.html", context)


@capability_required(Capability.ANALYTICS_VIEW)
def run_list(request: HttpRequest) -> HttpResponse:
    context = {"runs": selectors.recent_runs(), "active": selectors.active_run(), "current": services.current_run()}
    if request.htmx and request.htmx.target == "run-progress":  # type: ignore[attr-defined]
        return render(request, "analytics/run_list.html#progress", context)
    return render(request, "analytics/run_list.html", context)


@capability_required(Capability.ANALYTICS_RUN)
def run_start(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        run = services.analytics_run_start(tenant=request.tenant, by=acting_user(request))  # type: ignore[attr-defined]
        messages.success(request, _("Run %(id)s started; this page follows its progress.") % {"id": run.pk})
    return redirect("analytics:runs")


@object_view(ModelRun)
@capability_required(Capability.ANALYTICS_VIEW)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_for_user(selectors.runs_for_page(), pk)
    current = services.current_run()
    context = {
        "run": run,
        "current": current,
        "segments": selectors.segment_sizes() if current and run.pk == current.pk else [],
        "charts": _charts(run),
    }
    return render(request, "analytics/run_detail.html", context)


def _charts(run: ModelRun) -> dict[str, Any]:
    """Coefficients as signed bars, largest effect first, labelled in words; the calibration points."""
    words = run.feature_descriptions or {}

    def bars(card: dict[str, Any]) -> list[dict[str, Any]]:
        coefficients = card.get("coefficients") or {}
        ranked = sorted(coefficients.items(), key=lambda item: -abs(item[1]))[:15]
        return [{"label": words.get(name, name), "value": round(value, 4)} for name, value in ranked]

    for cluster in run.clusters:  # traits: mean z-score per feature; the strongest three, in words
        traits = cluster.get("traits") or {}
        strongest = sorted(traits.items(), key=lambda item: -abs(item[1]))[:3]
        cluster["traits_text"] = [_trait(words, name, z) for name, z in strongest]
    return {
        "value": bars(run.value_card),
        "churn": bars(run.churn_card),
        "calibration": (run.churn_card.get("metrics") or {}).get("calibration", []),
    }


@object_view(ModelRun)
@capability_required(Capability.ANALYTICS_RUN)
def cluster_rename(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_for_user(selectors.runs_for_page(), pk)
    if request.method == "POST" and request.POST.get("number", "").lstrip("-").isdigit():
        name = request.POST.get("name", "").strip()
        if name:
            services.analytics_cluster_rename(
                tenant=request.tenant,  # type: ignore[attr-defined]
                run=run,
                number=int(request.POST["number"]),
                name=name,
                by=acting_user(request),  # type: ignore[attr-defined]
            )
            messages.success(request, _("Cluster renamed."))
        else:
            messages.error(request, _("Give the cluster a name."))
    return redirect("analytics:run-detail", run.pk)


@capability_required(Capability.ANALYTICS_RUN)
def settings_edit(request: HttpRequest) -> HttpResponse:
    config = services.analytics_config_for(request.tenant)  # type: ignore[attr-defined]
    form = AnalyticsConfigForm(request.POST or None, instance=config)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        services.analytics_config_update(tenant=request.tenant, data=data, by=acting_user(request))  # type: ignore[attr-defined]
        messages.success(request, _("Analytics settings saved; they apply from the next run."))
        return redirect("analytics:runs")
    return render(request, "analytics/settings.html", {"form": form})


def _trait(words: dict[str, str], name: str, z: float) -> str:
    label = words.get(name, name.replace("_", " ")).rstrip(".")
    return f"{label}: {_('high') if z > 0 else _('low')} ({z:+.1f} sd)"
