"""sla test fixtures: a service agent and a 24/7 or office-hours calendar for tenant A."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crm.roles import Role
from crm.tenancy.context import tenant_context
from sla.services import calendar_update
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def sam(tenant_a: Any) -> Any:
    user = UserFactory(email="sam.service@acme.example", full_name="Sam Service", password=PASSWORD)
    MembershipFactory(user=user, tenant=tenant_a, role=Role.SERVICE)
    return user


def agent(tenant: Any, name: str) -> Any:
    user = UserFactory(email=f"{name.lower()}@acme.example", full_name=name, password=PASSWORD)
    MembershipFactory(user=user, tenant=tenant, role=Role.SERVICE)
    return user


@pytest.fixture
def always_open(tenant_a: Any) -> Any:
    with tenant_context(tenant_a.id):
        return calendar_update(tenant=tenant_a, time_zone="UTC", always_open=True, weekly_hours=[[]] * 7, by=None)


@pytest.fixture
def office_hours(tenant_a: Any) -> Any:
    """Monday-Friday 09:00-17:00 in Berlin."""
    with tenant_context(tenant_a.id):
        return calendar_update(
            tenant=tenant_a,
            time_zone="Europe/Berlin",
            always_open=False,
            weekly_hours=[[["09:00", "17:00"]]] * 5 + [[], []],
            by=None,
        )


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run queued tasks in-process (the settings only do so without REDIS_URL)."""
    from crm.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
