"""The notification list, the bell's dropdown, and marking read."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from crm.access import acting_user, capability_required
from crm.roles import Capability
from notifications import selectors, services

# Every role can read customers, so this is "any member of the workspace": notifications are personal.
MEMBER = Capability.CUSTOMERS_VIEW


def _safe_next(request: HttpRequest, url: str) -> str | None:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return url
    return None


@require_GET
@capability_required(MEMBER)
def notification_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    page = Paginator(selectors.notifications_for(user), selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "notifications": page.object_list, "unread": selectors.unread_count(user)}
    template = "notifications/list.html#rows" if request.htmx else "notifications/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_GET
@capability_required(MEMBER)
def dropdown(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    context = {"notifications": selectors.recent_notifications(user), "unread": selectors.unread_count(user)}
    return render(request, "notifications/_dropdown.html", context)


@require_POST
@capability_required(MEMBER)
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one read. From a link in the list: go on to what it is about; from htmx: the updated row."""
    user = acting_user(request)
    try:
        notification_id = int(request.POST.get("notification", ""))
    except ValueError:
        return HttpResponse(status=404)
    notification = services.notification_mark_read(
        tenant=request.tenant,  # type: ignore[attr-defined]
        user=user,
        notification_id=notification_id,
    )
    if notification is None:  # not theirs, another tenant's, or gone: all look the same
        return HttpResponse(status=404)
    if request.POST.get("open"):
        return redirect(_safe_next(request, notification.url) or "notifications:list")
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "notifications/list.html#row", {"notification": notification})
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect("notifications:list")


@require_POST
@capability_required(MEMBER)
def mark_all_read(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    services.notifications_mark_all_read(tenant=request.tenant, user=user)  # type: ignore[attr-defined]
    if request.htmx:  # type: ignore[attr-defined]
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect(_safe_next(request, request.POST.get("next", "")) or "notifications:list")


@require_GET
@capability_required(MEMBER)
def bell(request: HttpRequest) -> HttpResponse:
    """The bell alone, re-fetched after a notification is marked read elsewhere on the page."""
    return render(request, "notifications/_bell_button.html", {"unread": selectors.unread_count(acting_user(request))})
