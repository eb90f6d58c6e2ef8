"""Saved views, bulk actions and bulk-job progress, for every registered list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.lists import bulk, saved_views
from crm.lists.models import BulkJob, SavedView
from crm.lists.registry import BulkAction, BulkActionError, ListSpec, list_spec
from crm.roles import Capability
from crm.sorting import SortOption


def list_url(spec: ListSpec, query: str = "") -> str:
    return f"{reverse(spec.url_name)}?{query}" if query else reverse(spec.url_name)


def toolbar_context(request: HttpRequest, spec: ListSpec, sort: SortOption) -> dict[str, Any]:
    """What the list toolbar shows: sorts, saved views, bulk actions (one query: the saved views)."""
    user, membership = acting_user(request), request.membership  # type: ignore[attr-defined]
    query = saved_views.view_query(request.GET)
    views = list(saved_views.saved_views_for(list_key=spec.key, user=user))
    for view in views:
        view.can_delete = saved_views.saved_view_can_delete(view, user=user, membership=membership)  # type: ignore[attr-defined]
    return {
        "list_key": spec.key,
        "list_plural": spec.plural,
        "list_url": reverse(spec.url_name),
        "sorts": spec.sorts.options(request.tenant),  # type: ignore[attr-defined]
        "sort": sort.key,
        "default_sort": spec.sorts.default.key,
        "view_query": query,
        "saved_views": views,
        "current_view": next((view for view in views if view.query == query), None),
        "bulk_actions": spec.actions_for(membership),
    }


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True)
    shared = forms.BooleanField(required=False)
    query = forms.CharField(required=False, max_length=2000)


@require_POST
@capability_required(Capability.CUSTOMERS_VIEW)
def saved_view_create(request: HttpRequest, list_key: str) -> HttpResponse:
    spec = list_spec(list_key)
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the view a name (up to 100 characters); it was not saved."))
        return redirect(list_url(spec, request.POST.get("query", "")))
    query = saved_views.view_query(QueryDict(form.cleaned_data["query"]))
    view = saved_views.saved_view_save(
        tenant=request.tenant,  # type: ignore[attr-defined]
        list_key=spec.key,
        name=form.cleaned_data["name"],
        query=query,
        shared=form.cleaned_data["shared"],
        by=acting_user(request),
    )
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(list_url(spec, query))


@object_view(SavedView)
@capability_required(Capability.CUSTOMERS_VIEW)
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    # Someone else's private view does not exist for this user: 404, like another tenant's.
    view = get_object_for_user(SavedView.objects.filter(Q(owner=user) | Q(shared=True)), pk)
    if not saved_views.saved_view_can_delete(view, user=user, membership=request.membership):  # type: ignore[attr-defined]
        raise PermissionDenied("only its owner or an admin deletes a shared view")
    spec = list_spec(view.list_key)
    if request.method == "POST":
        saved_views.saved_view_delete(tenant=request.tenant, view=view, by=user)  # type: ignore[attr-defined]
        messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
        return redirect(list_url(spec))
    consequences = [_("The records in it stay; only the saved filters and sort go.")]
    if view.shared:
        consequences.insert(0, _("It is shared: it disappears for everyone in the workspace."))
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object_name": _("the view “%(name)s”") % {"name": view.name},
            "cancel_url": list_url(spec, view.query),
            "consequences": consequences,
        },
    )


def _selection(request: HttpRequest) -> bulk.Selection:
    query = saved_views.view_query(QueryDict(request.POST.get("query", "")))
    if request.POST.get("all") == "1":
        return bulk.Selection(ids=None, query=query)
    try:
        ids = sorted({int(value) for value in request.POST.getlist("ids")})
    except ValueError:
        raise Http404 from None
    return bulk.Selection(ids=ids, query=query)


def _action(request: HttpRequest, spec: ListSpec) -> BulkAction:
    action = spec.actions.get(request.POST.get("action", ""))
    if action is None:
        raise Http404
    if not request.membership.can(action.capability):  # type: ignore[attr-defined]
        raise PermissionDenied(action.capability)
    return action


@require_POST
@capability_required(Capability.CUSTOMERS_VIEW)
def bulk_action(request: HttpRequest, list_key: str) -> HttpResponse:
    """First POST: the confirmation page (how many, what else happens, the action's fields).
    POST with ``confirm``: run it, in the request when small, else as a job."""
    spec = list_spec(list_key)
    if not request.membership.can(spec.view_capability):  # type: ignore[attr-defined]
        raise PermissionDenied(spec.view_capability)
    if not spec.actions_for(request.membership):  # type: ignore[attr-defined]
        raise PermissionDenied("no bulk actions for this role")
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    action = _action(request, spec)
    selection = _selection(request)
    matching = selection.queryset(spec, tenant=tenant, user=user)
    count = matching.count()
    if selection.ids is not None and count != len(selection.ids):
        raise Http404  # another tenant's ids, or records this user cannot see: nothing is touched
    if count == 0:
        messages.warning(request, _("Select at least one record first."))
        return redirect(list_url(spec, selection.query))
    confirming = request.POST.get("confirm") == "1"
    form = action.form(tenant, request.POST if confirming else None)
    error = ""
    if confirming and form.is_valid():
        values = form.cleaned_data
        try:
            if selection.ids is not None and count <= bulk.IN_REQUEST_LIMIT:
                outcome = bulk.bulk_run_now(
                    tenant=tenant, spec=spec, action=action, selection=matching, values=values, by=user
                )
                messages.success(
                    request,
                    ngettext("%(action)s: %(n)d record done.", "%(action)s: %(n)d records done.", outcome.changed)
                    % {"action": action.label, "n": outcome.changed},
                )
                return redirect(list_url(spec, selection.query))
            if action.check:
                action.check(matching, values=values)
            job = bulk.bulk_job_create(
                tenant=tenant, spec=spec, action=action, selection=selection, values=values, total=count, by=user
            )
            return redirect("lists:job", job.pk)
        except BulkActionError as refused:
            error = str(refused)
    context = {
        "spec": spec,
        "action": action,
        "form": form,
        "count": count,
        "selection": selection,
        "error": error,
        "consequences": action.consequences(matching) if action.consequences else [],
        "cancel_url": list_url(spec, selection.query),
        "runs_as_job": selection.ids is None or count > bulk.IN_REQUEST_LIMIT,
    }
    return render(request, "crm/lists/bulk_confirm.html", context, status=400 if error else 200)


@require_GET
@capability_required(Capability.CUSTOMERS_VIEW)
def matching_count(request: HttpRequest, list_key: str) -> HttpResponse:
    """How many records the list's current filters match ("select all N matching this view")."""
    spec = list_spec(list_key)
    if not request.membership.can(spec.view_capability):  # type: ignore[attr-defined]
        raise PermissionDenied(spec.view_capability)
    count = spec.filtered(request.GET, request.tenant, acting_user(request)).count()  # type: ignore[attr-defined]
    return HttpResponse(f"{count:,}", content_type="text/plain; charset=utf-8")


@object_view(BulkJob)
@capability_required(Capability.CUSTOMERS_VIEW)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A bulk job's progress; htmx polls the progress partial until the job has finished."""
    user = acting_user(request)
    jobs = BulkJob.objects.select_related("created_by")
    if not request.membership.can(Capability.TENANT_CONFIGURE):  # type: ignore[attr-defined]
        jobs = jobs.filter(created_by=user)
    job = get_object_for_user(jobs, pk)
    spec = list_spec(job.list_key)
    action = spec.actions.get(job.action)
    context = {
        "job": job,
        "spec": spec,
        "action_label": action.label if action else job.action,
        "back_url": list_url(spec, job.params.get("query", "")),
    }
    template = "crm/lists/job.html#progress" if request.htmx else "crm/lists/job.html"  # type: ignore[attr-defined]
    return render(request, template, context)
