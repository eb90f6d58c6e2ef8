"""Factories for integrations (also used by tests/crm/test_cross_tenant_urls.py through INTEGRATION_FACTORIES)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import factory

from crm.roles import Role
from crm.secrets import encrypt_secret
from integrations.models import ApiKey, WebhookDelivery, WebhookEndpoint
from tests.factories import MembershipFactory, TenantOwnedFactory, UserFactory


def _member(key: Any) -> Any:
    user = UserFactory()
    MembershipFactory(user=user, tenant=key.tenant, role=Role.ADMIN)
    return user


class ApiKeyFactory(TenantOwnedFactory):
    class Meta:
        model = ApiKey

    name = factory.Sequence(lambda n: f"Integration key {n}")
    prefix = factory.LazyFunction(lambda: secrets.token_hex(6))
    secret_hash = factory.LazyFunction(lambda: secrets.token_hex(32))
    user = factory.LazyAttribute(_member)
    scopes = factory.LazyFunction(lambda: {"contact": "read"})


class WebhookEndpointFactory(TenantOwnedFactory):
    class Meta:
        model = WebhookEndpoint

    url = factory.Sequence(lambda n: f"https://hooks.example.com/crm/{n}")
    events = factory.LazyFunction(lambda: ["contact.created"])
    secret_encrypted = factory.LazyFunction(lambda: encrypt_secret("whsec_test"))


class WebhookDeliveryFactory(TenantOwnedFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory, tenant=factory.SelfAttribute("..tenant"))
    event = "contact.created"
    event_id = factory.LazyFunction(uuid.uuid4)
    payload = factory.LazyFunction(lambda: {"event": "contact.created", "data": {}})
    status = "failed"


INTEGRATION_FACTORIES: dict[Any, Any] = {
    ApiKey: ApiKeyFactory,
    WebhookEndpoint: WebhookEndpointFactory,
    WebhookDelivery: WebhookDeliveryFactory,
}
