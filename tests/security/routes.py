"""Every route of the site, enumerated from the URL resolver, for the permission, CSRF and header sweeps.

A view added later is picked up without editing the tests: its capability comes from
``crm.access.capability_required`` (recorded on the wrapper) or, for the API, from the
viewset's ``capability`` / ``write_capability``; its object from ``crm.access.object_view``
or the serializer's model (tests/crm/test_cross_tenant_urls.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, UUIDConverter
from rest_framework import permissions

from tests.crm.test_cross_tenant_urls import FACTORIES, model_of, object_id_parameter

UNSAFE_API_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: URLPattern

    @property
    def callback(self) -> Any:
        return self.pattern.callback

    @property
    def is_api(self) -> bool:
        return hasattr(self.callback, "cls")

    @property
    def model(self) -> type[Model] | None:
        return model_of(self.pattern) if object_id_parameter(self.pattern) else None

    def url(self, obj: Model | None = None) -> str:
        """The route's URL: the object's id for its id parameter, placeholders for the rest."""
        kwargs: dict[str, Any] = {}
        for name, converter in self.pattern.pattern.converters.items():
            if name == "format":  # DRF's format-suffix twin of the same route
                continue
            if isinstance(converter, IntConverter):
                kwargs[name] = obj.pk if obj is not None else 1
            elif isinstance(converter, UUIDConverter):
                kwargs[name] = uuid.UUID(int=1)
            else:
                kwargs[name] = "placeholder"
        return reverse(self.name, kwargs=kwargs)

    def api_methods(self) -> dict[str, str]:
        """HTTP method -> capability the viewset demands (crm.api.HasCapability), for this route."""
        cls = self.callback.cls
        initkwargs = getattr(self.callback, "initkwargs", {})
        read = initkwargs.get("capability", getattr(cls, "capability", None))
        write = initkwargs.get("write_capability", getattr(cls, "write_capability", None)) or read
        actions = getattr(self.callback, "actions", None) or {"get": "get"}
        return {
            method: (read if method.upper() in permissions.SAFE_METHODS else write)
            for method in actions
            if method in ("get", *UNSAFE_API_METHODS)
        }


def _walk(patterns: list[Any], namespace: str) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner)
        elif entry.name:
            yield Route(f"{namespace}{entry.name}", entry)


def all_routes() -> list[Route]:
    """One route per name (the API router's format-suffixed twin is dropped), sorted by name."""
    routes: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns, ""):
        if "format" not in route.pattern.pattern.converters:
            routes.setdefault(route.name, route)
    return sorted(routes.values(), key=lambda route: route.name)


class ObjectPool:
    """One object per model for a tenant, made on first use and reused by every route."""

    def __init__(self, tenant: Any) -> None:
        self.tenant = tenant
        self._objects: dict[type[Model], Model] = {}

    def for_route(self, route: Route) -> Model | None:
        model = route.model
        if model is None:
            return None
        if model not in self._objects:
            assert model in FACTORIES, f"{route.name}: add a factory for {model.__name__} to FACTORIES"
            self._objects[model] = FACTORIES[model](tenant=self.tenant)
        return self._objects[model]

    def url(self, route: Route) -> str:
        return route.url(self.for_route(route))
