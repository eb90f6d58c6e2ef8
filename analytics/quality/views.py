"""The data-quality page, its cleaning runs and the list of values a run could not fix."""

from __future__ import annotations

from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from analytics.quality import selectors, services
from analytics.quality.fields import CHECKED_LABELS, COMPLETENESS_LABELS, FLAGGABLE
from analytics.quality.models import DataQualityRecordType, DataQualityRun, DataQualityRunStatus
from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from customers.models import Account, Contact


@capability_required(Capability.ANALYTICS_VIEW)
def page(request: HttpRequest) -> HttpResponse:
    runs = selectors.recent_runs()
    finished = [run for run in runs if run.status == DataQualityRunStatus.DONE]
    last = finished[0] if finished else None
    current = runs[0] if runs and (runs[0].is_active or runs[0].status == DataQualityRunStatus.FAILED) else None
    context: dict[str, Any] = {"run": current, "last": last}
    if last is not None:
        context.update(
            contact_bars=_bars(last, "contact."),
            account_bars=_bars(last, "account."),
            invalid_rows=[
                {"key": key, "label": CHECKED_LABELS[key], "count": last.invalid.get(key, 0)} for key in FLAGGABLE
            ],
            summary=_summary(last),
            trend=_trend(list(reversed(finished))),
        )
    return render(request, "analytics/data_quality/page.html", context)


@capability_required(Capability.ANALYTICS_RUN)
def run_start(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    run = services.data_quality_run_start(tenant=request.tenant, by=acting_user(request))  # type: ignore[attr-defined]
    if request.htmx:  # type: ignore[attr-defined]
        return _run_partial(request, run)
    return redirect("data-quality:page")


@object_view(DataQualityRun)
@capability_required(Capability.ANALYTICS_VIEW)
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by htmx while the run is active; reloads the page when it ends."""
    run = get_object_for_user(selectors.runs_for_detail(), pk)
    response = _run_partial(request, run)
    if request.htmx and not run.is_active:  # type: ignore[attr-defined]
        response["HX-Refresh"] = "true"  # the new figures are on the page around it
    return response


def _run_partial(request: HttpRequest, run: DataQualityRun) -> HttpResponse:
    return render(request, "analytics/data_quality/_run.html", {"run": run})


@object_view(DataQualityRun)
@capability_required(Capability.ANALYTICS_VIEW)
def run_issues(request: HttpRequest, pk: int) -> HttpResponse:
    """The values one run flagged in one field (``?field=contact.email``), each linking to its record."""
    run = get_object_for_user(selectors.runs_for_detail(), pk)
    key = request.GET.get("field") or next((key for key in FLAGGABLE if run.invalid.get(key)), FLAGGABLE[0])
    if key not in FLAGGABLE:
        raise Http404(_("No such field: %(field)s") % {"field": key})
    issue_page = selectors.issues_page(run=run, key=key, cursor=request.GET.get("after"))
    names = _record_names(key, [issue.record_id for issue in issue_page.rows])
    context = {
        "run": run,
        "key": key,
        "label": CHECKED_LABELS[key],
        "page": issue_page,
        "rows": [{"issue": issue, "name": names.get(issue.record_id)} for issue in issue_page.rows],
        "field_count": run.invalid.get(key, 0),
        "fields": [{"key": k, "label": CHECKED_LABELS[k], "count": run.invalid.get(k, 0)} for k in FLAGGABLE],
        "stored_all": run.invalid.get(key, 0) <= services.ISSUE_ROWS_PER_FIELD,
    }
    if request.htmx and request.GET.get("after"):  # type: ignore[attr-defined]
        return render(request, "analytics/data_quality/issues.html#rows", context)
    return render(request, "analytics/data_quality/issues.html", context)


def _record_names(key: str, ids: list[int]) -> dict[int, str]:
    """Names of the records on one page of issues: one query (a record since deleted has none)."""
    if key.startswith(DataQualityRecordType.CONTACT):
        contacts = Contact.objects.filter(pk__in=ids).only("first_name", "last_name", "email")
        return {contact.pk: contact.full_name for contact in contacts}
    return dict(Account.objects.filter(pk__in=ids).values_list("pk", "name"))


def _bars(run: DataQualityRun, prefix: str) -> list[dict[str, Any]]:
    total = run.contacts if prefix == "contact." else run.accounts
    bars = []
    for key, label in COMPLETENESS_LABELS.items():
        if key.startswith(prefix):
            filled = run.completeness.get(key, 0)
            bars.append({"label": label, "filled": filled, "total": total,
                         "percent": round(100 * filled / total) if total else 0})  # fmt: skip
    return bars


def _summary(run: DataQualityRun) -> list[str]:
    """ "12 emails, 30 phone numbers, ..." rewritten by the run (zero counts left out)."""
    n = run.normalised

    def total(*keys: str) -> int:
        return sum(n.get(key, 0) for key in keys)

    emails = total("contact.email")
    phones = total("contact.phone", "account.phone")
    countries = total("contact.country", "account.country")
    names = total("contact.first_name", "contact.last_name", "account.name")
    parts = [
        (emails, ngettext("%(count)s email", "%(count)s emails", emails)),
        (phones, ngettext("%(count)s phone number", "%(count)s phone numbers", phones)),
        (countries, ngettext("%(count)s country code", "%(count)s country codes", countries)),
        (names, ngettext("%(count)s name", "%(count)s names", names)),
    ]
    return [text % {"count": intcomma(count)} for count, text in parts if count]


def _trend(runs: list[DataQualityRun]) -> dict[str, Any]:
    """Completeness (percent) and invalid counts per finished run, oldest first, for the charts."""
    completeness_keys = ["contact.email", "contact.phone", "contact.account", "contact.country", "contact.consent"]
    return {
        "labels": [
            formats.date_format(timezone.localtime(run.finished_at or run.created_at), "SHORT_DATETIME_FORMAT")
            for run in runs
        ],
        "completeness": [
            {
                "name": str(COMPLETENESS_LABELS[key]),
                "data": [round(100 * share, 1) if (share := run.share(key)) is not None else None for run in runs],
            }
            for key in completeness_keys
        ],
        "invalid": [
            {"name": str(CHECKED_LABELS[key]), "data": [run.invalid.get(key, 0) for run in runs]} for key in FLAGGABLE
        ],
        "percent_label": _("Filled in (%)"),
        "count_label": _("Invalid values"),
    }
