"""Sets the current tenant, membership, language and time zone for each request."""

from __future__ import annotations

import contextlib
import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from crm.selectors import choose_active_membership, memberships_for_user
from crm.tenancy.context import request_scope, tenant_context, visibility_context
from crm.visibility import visible_owners_for

ACTIVE_TENANT_SESSION_KEY = "active_tenant_id"


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        request.tenant = None  # type: ignore[attr-defined]
        request.memberships = []  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            with tenant_context(None):
                return self.get_response(request)

        memberships = list(memberships_for_user(user))
        # An API key (integrations.middleware) works in its own workspace only, and keeps no session.
        key_tenant_id = getattr(request, "api_key_tenant_id", None)
        if key_tenant_id is not None:
            memberships = [m for m in memberships if m.tenant_id == key_tenant_id]
        request.memberships = memberships  # type: ignore[attr-defined]
        membership = choose_active_membership(
            memberships,
            preferred_tenant_id=key_tenant_id or request.session.get(ACTIVE_TENANT_SESSION_KEY),
        )
        if membership is not None:
            request.membership = membership  # type: ignore[attr-defined]
            request.tenant = membership.tenant  # type: ignore[attr-defined]
            if key_tenant_id is None and request.session.get(ACTIVE_TENANT_SESSION_KEY) != membership.tenant_id:
                request.session[ACTIVE_TENANT_SESSION_KEY] = membership.tenant_id
        _activate_user_preferences(request)
        try:
            with (
                tenant_context(membership.tenant_id if membership else None),
                visibility_context(visible_owners_for(membership)),
                request_scope(),
            ):
                return self.get_response(request)
        finally:
            # The user's language and time zone belong to this request only: without this the thread
            # keeps them, and code run next on it (tasks run in-process, tests) speaks that language.
            timezone.deactivate()
            translation.deactivate()


def _activate_user_preferences(request: HttpRequest) -> None:
    user = request.user
    tenant = request.tenant  # type: ignore[attr-defined]
    zone_name = user.time_zone or (tenant.time_zone if tenant else "")  # type: ignore[union-attr]
    if zone_name:
        with contextlib.suppress(zoneinfo.ZoneInfoNotFoundError):
            timezone.activate(zoneinfo.ZoneInfo(zone_name))
    language = user.language or (tenant.language if tenant else "")  # type: ignore[union-attr]
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
