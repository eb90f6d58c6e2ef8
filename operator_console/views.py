"""The platform operator area (/operator/): superusers only; everyone else gets 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.cursors import decode_cursor, encode_cursor
from crm.models import Tenant
from operator_console import selectors, services
from operator_console.forms import DeleteTenantForm, ImpersonateForm, TenantCreateForm
from operator_console.models import TenantDeletion
from operator_console.services import OperatorError

View = Callable[..., HttpResponse]


def operator_required(view: View) -> View:
    """Only a signed-in superuser acting as themselves; a 404 for everyone else (the area is not advertised)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_superuser):
            raise Http404
        if getattr(request, "impersonator", None) is not None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _form_error(form: Any, error: OperatorError) -> None:
    form.add_error(error.field if error.field in form.fields else None, str(error))


@require_GET
@operator_required
def tenant_list(request: HttpRequest) -> HttpResponse:
    after_values = decode_cursor(request.GET.get("after"), 2)
    after = (str(after_values[0]), int(after_values[1])) if after_values else None
    rows, next_key = selectors.tenants_page(after=after)
    context = {
        "rows": rows,
        "after": after,
        "next_after": encode_cursor(list(next_key)) if next_key else None,
        "deletions": selectors.recent_deletions(),
    }
    return render(request, "operator_console/tenants.html", context)


@operator_required
def tenant_new(request: HttpRequest) -> HttpResponse:
    form = TenantCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tenant = services.tenant_create_with_admin(
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                admin_email=form.cleaned_data["admin_email"],
                by=request.user,  # type: ignore[arg-type]
            )
        except OperatorError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Workspace %(name)s created; its admin was invited.") % {"name": tenant.name})
            return redirect("operator_console:tenant", tenant.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "operator_console/tenant_new.html", {"form": form}, status=status)


def _tenant_page(
    request: HttpRequest, tenant: Tenant, *, impersonate: ImpersonateForm | None = None,
    delete: DeleteTenantForm | None = None, status: int = 200,
) -> HttpResponse:  # fmt: skip
    admins = selectors.tenant_admins(tenant)
    context = {
        "tenant": tenant,
        "admins": list(admins),
        "impersonate_form": impersonate or ImpersonateForm(admins=admins),
        "delete_form": delete or DeleteTenantForm(),
        "deletion": TenantDeletion.objects.filter(tenant_id=tenant.pk).first(),
    }
    return render(request, "operator_console/tenant.html", context, status=status)


@require_GET
@operator_required
def tenant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _tenant_page(request, get_object_or_404(Tenant, pk=pk))


@require_POST
@operator_required
def tenant_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = services.tenant_set_active(tenant=get_object_or_404(Tenant, pk=pk), active=False, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("%(name)s is suspended: its members cannot open it.") % {"name": tenant.name})
    return redirect("operator_console:tenant", tenant.pk)


@require_POST
@operator_required
def tenant_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = get_object_or_404(Tenant, pk=pk)
    if TenantDeletion.objects.filter(tenant_id=tenant.pk).exclude(status="failed").exists():
        messages.error(request, _("This workspace is being deleted."))
        return redirect("operator_console:tenant", tenant.pk)
    tenant = services.tenant_set_active(tenant=tenant, active=True, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("%(name)s is active again.") % {"name": tenant.name})
    return redirect("operator_console:tenant", tenant.pk)


@require_POST
@operator_required
def tenant_delete(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = get_object_or_404(Tenant, pk=pk)
    form = DeleteTenantForm(request.POST)
    if form.is_valid():
        try:
            deletion = services.tenant_delete_request(
                tenant=tenant,
                confirm_slug=form.cleaned_data["confirm_slug"],
                by=request.user,  # type: ignore[arg-type]
            )
        except OperatorError as error:
            _form_error(form, error)
        else:
            return redirect("operator_console:deletion", deletion.pk)
    return _tenant_page(request, tenant, delete=form, status=400)


@require_GET
@operator_required
def deletion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deletion = get_object_or_404(TenantDeletion, pk=pk)
    template = "operator_console/_deletion_progress.html" if request.htmx else "operator_console/deletion.html"  # type: ignore[attr-defined]
    return render(request, template, {"deletion": deletion})


@require_POST
@operator_required
def deletion_retry(request: HttpRequest, pk: int) -> HttpResponse:
    deletion = services.deletion_retry(deletion=get_object_or_404(TenantDeletion, pk=pk))
    return redirect("operator_console:deletion", deletion.pk)


@require_POST
@operator_required
def impersonate(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = get_object_or_404(Tenant, pk=pk)
    admins = selectors.tenant_admins(tenant)
    form = ImpersonateForm(request.POST, admins=admins)
    if form.is_valid():
        try:
            services.impersonation_start(
                request=request,
                membership=form.cleaned_data["membership"],
                reason=form.cleaned_data["reason"],
                by=request.user,  # type: ignore[arg-type]
            )
        except OperatorError as error:
            _form_error(form, error)
        else:
            return redirect("dashboard")
    return _tenant_page(request, tenant, impersonate=form, status=400)


@require_POST
def impersonation_end(request: HttpRequest) -> HttpResponse:
    """Stop acting as the tenant admin: back to the operator's own session, on the tenant's page."""
    if getattr(request, "impersonator", None) is None:
        raise Http404
    tenant_id = request.session.get(services.IMPERSONATED_TENANT_SESSION_KEY)
    services.impersonation_end(request=request)
    messages.info(request, _("You are yourself again."))
    if tenant_id is not None and Tenant.objects.filter(pk=tenant_id).exists():
        return redirect("operator_console:tenant", tenant_id)
    return redirect("operator_console:tenants")
