"""The demo segments seed_demo adds: each compiles, and seeding again adds nothing."""

from __future__ import annotations

import pytest

from crm.roles import Role
from crm.tenancy.context import tenant_context
from segments.demo import seed_demo_segments
from segments.models import Segment
from segments.selectors import segment_contacts
from tests.factories import ContactFactory, MembershipFactory, UserFactory


@pytest.mark.django_db
def test_demo_segments_are_made_once_by_the_marketer_and_all_work(tenant_a):
    maya = UserFactory(email="maya@acme.example")
    MembershipFactory(user=maya, tenant=tenant_a, role=Role.MARKETING)
    ContactFactory(tenant=tenant_a, lifecycle_stage="customer")
    assert seed_demo_segments(tenant_ids=[tenant_a.pk]) == 4
    assert seed_demo_segments(tenant_ids=[tenant_a.pk]) == 0
    with tenant_context(tenant_a.pk):
        segments = list(Segment.objects.order_by("name"))
        assert {segment.created_by for segment in segments} == {maya}
        sizes = {segment.name: segment_contacts(segment).count() for segment in segments}
    assert sizes["New this quarter"] == 1 and sizes["Lapsed customers"] == 1
    assert "High value at risk" in sizes
