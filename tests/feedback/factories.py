"""Factories of product feedback (tests/crm/test_cross_tenant_urls.py uses FEEDBACK_FACTORIES)."""

from __future__ import annotations

from typing import Any

import factory
from django.db.models import Model

from feedback.models import FeedbackItem, ProductArea
from tests.factories import InteractionFactory, TenantOwnedFactory


class ProductAreaFactory(TenantOwnedFactory):
    class Meta:
        model = ProductArea

    name = factory.Sequence(lambda n: f"Area {n}")


class FeedbackItemFactory(TenantOwnedFactory):
    class Meta:
        model = FeedbackItem

    area = factory.SubFactory(ProductAreaFactory, tenant=factory.SelfAttribute("..tenant"))
    kind = "feature_request"
    note = "Wants a dark mode"
    interaction = factory.SubFactory(InteractionFactory, tenant=factory.SelfAttribute("..tenant"))
    contact = factory.LazyAttribute(lambda item: item.interaction.contact)


FEEDBACK_FACTORIES: dict[type[Model], Any] = {
    ProductArea: ProductAreaFactory,
    FeedbackItem: FeedbackItemFactory,
}
