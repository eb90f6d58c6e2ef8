"""Factories of the workspace app (also used by tests/crm/test_cross_tenant_urls.py through WORKSPACE_FACTORIES)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import factory
from django.db.models import Model
from django.utils import timezone

from crm.models import Membership
from tests.factories import MembershipFactory, TenantOwnedFactory
from workspace.models import Invitation


class InvitationFactory(TenantOwnedFactory):
    class Meta:
        model = Invitation

    email = factory.Sequence(lambda n: f"invitee{n}@example.net")
    role = "sales"
    nonce_hash = "0" * 64
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


WORKSPACE_FACTORIES: dict[type[Model], Any] = {
    Invitation: InvitationFactory,
    Membership: MembershipFactory,
}
