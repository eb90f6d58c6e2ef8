"""Core pages: dashboard, workspace switcher, signup, global search, health."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.access import capability_required
from crm.dashboard import dashboard_for
from crm.forms import ProfileForm, RecordVisibilityForm, SignupForm
from crm.roles import Capability
from crm.selectors import membership_for_user
from crm.services import tenant_set_record_visibility, tenant_signup, user_update_profile
from crm.tenancy.middleware import ACTIVE_TENANT_SESSION_KEY
from customers.selectors import global_search

QUICK_SEARCH_LIMIT = 5  # per type, in the top bar's dropdown


@capability_required(Capability.CUSTOMERS_VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    context = dashboard_for(membership=request.membership)  # type: ignore[attr-defined]
    return render(request, "crm/dashboard.html", context)


@login_required
@require_POST
def switch_workspace(request: HttpRequest) -> HttpResponse:
    membership = membership_for_user(request.user, _int_or_none(request.POST.get("membership")))  # type: ignore[arg-type]
    if membership is None:
        raise Http404
    request.session[ACTIVE_TENANT_SESSION_KEY] = membership.tenant_id
    messages.success(request, _("Switched to %(name)s.") % {"name": membership.tenant.name})
    return redirect("dashboard")


@capability_required(Capability.TENANT_CONFIGURE)
def record_visibility(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    form = RecordVisibilityForm(request.POST or None, current=tenant.record_visibility)
    if request.method == "POST" and form.is_valid():
        tenant_set_record_visibility(tenant=tenant, scopes=form.cleaned_data, by=request.user)  # type: ignore[arg-type]
        messages.success(request, _("Record visibility saved."))
        return redirect("record-visibility")
    return render(request, "crm/record_visibility.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user_update_profile(user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    return render(request, "crm/profile.html", {"form": form})


def signup(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_ENABLED:
        raise Http404
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        membership = tenant_signup(**form.cleaned_data)
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[ACTIVE_TENANT_SESSION_KEY] = membership.tenant_id
        messages.success(request, _("Welcome! Your workspace %(name)s is ready.") % {"name": membership.tenant.name})
        return redirect("dashboard")
    return render(request, "registration/signup.html", {"form": form})


@require_GET
@capability_required(Capability.CUSTOMERS_VIEW)
def search(request: HttpRequest) -> HttpResponse:
    """The results page, or (for the top bar's live search) the grouped dropdown of the first few."""
    query = request.GET.get("q", "").strip()
    quick = bool(request.htmx) and request.htmx.target == "quick-search"  # type: ignore[attr-defined]
    results = global_search(query, limit=QUICK_SEARCH_LIMIT if quick else 10) if query else None
    template = "crm/search.html#quick" if quick else "crm/search.html"
    return render(request, template, {"query": query, "results": results})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and docker compose."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
