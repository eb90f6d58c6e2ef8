"""factory_boy factories of the segments app (tests/crm/test_cross_tenant_urls.py uses SEGMENT_FACTORIES)."""

from __future__ import annotations

from typing import Any

import factory
from django.db.models import Model

from segments.models import Segment
from tests.factories import TenantOwnedFactory


class SegmentFactory(TenantOwnedFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    rules = factory.LazyFunction(
        lambda: {"match": "all", "rules": [{"field": "email_consent", "op": "is_true", "value": None}]}
    )


SEGMENT_FACTORIES: dict[type[Model], Any] = {Segment: SegmentFactory}
