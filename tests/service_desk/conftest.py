"""Service-desk personas: a service agent (works tickets) and a sales rep (may read tickets only)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from crm.roles import Role
from tests.conftest import PASSWORD, client_for
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def sam(tenant_a: Any) -> Any:
    """A service agent of tenant A."""
    user = UserFactory(email="sam.service@acme.example", full_name="Sam Service", password=PASSWORD)
    MembershipFactory(user=user, tenant=tenant_a, role=Role.SERVICE)
    return user


@pytest.fixture
def sally(tenant_a: Any) -> Any:
    """A sales rep of tenant A: sees tickets, works none."""
    user = UserFactory(email="sally@acme.example", full_name="Sally Sales", password=PASSWORD)
    MembershipFactory(user=user, tenant=tenant_a, role=Role.SALES)
    return user


@pytest.fixture
def sam_client(sam: Any) -> Client:
    return client_for(sam)


@pytest.fixture
def sally_client(sally: Any) -> Client:
    return client_for(sally)
