"""The duplicate review queue, detection runs and the merge screen."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from customers import selectors as customer_selectors
from customers.duplicates import selectors, services
from customers.duplicates.forms import MergeForm
from customers.duplicates.merge import CUSTOM_PREFIX, MergeError, PlanRow, contact_merge, merge_plan
from customers.duplicates.models import DuplicateCandidate, DuplicateRun
from customers.models import Contact
from customers.services import ConcurrentEditError


@capability_required(Capability.CUSTOMERS_EDIT)
def queue(request: HttpRequest) -> HttpResponse:
    page = selectors.queue_page(cursor=request.GET.get("after"))
    if request.htmx and request.GET.get("after"):  # type: ignore[attr-defined]
        return render(request, "customers/duplicates/queue.html#rows", {"page": page})
    return render(request, "customers/duplicates/queue.html", {"page": page, "run": selectors.latest_run()})


@capability_required(Capability.CUSTOMERS_EDIT)
def run_start(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    run = services.duplicate_run_start(tenant=request.tenant, by=acting_user(request))  # type: ignore[attr-defined]
    if request.htmx:  # type: ignore[attr-defined]
        return _run_partial(request, run)
    return redirect("duplicates:queue")


@object_view(DuplicateRun)
@capability_required(Capability.CUSTOMERS_EDIT)
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar, polled by htmx while the run is active; reloads the queue when it ends."""
    run = get_object_for_user(selectors.runs_for_detail(), pk)
    response = _run_partial(request, run)
    if request.htmx and not run.is_active:  # type: ignore[attr-defined]
        response["HX-Refresh"] = "true"  # the new pairs are in the list below
    return response


def _run_partial(request: HttpRequest, run: DuplicateRun) -> HttpResponse:
    return render(request, "customers/duplicates/_run.html", {"run": run})


@object_view(DuplicateCandidate)
@capability_required(Capability.CUSTOMERS_EDIT)
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    pair = get_object_for_user(selectors.pairs_for_detail(), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.duplicate_dismiss(tenant=request.tenant, pair=pair, by=acting_user(request))  # type: ignore[attr-defined]
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse("")  # the pair's card disappears
    messages.success(request, _("Marked as not a duplicate; this pair will not be suggested again."))
    return redirect("duplicates:queue")


@object_view(Contact)
@capability_required(Capability.CUSTOMERS_EDIT)
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge the contact ``with`` into this one (the survivor), field by field."""
    survivor = get_object_for_user(customer_selectors.contacts_for_detail(), pk)
    other = request.POST.get("with") or request.GET.get("with")
    if not other:
        pairs = selectors.open_pairs_for(survivor, limit=1)
        if pairs:
            return redirect(f"{reverse('duplicates:merge', args=[survivor.pk])}?with={pairs[0][1].pk}")
        messages.info(request, _("%(name)s has no suggested duplicates.") % {"name": survivor.full_name})
        return redirect("customers:contact-detail", survivor.pk)
    merged = get_object_for_user(customer_selectors.contacts_for_detail(), other)  # another tenant's: 404
    if merged.pk == survivor.pk:
        context = {
            "survivor": survivor,
            "error": _("A contact cannot be merged with itself: pick two different contacts."),
        }
        return render(request, "customers/duplicates/merge.html", context, status=400)
    plan = merge_plan(survivor, merged)
    initial = {"survivor_version": survivor.version, "merged_version": merged.version}
    form = MergeForm(request.POST or None, plan=plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contact_merge(
                tenant=request.tenant,  # type: ignore[attr-defined]
                survivor=survivor,
                merged=merged,
                choices=form.choices(),
                by=acting_user(request),
                survivor_version=form.cleaned_data["survivor_version"],
                merged_version=form.cleaned_data["merged_version"],
            )
        except ConcurrentEditError as conflict:
            form.add_error(
                None,
                _("%(name)s was changed after you opened this page: %(problem)s Nothing was merged.")
                % {"name": conflict.current.full_name, "problem": conflict},
            )
        except MergeError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(
                request,
                _("%(merged)s was merged into %(survivor)s.")
                % {"merged": merged.full_name, "survivor": survivor.full_name},
            )
            return redirect("customers:contact-detail", survivor.pk)
    rows = [
        {"row": row, "name": form.field_name(row.key), "selected": form.selected(row),
         "survivor": _display(survivor, row), "merged": _display(merged, row)}
        for row in plan
    ]  # fmt: skip
    context = {
        "survivor": survivor,
        "merged": merged,
        "form": form,
        "rows": rows,
        "survivor_counts": selectors.related_counts(survivor),
        "merged_counts": selectors.related_counts(merged),
    }
    return render(request, "customers/duplicates/merge.html", context, status=409 if form.non_field_errors() else 200)


def _display(contact: Contact, row: PlanRow) -> str:
    """A field group's value as a person reads it."""
    if row.key.startswith(CUSTOM_PREFIX):
        value: Any = (contact.custom_fields or {}).get(row.key.removeprefix(CUSTOM_PREFIX))
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return "" if value in (None, "") else str(value)
    if row.key == "account":
        return contact.account.name if contact.account else ""
    if row.key == "owner":
        return contact.owner.display_name if contact.owner else ""
    if row.key == "lifecycle_stage":
        return str(contact.get_lifecycle_stage_display())
    if row.key == "preferred_channel":
        return str(contact.get_preferred_channel_display())
    if row.key == "birthday":
        return formats.date_format(contact.birthday, "SHORT_DATE_FORMAT") if contact.birthday else ""
    if row.key == "address":
        city = " ".join(part for part in (contact.postal_code, contact.city) if part)
        return ", ".join(part for part in (contact.street, city, contact.region, contact.country) if part)
    if row.key in ("email_consent", "sms_consent"):
        channel = row.key.split("_")[0]
        if not getattr(contact, f"{channel}_consent"):
            return _("no")
        at = getattr(contact, f"{channel}_consent_at")
        source = getattr(contact, f"get_{channel}_consent_source_display")()
        when = formats.date_format(at, "SHORT_DATETIME_FORMAT") if at else ""
        return " · ".join(part for part in (_("yes"), when, str(source)) if part)
    if row.key == "external_id":
        return f"{contact.source_system}: {contact.external_id}" if contact.external_id else ""
    return str(getattr(contact, row.key) or "")
