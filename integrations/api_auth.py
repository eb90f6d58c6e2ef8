"""DRF pieces for API keys: authentication, per-resource scopes, and a rate limit per key in Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from rest_framework import exceptions, permissions, throttling
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from integrations.models import ApiKey, ScopeLevel

if TYPE_CHECKING:  # rest_framework.views imports this module through its settings
    from rest_framework.views import APIView


class ApiKeyAuthentication(BaseAuthentication):
    """The key was checked by integrations.middleware; this hands its user to DRF (no CSRF: not a cookie)."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        django_request = request._request
        error = getattr(django_request, "api_key_error", None)
        if error:
            raise exceptions.AuthenticationFailed(error)
        key = getattr(django_request, "api_key", None)
        if key is None:
            return None
        return (django_request.user, key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyScopeAllows(permissions.BasePermission):
    """A key reaches only the resources its scopes name: reads need read or write, writes need write."""

    message = "This API key's scopes do not allow this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True  # a browser session: roles alone decide
        resource = getattr(view, "basename", None)
        if resource is None:
            return request.method in permissions.SAFE_METHODS  # e.g. the schema
        level = key.scope_for(resource)
        if request.method in permissions.SAFE_METHODS:
            return level in (ScopeLevel.READ, ScopeLevel.WRITE)
        return level == ScopeLevel.WRITE


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    """Requests per key per period (API_KEY_RATE, e.g. "600/min"), counted in the shared cache (Redis);
    over the limit the client gets 429 with Retry-After."""

    scope = "api_key"

    def get_rate(self) -> str | None:
        return str(getattr(settings, "API_KEY_RATE", "600/min"))

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return f"throttle:api_key:{request.auth.prefix}"  # random per key: no clash across databases
