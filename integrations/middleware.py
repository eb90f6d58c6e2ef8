"""API-key requests: the key's member becomes the request's user, in the key's workspace.

Runs after Django's AuthenticationMiddleware and before TenantMiddleware, so the tenant, the
membership and the record visibility of a key request are set by the same code as for a browser.
Only ``/api/`` paths look at the Authorization header; a session user always wins over a key.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from integrations.api_keys import ApiKeyRejected, api_key_authenticate

API_PATH_PREFIX = "/api/"


def presented_key(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-Api-Key") or None


class ApiKeyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.api_key = None  # type: ignore[attr-defined]
        request.api_key_tenant_id = None  # type: ignore[attr-defined]
        request.api_key_error = None  # type: ignore[attr-defined]
        if request.path.startswith(API_PATH_PREFIX):
            key = presented_key(request)
            if key and not request.user.is_authenticated:
                try:
                    found = api_key_authenticate(key, ip=request.META.get("REMOTE_ADDR"))
                except ApiKeyRejected as error:
                    request.api_key_error = str(error)  # type: ignore[attr-defined]
                else:
                    request.user = found.key.user
                    request.api_key = found.key  # type: ignore[attr-defined]
                    request.api_key_tenant_id = found.tenant_id  # type: ignore[attr-defined]
        return self.get_response(request)
