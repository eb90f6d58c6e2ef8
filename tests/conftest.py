"""Shared fixtures: the database set up as the owner role, the personas, CI rules.

Personas (STYLE.md): tenants A and B; alice (A admin), bob (A analyst: reads customers, runs analytics, edits nothing),
charlie (B admin). Every persona's password is PASSWORD.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from crm.roles import Role
from crm.tenancy.context import tenant_context
from tests.factories import MembershipFactory, TenantFactory, UserFactory

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """Create and migrate the test database as the owner; tests then run as the runtime role.

    "default" (runtime role) mirrors "owner" in settings, so both aliases are set up
    together whatever databases the collected tests name.
    """
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default", "owner"})
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        connections.close_all()  # the runtime role's persistent connection would block DROP DATABASE
        teardown_databases(config, verbosity=0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Transactional tests also flush through the owner: the runtime role may not TRUNCATE."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        uses_transactions = (marker is not None and marker.kwargs.get("transaction")) or bool(
            {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
        )
        if uses_transactions and not (marker and marker.kwargs.get("databases")):
            item.add_marker(pytest.mark.django_db(transaction=True, databases=["default", "owner"]), append=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    """In CI a skipped test is a failure: Redis, the worker and the browser must be there."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"Skipped in CI, which must run every test: {report.longrepr}"


@pytest.fixture
def tenant_a(db: None) -> Any:
    return TenantFactory(name="Acme Corporation", slug="acme")


@pytest.fixture
def tenant_b(db: None) -> Any:
    return TenantFactory(name="Globex", slug="globex")


def _persona(email: str, full_name: str, tenant: Any, role: str) -> Any:
    user = UserFactory(email=email, full_name=full_name, password=PASSWORD)
    MembershipFactory(user=user, tenant=tenant, role=role)
    return user


@pytest.fixture
def alice(tenant_a: Any) -> Any:
    return _persona("alice@acme.example", "Alice Admin", tenant_a, Role.ADMIN)


@pytest.fixture
def bob(tenant_a: Any) -> Any:
    return _persona("bob@acme.example", "Bob Analyst", tenant_a, Role.ANALYST)


@pytest.fixture
def charlie(tenant_b: Any) -> Any:
    return _persona("charlie@globex.example", "Charlie Admin", tenant_b, Role.ADMIN)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice: Any) -> Client:
    return client_for(alice)


@pytest.fixture
def bob_client(bob: Any) -> Client:
    return client_for(bob)


@pytest.fixture
def charlie_client(charlie: Any) -> Client:
    return client_for(charlie)


@pytest.fixture
def as_tenant_a(tenant_a: Any) -> Iterator[Any]:
    with tenant_context(tenant_a.id):
        yield tenant_a
