"""Access helpers every view goes through.

- ``capability_required``: signed in, a member of an active workspace, and the
  role may do this; otherwise the login page, the "no workspace" page, or 403.
- ``get_object_for_user``: load a tenant object by id through the scoped manager;
  another tenant's object is a 404, exactly like a missing one.
- ``object_view``: declares which model a view's ``pk`` refers to, so the generic
  cross-tenant test (tests/crm/test_cross_tenant_urls.py) covers it automatically.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from crm.models import User

ModelT = TypeVar("ModelT", bound=Model)
View = Callable[..., HttpResponseBase]


def capability_required(capability: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = getattr(request, "membership", None)
            if membership is None:
                return render(request, "crm/no_workspace.html", status=403)
            if not membership.can(capability):
                raise PermissionDenied(capability)
            return view(request, *args, **kwargs)

        wrapper.capability = capability  # type: ignore[attr-defined]  # read by tests/security/test_permission_matrix.py
        return wrapper

    return decorator


def get_object_for_user(queryset: QuerySet[ModelT], pk: Any) -> ModelT:
    """Fetch from an already tenant-scoped queryset; anything not in it is a 404."""
    try:
        return queryset.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None


def object_view(model: type[Model]) -> Callable[[View], View]:
    """Mark a view whose URL carries the id of a ``model`` object."""

    def decorator(view: View) -> View:
        view.tenant_model = model  # type: ignore[attr-defined]
        return view

    return decorator


def acting_user(request: HttpRequest) -> User:
    """The signed-in user behind a view guarded by ``capability_required``."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("sign-in required")
    return user
