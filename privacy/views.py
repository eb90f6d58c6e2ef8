"""Privacy pages (admins): export and erase a contact's personal data, the requests list, retention rules."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.roles import Capability
from customers.models import Contact
from customers.selectors import contacts_for_detail
from privacy import selectors, services
from privacy.forms import EraseConfirmForm, RetentionRuleForm
from privacy.models import PrivacyRequest, RequestKind, RequestStatus, RetentionRule

ADMIN = Capability.TENANT_CONFIGURE


@require_GET
@capability_required(ADMIN)
def request_list(request: HttpRequest) -> HttpResponse:
    page = selectors.request_page(cursor=request.GET.get("after"))
    template = "privacy/request_list.html#rows" if request.htmx else "privacy/request_list.html"  # type: ignore[attr-defined]
    return render(request, template, {"page": page})


# POST-only actions load their object first: another tenant's id is a 404 whatever the method.


@object_view(Contact)
@capability_required(ADMIN)
def contact_export(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_for_user(contacts_for_detail(), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    privacy_request = services.privacy_request_create(
        tenant=request.tenant,  # type: ignore[attr-defined]
        contact=contact,
        kind=RequestKind.EXPORT,
        by=acting_user(request),
    )
    messages.success(request, _("Export of %(name)s started.") % {"name": contact.full_name})
    return redirect("privacy:request-detail", privacy_request.pk)


@object_view(Contact)
@capability_required(ADMIN)
def contact_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first, by typing the contact's name; then queues the erasure."""
    contact = get_object_for_user(contacts_for_detail(), pk)
    form = EraseConfirmForm(request.POST or None, expected=contact.full_name)
    if request.method == "POST" and form.is_valid():
        privacy_request = services.privacy_request_create(
            tenant=request.tenant,  # type: ignore[attr-defined]
            contact=contact,
            kind=RequestKind.ERASE,
            by=acting_user(request),
        )
        messages.success(request, _("Erasure started. The contact page will show an anonymised contact."))
        return redirect("privacy:request-detail", privacy_request.pk)
    return render(request, "privacy/erase_confirm.html", {"contact": contact, "form": form})


@object_view(PrivacyRequest)
@require_GET
@capability_required(ADMIN)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    privacy_request = get_object_for_user(selectors.request_for_detail(), pk)
    context = {
        "item": privacy_request,
        "download_url": (
            reverse("privacy:request-download", args=[privacy_request.pk])
            + "?token="
            + services.download_token(privacy_request)
            if privacy_request.file and privacy_request.status == RequestStatus.DONE
            else ""
        ),
        "expires_at": services.download_expires_at(privacy_request),
    }
    template = "privacy/request_detail.html#progress" if request.htmx else "privacy/request_detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@object_view(PrivacyRequest)
@require_GET
@capability_required(ADMIN)
def request_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The ZIP, for an admin of the request's workspace holding a link signed in the last 7 days."""
    privacy_request = get_object_for_user(selectors.request_for_detail(), pk)
    if not services.download_token_valid(request.GET.get("token", ""), privacy_request):
        raise PermissionDenied("expired or invalid download link")
    name = privacy_request.file.name or ""
    if not name or not default_storage.exists(name):
        raise Http404
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=f"personal-data-contact-{privacy_request.contact_number}.zip",
        content_type="application/zip",
    )


@capability_required(ADMIN)
def retention(request: HttpRequest) -> HttpResponse:
    form = RetentionRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.retention_rule_save(
            tenant=request.tenant,  # type: ignore[attr-defined]
            kind=form.cleaned_data["kind"],
            months=form.cleaned_data["months"],
            is_active=form.cleaned_data["is_active"],
            by=acting_user(request),
        )
        messages.success(request, _("Retention rule saved. It runs every night."))
        return redirect("privacy:retention")
    context = {"form": form, "rules": selectors.retention_rules(), "runs": selectors.recent_runs()}
    return render(request, "privacy/retention.html", context)


@object_view(RetentionRule)
@capability_required(ADMIN)
def retention_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_for_user(RetentionRule.objects.all(), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.retention_rule_delete(tenant=request.tenant, rule=rule, by=acting_user(request))  # type: ignore[attr-defined]
    messages.success(request, _("Retention rule deleted."))
    return redirect("privacy:retention")


@object_view(RetentionRule)
@capability_required(ADMIN)
def retention_run(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_for_user(RetentionRule.objects.all(), pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    from privacy.tasks import run_retention_rules

    run_retention_rules.delay(rule.tenant_id)
    messages.success(request, _("The retention rules are running; the counts appear below when they finish."))
    return redirect("privacy:retention")
