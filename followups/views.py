"""My tasks, the task form (full page or htmx partial), complete/reopen/delete, the calendar feed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.access import acting_user, capability_required, get_object_for_user, object_view
from crm.models import Tenant
from crm.roles import Capability
from crm.tenancy.context import tenant_context
from followups import calendar, selectors, services
from followups.forms import TaskForm, initial_from_query, initial_from_task
from followups.models import Task
from followups.services import TaskInputError

VIEW = Capability.CUSTOMERS_VIEW  # every role: tasks assigned to them are theirs to see and tick off
EDIT = Capability.INTERACTIONS_EDIT  # tasks are follow-ups in the communication log


def _safe_next(request: HttpRequest, url: str | None) -> str | None:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return url
    return None


def _task(request: HttpRequest, pk: int) -> Task:
    return get_object_for_user(selectors.tasks_for_detail(), pk)


def _can_edit(request: HttpRequest) -> bool:
    return bool(request.membership.can(EDIT))  # type: ignore[attr-defined]


def _may_tick(request: HttpRequest, task: Task) -> bool:
    """Editors, and the assignee whatever their role, may complete and reopen a task."""
    return _can_edit(request) or task.assignee_id == request.user.pk


@require_GET
@capability_required(VIEW)
def my_tasks(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    is_admin = request.membership.can(Capability.USERS_MANAGE)  # type: ignore[attr-defined]
    people = list(selectors.members()) if is_admin else []
    chosen = request.GET.get("assignee", "") if is_admin else ""
    if chosen == "all":
        assignee = None
    elif chosen.isdigit() and any(person.pk == int(chosen) for person in people):
        assignee = next(person for person in people if person.pk == int(chosen))
    else:
        assignee, chosen = user, ""
    zone = timezone.get_current_timezone()
    context = {
        "sections": selectors.my_tasks(assignee=assignee, zone=zone),
        "people": people,
        "chosen": chosen,
        "assignee": assignee,
        "show_assignee": assignee is None or assignee != user,
        "zone_name": str(zone),
    }
    return render(request, "followups/my_tasks.html", context)


def _form_response(request: HttpRequest, form: TaskForm, task: Task | None, status: int = 200) -> HttpResponse:
    template = "followups/_task_form.html" if request.htmx else "followups/task_form.html"  # type: ignore[attr-defined]
    return render(request, template, {"form": form, "task": task}, status=status)


def _done(request: HttpRequest, form: TaskForm, task: Task, message: str) -> HttpResponse:
    messages.success(request, message)
    target = _safe_next(request, form.cleaned_data.get("next")) or reverse("followups:my-tasks")
    if request.htmx:  # type: ignore[attr-defined]
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def _save(request: HttpRequest, form: TaskForm, save: Any) -> Task | None:
    try:
        return save()  # type: ignore[no-any-return]
    except TaskInputError as error:
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return None


@capability_required(EDIT)
def task_create(request: HttpRequest) -> HttpResponse:
    """GET: the form, prefilled from ?contact=&deal=&account=&title=&due=&next=. POST: create."""
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    if request.method == "POST":
        form = TaskForm(request.POST)
        if form.is_valid():
            task = _save(request, form, lambda: services.task_create(tenant=tenant, by=user, data=form.task_data()))
            if task is not None:
                return _done(request, form, task, _("Task “%(title)s” added.") % {"title": task.title})
        return _form_response(request, form, None)
    return _form_response(request, TaskForm(initial=initial_from_query(request.GET, user=user)), None)


@object_view(Task)
@capability_required(VIEW)
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    task = _task(request, pk)
    if not _can_edit(request):
        if request.method == "POST":
            raise PermissionDenied(EDIT)
        # Read-only roles still open a task they were given (from a reminder) and may tick it off.
        return render(request, "followups/task_form.html", {"task": task, "readonly": True})
    if request.method == "POST":
        form = TaskForm(request.POST)
        if form.is_valid():
            saved = _save(
                request, form, lambda: services.task_update(tenant=tenant, task=task, by=user, data=form.task_data())
            )
            if saved is not None:
                return _done(request, form, saved, _("Task saved."))
        return _form_response(request, form, task)
    initial = {**initial_from_task(task), "next": request.GET.get("next", "")}
    return _form_response(request, TaskForm(initial=initial), task)


def _tick(request: HttpRequest, pk: int, action: Any, message: str) -> HttpResponse:
    task = _task(request, pk)  # first: another tenant's task is a 404 whatever the method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not _may_tick(request, task):
        raise PermissionDenied(EDIT)
    task = action(tenant=request.tenant, task=task, by=acting_user(request))  # type: ignore[attr-defined]
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "followups/_task_row.html", {"task": task, "just_changed": True})
        response["HX-Trigger"] = "tasks-changed"
        return response
    messages.success(request, message % {"title": task.title})
    return redirect(_safe_next(request, request.POST.get("next")) or "followups:my-tasks")


@object_view(Task)
@capability_required(VIEW)
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _tick(request, pk, services.task_complete, _("“%(title)s” is done."))


@object_view(Task)
@capability_required(VIEW)
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _tick(request, pk, services.task_reopen, _("“%(title)s” is open again."))


@object_view(Task)
@capability_required(VIEW)
def task_delete(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    if not _can_edit(request):
        raise PermissionDenied(EDIT)
    back = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        services.task_delete(tenant=request.tenant, task=task, by=acting_user(request))  # type: ignore[attr-defined]
        messages.success(request, _("Task “%(title)s” was deleted.") % {"title": task.title})
        return redirect(back or "followups:my-tasks")
    consequences = [_("Its reminder is cancelled.")] if task.due_at and not task.is_done else []
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object_name": task.title,
            "cancel_url": back or reverse("followups:task-edit", args=[task.pk]),
            "consequences": consequences,
        },
    )


@require_GET
@capability_required(VIEW)
def overdue_badge(request: HttpRequest) -> HttpResponse:
    """The sidebar badge alone, refreshed after a task is ticked off on the page."""
    return render(request, "followups/_overdue_badge.html", {"overdue": selectors.overdue_count(acting_user(request))})


@capability_required(VIEW)
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The member's calendar address: make (shown once), replace, or switch off."""
    tenant, user = request.tenant, acting_user(request)  # type: ignore[attr-defined]
    new_url = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            calendar.feed_token_revoke(tenant=tenant, user=user)
            messages.success(request, _("Your calendar address no longer works."))
            return redirect("followups:calendar")
        token = calendar.feed_token_create(tenant=tenant, user=user)
        new_url = request.build_absolute_uri(reverse("followups:calendar-feed", args=[token]))
    feed = calendar.CalendarFeed.objects.filter(user=user).first()
    return render(request, "followups/calendar.html", {"feed": feed, "new_url": new_url})


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The .ics for calendar apps: no session; the token names the workspace and proves the member."""
    parts = calendar.split_token(token)
    if parts is None:
        raise Http404
    tenant_id, secret = parts
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        raise Http404
    with tenant_context(tenant.pk):
        feed = calendar.feed_for_secret(secret)
        if feed is None or not feed.user.is_active:
            raise Http404
        if not feed.user.memberships.filter(tenant=tenant, is_active=True).exists():
            raise Http404
        calendar.CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
        body = calendar.feed_calendar(user=feed.user, tenant=tenant)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="crm-tasks.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
