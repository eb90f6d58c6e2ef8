"""Sign-in and sign-out: track the session and decide whether the two-factor step is owed.

Connected in SecurityConfig.ready(). Computing the two-factor state once here keeps every later
request free of queries (the middleware reads it from the session).
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest

from crm.models import User
from security import selectors, services
from security.middleware import ENROL, SEEN_SESSION_KEY, TWO_FACTOR_SESSION_KEY, VERIFY


def on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    services.session_track(request=request, user=user)
    request.session[SEEN_SESSION_KEY] = int(time.time())
    if selectors.user_has_two_factor(user):
        request.session[TWO_FACTOR_SESSION_KEY] = VERIFY
    elif selectors.two_factor_required_for(user):
        request.session[TWO_FACTOR_SESSION_KEY] = ENROL
    else:
        request.session.pop(TWO_FACTOR_SESSION_KEY, None)


def on_logout(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        services.session_forget(session_key=request.session.session_key)
