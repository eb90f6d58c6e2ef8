"""The permission matrix: every role x every view and API endpoint, generated from crm.roles.CAPABILITIES.

For each route the capability it demands is read from the view itself
(``capability_required`` records it on the wrapper; API viewsets declare ``capability`` /
``write_capability``), and for each role in ``Role`` the answer must follow the map:
roles holding the capability never get 403, the others always do. Nothing is written per case:
a new view is covered as soon as it is routed, and a view that names no capability fails
unless it is on the commented allow-list below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from audit.views import AUDIT_CAPABILITIES
from crm.roles import CAPABILITIES, Capability, Role, role_can
from privacy.services import download_token
from tests.conftest import client_for
from tests.factories import MembershipFactory, UserFactory
from tests.security.routes import ObjectPool, Route, all_routes

# Views that check who may see them in another way than one capability of the map.
NO_CAPABILITY: dict[str, str] = {
    # Signing in and out, password reset and sign-up: used before there is a membership.
    "login": "public",
    "logout": "public",
    "password_change": "any signed-in user, about themselves",
    "password_change_done": "any signed-in user, about themselves",
    "password_reset": "public",
    "password_reset_done": "public",
    "password_reset_confirm": "public, signed token",
    "password_reset_complete": "public",
    "signup": "public",
    "healthz": "public probe for the load balancer, says nothing about data",
    # Personal pages of the signed-in user, whatever their role.
    "profile": "own profile",
    "switch-workspace": "only among the user's own memberships",
    "security:home": "own security settings",
    "security:two-factor": "own second factor",
    "security:two-factor-verify": "the sign-in code step",
    "security:backup-codes": "own backup codes",
    "security:two-factor-disable": "own second factor, asks for the password",
    "security:session-end": "own sessions only",
    "security:sessions-end-others": "own sessions only",
    "workspace:invitation-accept": "public, signed invitation token",
    # Reached by customers and third parties with an unguessable token, never with a session.
    "campaigns:unsubscribe": "recipient's token (RFC 8058 one-click)",
    "campaigns:preferences": "recipient's token",
    "campaigns:track-open": "tracking pixel token",
    "campaigns:track-click": "tracked link token",
    "followups:calendar-feed": "private calendar-feed token",
    "sms:callback-status": "provider webhook, per-tenant token and signature",
    "sms:callback-inbound": "provider webhook, per-tenant token and signature",
    "inbox:inbound-http": "inbound mail webhook, per-tenant token",
    "support:portal": "customer's ticket token",
    "support:portal-file": "customer's ticket token",
    "support:survey": "customer's survey token",
    "support:nps-answer": "customer's survey token",
    "support:web-form": "public support form of a workspace",
    "support:web-form-sent": "public support form of a workspace",
    # API plumbing: the schema and docs describe endpoints, the root lists them; no tenant data.
    "api:schema": "OpenAPI schema",
    "api:docs": "Swagger UI",
    "api:api-root": "list of endpoints",
}

# The platform operators' console: superusers only, a 404 for every workspace role (the area is not advertised).
OPERATOR_NAMESPACES = ("operator_console:",)

# Views whose decorator admits readers but whose action needs more on a record the user does not own
# (the matrix user owns no pool object): the matrix checks that stricter capability.
ON_OTHERS_RECORDS: dict[str, tuple[str, ...]] = {
    "followups:task-delete": (Capability.INTERACTIONS_EDIT,),
    "followups:task-complete": (Capability.INTERACTIONS_EDIT,),  # or the task's assignee
    "followups:task-reopen": (Capability.INTERACTIONS_EDIT,),  # or the task's assignee
    "feedback:item_delete": (Capability.INTERACTIONS_EDIT,),  # the pool item hangs on an interaction
    "lists:saved-view-delete": (Capability.TENANT_CONFIGURE,),  # someone else's shared view
}

# Views that accept any one of several capabilities.
ANY_OF: dict[str, tuple[str, ...]] = {
    "audit:list": AUDIT_CAPABILITIES,
    "audit:export": AUDIT_CAPABILITIES,
    "audit:history": AUDIT_CAPABILITIES,
}

# Views that also want a second proof beyond the role: the test supplies a valid one.
QUERY: dict[str, Callable[[Any], str]] = {
    "privacy:request-download": lambda request: "?token=" + download_token(request),  # signed 7-day link
}

ROUTES = all_routes()
OPERATOR_ROUTES = [route for route in ROUTES if route.name.startswith(OPERATOR_NAMESPACES)]
PAGE_ROUTES = [
    route for route in ROUTES if not route.is_api and route.name not in NO_CAPABILITY and route not in OPERATOR_ROUTES
]
API_ROUTES = [route for route in ROUTES if route.is_api and route.name not in NO_CAPABILITY]


def page_capabilities(route: Route) -> tuple[str, ...]:
    if route.name in ON_OTHERS_RECORDS:
        return ON_OTHERS_RECORDS[route.name]
    if route.name in ANY_OF:
        return ANY_OF[route.name]
    capability = getattr(route.callback, "capability", None)
    return (capability,) if capability else ()


def allowed(role: str, capabilities: tuple[str, ...]) -> bool:
    return any(role_can(role, capability) for capability in capabilities)


def member_client(tenant: Any, role: str) -> Client:
    user = UserFactory(email=f"{role}@matrix.example")
    MembershipFactory(user=user, tenant=tenant, role=role)
    client = client_for(user)
    client.raise_request_exception = False  # a crash is reported as a 500 below, with the others
    return client


def verdict(role: str, capabilities: tuple[str, ...], status: int, what: str) -> str | None:
    """What is wrong with this answer, if anything."""
    if status >= 500:
        return f"{what}: {role} got {status}"
    if allowed(role, capabilities) and status == 403:
        return f"{what}: {role} holds {'/'.join(capabilities)} but got 403"
    if not allowed(role, capabilities) and status != 403:
        return f"{what}: {role} lacks {'/'.join(capabilities)} but got {status}"
    return None


def test_every_view_names_its_capability_or_is_allow_listed():
    routes = {route.name: route for route in ROUTES}
    missing = [route.name for route in PAGE_ROUTES if not page_capabilities(route)]
    missing += [route.name for route in API_ROUTES if not all(route.api_methods().values()) or not route.api_methods()]
    assert not missing, "views without a capability: use capability_required or add to NO_CAPABILITY: " + ", ".join(
        missing
    )
    stale = sorted(set(NO_CAPABILITY) - set(routes))
    assert not stale, f"allow-listed routes that no longer exist: {stale}"
    guarded = sorted(
        name for name in NO_CAPABILITY if name in routes and getattr(routes[name].callback, "capability", None)
    )
    assert not guarded, f"allow-listed routes that do name a capability (take them off the list): {guarded}"


def test_the_matrix_covers_every_role_and_capability():
    used = {capability for route in PAGE_ROUTES for capability in page_capabilities(route)}
    used |= {capability for route in API_ROUTES for capability in route.api_methods().values()}
    assert set(Role.values) == set(CAPABILITIES)
    assert {"customers.view", "customers.edit", "tenant.configure", "users.manage"} <= used
    assert len(PAGE_ROUTES) > 200
    assert {"api:contact-list", "api:contact-detail"} <= {route.name for route in API_ROUTES}


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_pages_answer_each_role_by_the_capability_map(role, tenant_a):
    client = member_client(tenant_a, role)
    objects = ObjectPool(tenant_a)
    problems: list[str] = []
    post_only: list[tuple[Route, str]] = []
    # Reads first, so the writes below (some delete their object) cannot hide a page.
    for route in PAGE_ROUTES:
        url = objects.url(route)
        if route.name in QUERY:
            url += QUERY[route.name](objects.for_route(route))
        status = client.get(url).status_code
        if status == 405:
            post_only.append((route, url))
            continue
        problems.append(verdict(role, page_capabilities(route), status, f"GET {route.name}") or "")
    post_only.sort(key=lambda item: "delete" in item[0].name)  # deletions last
    for route, url in post_only:
        status = client.post(url).status_code
        problems.append(verdict(role, page_capabilities(route), status, f"POST {route.name}") or "")
    denied = sum(not allowed(role, page_capabilities(route)) for route in PAGE_ROUTES)
    assert denied == 0 if role == Role.ADMIN else 0 < denied < len(PAGE_ROUTES)  # the matrix has both kinds of cell
    for route in OPERATOR_ROUTES:
        url = objects.url(route)
        statuses = {client.get(url).status_code, client.post(url).status_code}
        if 404 not in statuses or not statuses <= {404, 405}:  # the method the view takes is a 404
            problems.append(f"{route.name}: {role} got {statuses}, not a 404")
    problems = [problem for problem in problems if problem]
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_api_endpoints_answer_each_role_by_the_capability_map(role, tenant_a):
    client = member_client(tenant_a, role)
    objects = ObjectPool(tenant_a)
    problems: list[str] = []
    calls = [(route, method, capability) for route in API_ROUTES for method, capability in route.api_methods().items()]
    calls.sort(key=lambda call: call[1] == "delete")  # deletions last
    for route, method, capability in calls:
        url = objects.url(route)
        response = client.generic(method.upper(), url, "{}", content_type="application/json")
        problems.append(verdict(role, (capability,), response.status_code, f"{method.upper()} {route.name}") or "")
    problems = [problem for problem in problems if problem]
    assert not problems, "\n".join(problems)
