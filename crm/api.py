"""Base classes for the REST API: tenant scoping that a subclass cannot skip.

API views name a ``selector`` (a function returning an already tenant-scoped
queryset) and the ``capability`` their role must hold. Overriding
``get_queryset`` or setting a class-level ``queryset`` fails at import time, so
a new endpoint cannot bypass the scoped selectors (the PostHog trick, STYLE.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import permissions, viewsets
from rest_framework.request import Request
from rest_framework.views import APIView

from integrations.api_auth import ApiKeyScopeAllows


class HasCapability(permissions.BasePermission):
    """The signed-in user's active membership must grant the view's capability."""

    message = "Your role in this workspace does not allow this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        membership = getattr(request._request, "membership", None)
        if membership is None:
            return False
        capability = getattr(view, "write_capability", None) if request.method not in permissions.SAFE_METHODS else None
        return membership.can(capability or view.capability)  # type: ignore[attr-defined]


class TenantScopedViewSet(viewsets.GenericViewSet):
    selector: ClassVar[Callable[[], QuerySet[Any]]]
    capability: ClassVar[str]
    # ApiKeyScopeAllows: a request with an API key also needs the key's scope for this resource.
    permission_classes = [permissions.IsAuthenticated, HasCapability, ApiKeyScopeAllows]
    lookup_value_converter = "int"  # ids are integers: <int:pk> in the routes and the schema

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ or cls.__dict__.get("queryset") is not None:
            raise TypeError(
                f"{cls.__name__}: do not override get_queryset or set queryset; set `selector` to a "
                "scoped selector function instead."
            )

    def get_queryset(self) -> QuerySet[Any]:
        return type(self).selector()
