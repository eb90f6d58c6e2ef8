"""Template context shared by every page: the workspace and what the user may do."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from crm.roles import CAPABILITIES


def workspace(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": membership,
        "workspace_memberships": getattr(request, "memberships", []),
        "signup_enabled": settings.SIGNUP_ENABLED,
        "capabilities": CAPABILITIES.get(membership.role, frozenset()) if membership else frozenset(),
    }
