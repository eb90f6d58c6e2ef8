"""Request-level security: the body size cap, idle sign-out, last-seen times and the two-factor step."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from security import services

TWO_FACTOR_SESSION_KEY = "security_2fa"  # "verify": enter a code; "enrol": set up an authenticator first
VERIFY = "verify"
ENROL = "enrol"
SEEN_SESSION_KEY = "security_seen"  # unix seconds of the last request, refreshed at most every interval


class RequestSizeLimitMiddleware:
    """Refuse a body larger than REQUEST_MAX_BODY_BYTES with 413 from its Content-Length, unread."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse(_("Malformed Content-Length header."), status=400, content_type="text/plain")
        if declared > settings.REQUEST_MAX_BODY_BYTES:
            limit_mb = settings.REQUEST_MAX_BODY_BYTES / (1024 * 1024)
            message = _("This upload is too large: the limit is %(size).0f MB.") % {"size": limit_mb}
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _seen_interval() -> int:
    idle = settings.SESSION_IDLE_TIMEOUT
    return max(1, min(300, idle // 4)) if idle else 300


class SessionSecurityMiddleware:
    """After TenantMiddleware. No query on an ordinary request: the state lives in the session.

    - signs out a session idle longer than SESSION_IDLE_TIMEOUT (when set);
    - refreshes the session's "last seen" time for the security page every few minutes;
    - while a signed-in user still owes the two-factor step (a code, or setting up an authenticator
      because their workspace requires one), every page except that step, sign-out and static files
      sends them there; the API answers 403.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        if getattr(request, "api_key", None) is not None:
            return self.get_response(request)  # an API key (integrations.middleware) has no session to keep
        session = request.session
        now = int(time.time())
        seen = session.get(SEEN_SESSION_KEY)
        idle = settings.SESSION_IDLE_TIMEOUT
        if idle and isinstance(seen, int) and now - seen > idle:
            logout(request)
            messages.info(request, _("You were signed out after a period of inactivity."))
            return redirect_to_login(request.get_full_path())
        if not isinstance(seen, int) or now - seen >= _seen_interval():
            session[SEEN_SESSION_KEY] = now
            if session.session_key:
                services.session_touch(session_key=session.session_key)

        state = session.get(TWO_FACTOR_SESSION_KEY)
        if state == VERIFY and getattr(user, "is_verified", lambda: False)():
            del session[TWO_FACTOR_SESSION_KEY]
        elif state in (VERIFY, ENROL) and not _exempt(request.path, state):
            return _send_to_two_factor(request, state)
        return self.get_response(request)


def _exempt(path: str, state: str) -> bool:
    static = "/" + settings.STATIC_URL.lstrip("/")
    allowed = [reverse("logout"), reverse("security:two-factor-verify")]
    if state == ENROL:
        allowed += [reverse("security:two-factor"), reverse("security:backup-codes")]
    return path.startswith(static) or path in allowed


def _send_to_two_factor(request: HttpRequest, state: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Two-factor verification is required.")}, status=403)
    target = reverse("security:two-factor-verify" if state == VERIFY else "security:two-factor")
    if request.method == "GET" and not getattr(request, "htmx", False):
        target += "?" + urlencode({"next": request.get_full_path()})
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)
