"""Login throttling glue for django-axes: one username form, and a lockout page that says when to retry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from security.ip import client_ip


def normalised_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """Emails are matched case-insensitively, so ``Alice@`` and ``alice@`` count as one user."""
    source: Any = credentials if credentials else getattr(request, "data", None) or request.POST
    value = source.get(settings.AXES_USERNAME_FORM_FIELD) or ""
    return str(value).strip().lower()


def lockout_ends_at(*, username: str, ip_address: str) -> datetime | None:
    """When this user+IP pair may sign in again (the last failure plus the cool-off), if it is locked."""
    attempt = (
        AccessAttempt.objects.filter(
            username=username, ip_address=ip_address, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        )
        .order_by("-attempt_time")
        .first()
    )
    if attempt is None:
        return None
    ends = attempt.attempt_time + settings.AXES_COOLOFF_TIME
    return ends if ends > timezone.now() else None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The sign-in page again, with the form and a message naming the time to retry (HTTP 429)."""
    username = normalised_username(request, credentials)
    ends = lockout_ends_at(username=username, ip_address=client_ip(request)) or (
        timezone.now() + settings.AXES_COOLOFF_TIME
    )
    minutes = max(1, round((ends - timezone.now()).total_seconds() / 60))
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "next": request.POST.get("next", ""),
        "signup_enabled": settings.SIGNUP_ENABLED,
        "locked_until": ends,
        "locked_minutes": minutes,
    }
    return render(request, "registration/login.html", context, status=429)
