"""Reads of the integrations pages."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import User
from integrations.models import ApiKey, WebhookDelivery, WebhookEndpoint


def api_keys() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("user").order_by("revoked_at", "-created_at")


def webhook_endpoints() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("-is_active", "url")


def webhook_deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")


def active_members(tenant_id: int) -> QuerySet[User]:
    return User.objects.filter(memberships__tenant_id=tenant_id, memberships__is_active=True).order_by("email")
