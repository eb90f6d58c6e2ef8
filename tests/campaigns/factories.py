"""Factories for campaigns (also used by tests/crm/test_cross_tenant_urls.py through CAMPAIGN_FACTORIES)."""

from __future__ import annotations

from typing import Any

import factory

from campaigns.models import Campaign, Suppression
from tests.factories import TenantOwnedFactory


class CampaignFactory(TenantOwnedFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    subject = 'Hello {{ first_name|default:"there" }}'
    html_body = '<p>Hi {{ first_name|default:"there" }},</p><p><a href="https://shop.example.com/sale">Sale</a></p>'


class SuppressionFactory(TenantOwnedFactory):
    class Meta:
        model = Suppression

    channel = "email"
    address = factory.Sequence(lambda n: f"suppressed{n}@example.org")
    reason = "manual"


CAMPAIGN_FACTORIES: dict[Any, Any] = {Campaign: CampaignFactory, Suppression: SuppressionFactory}
