"""Sweeps over every route: a POST without a CSRF token is refused, and every page carries the security headers.

Routes are enumerated from the resolver (tests/security/routes.py), so a view added later is
covered without editing this file; the only exceptions are on the commented allow-list.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

from tests.security.routes import ObjectPool, all_routes
from tests.security.test_hardening import CSP, directives

# Views that must take a POST from a peer that has no session and no CSRF token.
CSRF_EXEMPT: dict[str, str] = {
    "campaigns:unsubscribe": "RFC 8058 one-click unsubscribe: mail clients POST List-Unsubscribe=One-Click",
    "sms:callback-status": "SMS provider's delivery webhook, authenticated by per-tenant token and signature",
    "sms:callback-inbound": "SMS provider's inbound-message webhook, authenticated by per-tenant token and signature",
    "inbox:inbound-http": "inbound mail endpoint of the mail relay, authenticated by a per-tenant token",
}
# (The API needs no entry: DRF refuses a session-authenticated write without a token, checked below,
# and a request with an API key carries no cookie, so it is not exposed to CSRF.)

ROUTES = all_routes()
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def test_the_csrf_allow_list_is_exactly_the_exempt_views():
    exempt = {route.name for route in ROUTES if not route.is_api and getattr(route.callback, "csrf_exempt", False)}
    assert exempt == set(CSRF_EXEMPT), "a csrf_exempt view must be justified in CSRF_EXEMPT (and nothing else)"


@pytest.mark.django_db
def test_a_post_without_csrf_token_is_refused_everywhere(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    refused, problems = 0, []
    for route in ROUTES:
        if route.name in CSRF_EXEMPT:
            continue
        response = client.post(route.url(), {"name": "x"})
        if is_csrf_refusal(response):
            refused += 1
        else:
            problems.append(f"POST {route.name}: {response.status_code}")
    assert not problems, "\n".join(problems)
    assert refused == len(ROUTES) - len(CSRF_EXEMPT)


@pytest.mark.django_db
def test_the_exempt_peers_are_not_stopped_by_csrf(client):
    """The allow-listed views answer a token-less POST themselves (here: an unknown token is a 404)."""
    csrf_client = Client(enforce_csrf_checks=True)
    for route in ROUTES:
        if route.name in CSRF_EXEMPT:
            response = csrf_client.post(route.url(), {"List-Unsubscribe": "One-Click"})
            assert not is_csrf_refusal(response), route.name
            assert response.status_code != 403, route.name


def is_csrf_refusal(response: Any) -> bool:
    """403 from CsrfViewMiddleware (templates/403_csrf.html) or from DRF's session authentication (its data)."""
    if response.status_code != 403:
        return False
    templates = {template.name for template in response.templates or []}
    return "403_csrf.html" in templates or "CSRF Failed" in str(getattr(response, "data", None))


class _Forms(HTMLParser):
    """The POST forms of a page: their action and whether they carry the CSRF token."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and (values.get("method") or "").lower() == "post":
            self._open = {"action": values.get("action") or "", "token": False}
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and values.get("name") == "csrfmiddlewaretoken":
            self._open["token"] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


@pytest.mark.django_db
def test_every_page_carries_the_csp_and_security_headers_and_its_forms_the_csrf_token(alice_client, tenant_a):
    objects = ObjectPool(tenant_a)
    pages, forms, problems = 0, set(), []
    for route in ROUTES:
        if route.is_api:
            continue
        url = objects.url(route)
        response = alice_client.get(url)
        if response.status_code == 405:  # POST-only: no page to show
            continue
        pages += 1
        csp = response.get("Content-Security-Policy")
        if csp is None or directives(csp) != directives(CSP):
            problems.append(f"{route.name}: Content-Security-Policy {csp!r}")
        problems += [
            f"{route.name}: {header} {response.get(header)!r}"
            for header, value in HEADERS.items()
            if response.get(header) != value
        ]
        if "text/html" in response.get("Content-Type", "") and response.status_code == 200:
            parser = _Forms()
            parser.feed(response.content.decode())
            for form in parser.forms:
                action = form["action"] or url
                forms.add(re.sub(r"\d+", "N", action.split("?")[0]))
                if not form["token"]:
                    problems.append(f"{route.name}: a POST form to {action} has no csrfmiddlewaretoken")
                try:
                    resolve(action.split("?")[0])
                except Resolver404:
                    problems.append(f"{route.name}: a POST form to {action} that no route serves")
    assert not problems, "\n".join(problems)
    assert pages > 150
    assert len(forms) > 50
    print(f"{pages} pages checked, {len(forms)} distinct POST form targets")
