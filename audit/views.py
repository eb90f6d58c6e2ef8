"""The audit log (admins), a record's field history, the CSV export and the retention setting."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit import selectors, services
from audit.forms import AuditEventFilter, AuditSettingsForm
from audit.models import AuditEvent
from crm.access import acting_user, capability_required
from crm.roles import Capability
from crm.tenancy.context import tenant_context

AUDIT_CAPABILITIES = (Capability.TENANT_CONFIGURE, Capability.USERS_MANAGE)
View = Callable[..., HttpResponseBase]


def audit_access_required(view: View) -> View:
    """Signed in, in a workspace, and allowed to configure it or manage its users; otherwise 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = getattr(request, "membership", None)
        if membership is None:
            return render(request, "crm/no_workspace.html", status=403)
        if not any(membership.can(capability) for capability in AUDIT_CAPABILITIES):
            raise PermissionDenied("audit")
        return view(request, *args, **kwargs)

    return wrapper


def _filters(request: HttpRequest) -> tuple[AuditEventFilter, Any]:
    params = request.GET.copy()
    params.pop("after", None)
    filters = AuditEventFilter(params, queryset=selectors.events_for_list())
    return filters, params


@require_GET
@audit_access_required
def audit_list(request: HttpRequest) -> HttpResponse:
    filters, params = _filters(request)
    base = filters.qs if filters.is_valid() else AuditEvent.objects.none()
    page = selectors.event_page(base=base, cursor=request.GET.get("after"))
    context = {
        "page": page,
        "filters": filters,
        "params": params.urlencode(),
        "filtered": any(value for value in params.values()),
        "members": selectors.tenant_members(request.tenant),  # type: ignore[attr-defined]
        "object_types": selectors.object_types(),
    }
    template = "audit/event_list.html#rows" if request.htmx else "audit/event_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


EXPORT_HEADER = ["when", "actor", "action", "object_type", "object_id", "object", "changes", "ip", "request_id"]


@require_GET
@audit_access_required
def audit_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered events as CSV, streamed at any size; the export itself is audited."""
    filters, params = _filters(request)
    base = filters.qs if filters.is_valid() else AuditEvent.objects.none()
    tenant = request.tenant  # type: ignore[attr-defined]
    services.audit_record(
        tenant=tenant, action="export", object_type="audit.auditevent", object_repr=params.urlencode()
    )
    rows = base.order_by("-at", "-id").values_list(
        "at", "actor_label", "action", "object_type", "object_id", "object_repr", "changes", "ip", "request_id"
    )

    class Echo:
        def write(self, value: str) -> str:
            return value

    def stream() -> Iterator[str]:
        writer = csv.writer(Echo())
        yield writer.writerow(EXPORT_HEADER)
        with tenant_context(tenant.id):  # streamed after the view returned, outside the middleware
            for at, *rest in rows.iterator(chunk_size=2000):
                values = [timezone.localtime(at).isoformat(), *rest]
                yield writer.writerow(["" if value is None else _neutralise(value) for value in values])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


def _neutralise(value: Any) -> Any:
    """No spreadsheet formulas from recorded values."""
    import json

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _model_for(object_type: str) -> type[Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


@require_GET
@audit_access_required
def object_history(request: HttpRequest, object_type: str, record: str) -> HttpResponse:
    """Every recorded change of one record, also after it was deleted. Nothing of it in this tenant
    (another tenant's record, or no such record): 404."""
    object_id = record
    events = selectors.object_history(object_type=object_type, object_id=object_id)
    model = _model_for(object_type)
    current = None
    if model is not None and hasattr(model, "unscoped_objects"):
        current = model._default_manager.filter(pk=object_id).first() if object_id.isdigit() else None
    if not events and current is None:
        raise Http404
    context = {
        "events": events,
        "object_type": object_type,
        "object_id": object_id,
        "current": current,
        "title": str(current) if current is not None else (events[0].object_repr if events else object_id),
        "limit": selectors.HISTORY_LIMIT,
    }
    return render(request, "audit/history.html", context)


@capability_required(Capability.TENANT_CONFIGURE)
def audit_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    current = services.audit_settings_for(tenant)
    form = AuditSettingsForm(request.POST or None, initial={"retention_months": current.retention_months})
    if request.method == "POST" and form.is_valid():
        services.audit_settings_save(
            tenant=tenant, retention_months=form.cleaned_data["retention_months"], by=acting_user(request)
        )
        messages.success(request, _("Audit retention saved."))
        return redirect("audit:settings")
    return render(request, "audit/settings.html", {"form": form, "current": current})
