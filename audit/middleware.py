"""Puts the signed-in user, client IP, user agent and a request id in the audit context."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import AuditActor, audit_actor_context


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR: the proxy in front of the app is expected to set it (no trust in X-Forwarded-For)."""
    return request.META.get("REMOTE_ADDR") or None


def actor_for_request(request: HttpRequest) -> AuditActor:
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    return AuditActor(
        user_id=user.pk if authenticated else None,  # type: ignore[union-attr]
        label=(str(user.email) if authenticated else ""),  # type: ignore[union-attr]
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        request_id=(request.headers.get("X-Request-Id") or uuid.uuid4().hex)[:64],
    )


class AuditContextMiddleware:
    """After AuthenticationMiddleware: every audit row of this request names who, from where."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        actor = actor_for_request(request)
        request.audit_request_id = actor.request_id  # type: ignore[attr-defined]
        with audit_actor_context(actor):
            return self.get_response(request)
