"""While a superuser acts as a tenant admin, each request runs as that admin.

After AuthenticationMiddleware and AuditContextMiddleware, before TenantMiddleware: the session keeps the
operator signed in and only names whom they act as (operator_console.services.impersonation_start).
``request.impersonator`` is the operator, which the red banner (base.html) and the End button read;
every audit row written meanwhile names the admin "via" the operator.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import AuditActor, audit_actor_context
from audit.middleware import actor_for_request
from crm.models import Membership, User
from operator_console.services import (
    IMPERSONATED_SESSION_KEY,
    IMPERSONATED_TENANT_SESSION_KEY,
    IMPERSONATOR_SESSION_KEY,
)


class ImpersonationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.impersonator = None  # type: ignore[attr-defined]
        session = getattr(request, "session", None)
        if session is None or IMPERSONATED_SESSION_KEY not in session:
            return self.get_response(request)
        operator = request.user
        target = self._target(request)
        if target is None:
            # The operator lost superuser rights, or the admin their role: stop acting as them.
            for key in (IMPERSONATED_SESSION_KEY, IMPERSONATED_TENANT_SESSION_KEY, IMPERSONATOR_SESSION_KEY):
                session.pop(key, None)
            return self.get_response(request)
        request.impersonator = operator  # type: ignore[attr-defined]
        request.user = target
        actor = actor_for_request(request)
        label = f"{target.email} (via {operator.email})"  # type: ignore[union-attr]
        with audit_actor_context(
            AuditActor(
                user_id=actor.user_id,
                label=label,
                ip=actor.ip,
                user_agent=actor.user_agent,
                request_id=getattr(request, "audit_request_id", actor.request_id),
            )
        ):
            return self.get_response(request)

    @staticmethod
    def _target(request: HttpRequest) -> User | None:
        operator = request.user
        session = request.session
        if not (operator.is_authenticated and operator.is_active and operator.is_superuser):
            return None
        user_id, tenant_id = session.get(IMPERSONATED_SESSION_KEY), session.get(IMPERSONATED_TENANT_SESSION_KEY)
        if session.get(IMPERSONATOR_SESSION_KEY) != operator.pk or user_id is None or tenant_id is None:
            return None
        membership = (
            Membership.objects.filter(
                user_id=user_id,
                tenant_id=tenant_id,
                is_active=True,
                user__is_active=True,
            )
            .select_related("user")
            .first()
        )
        return membership.user if membership is not None else None
