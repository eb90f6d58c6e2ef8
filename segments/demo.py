"""Demo segments for seed_demo: a marketer opens the app to audiences that already mean something."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import connection

from crm.models import Membership, Tenant
from crm.roles import Role
from crm.tenancy.context import tenant_context
from segments.models import Segment
from segments.services import segment_create

# Without scores yet (seed_demo without --score), "high value" starts here; a later edit can move it.
DEFAULT_HIGH_VALUE = Decimal("1000")


def _top_value_band(tenant_id: int) -> Decimal:
    """The predicted value at which the top quarter of scored contacts begins."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT percentile_cont(0.75) WITHIN GROUP (ORDER BY predicted_value) FROM analytics_contactscore "
            "WHERE tenant_id = %s AND predicted_value IS NOT NULL",
            [tenant_id],
        )
        row = cursor.fetchone()
    value = row[0] if row else None
    return Decimal(str(round(value))) if value else DEFAULT_HIGH_VALUE


def _demo_segments(top_value: Decimal) -> list[dict[str, Any]]:
    return [
        {
            "name": "High value at risk",
            "description": "Top quarter by predicted value, high churn risk, opted in to email",
            "rules": {"match": "all", "rules": [
                {"field": "score.predicted_value", "op": "gte", "value": str(top_value)},
                {"field": "score.risk_band", "op": "in", "value": ["high"]},
                {"field": "email_consent", "op": "is_true", "value": None},
            ]},
        },
        {
            "name": "New this quarter",
            "description": "Added in the last 90 days",
            "rules": {"match": "all", "rules": [{"field": "created_at", "op": "in_last", "value": 90}]},
        },
        {
            "name": "Lapsed customers",
            "description": "Customers with no paid order in six months",
            "rules": {"match": "all", "rules": [
                {"field": "lifecycle_stage", "op": "in", "value": ["customer"]},
                {"field": "orders.last_date", "op": "not_in_last", "value": 180},
            ]},
        },
        {
            "name": "Big spenders or champions",
            "description": "Spent 5,000 or more, or in the Champions RFM segment; reachable by email or SMS",
            "rules": {"match": "all", "rules": [
                {"match": "any", "rules": [
                    {"field": "orders.total", "op": "gte", "value": "5000"},
                    {"field": "score.rfm_segment", "op": "in", "value": ["Champions"]},
                ]},
                {"match": "any", "rules": [
                    {"field": "email_consent", "op": "is_true", "value": None},
                    {"field": "sms_consent", "op": "is_true", "value": None},
                ]},
            ]},
        },
    ]  # fmt: skip


def seed_demo_segments(*, tenant_ids: list[int]) -> int:
    """Create the demo segments in each tenant that has none of that name yet; returns how many were made."""
    made = 0
    for tenant in Tenant.objects.filter(pk__in=tenant_ids).order_by("pk"):
        marketer = (
            Membership.objects.filter(tenant=tenant, role=Role.MARKETING, is_active=True)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        with tenant_context(tenant.pk):
            existing = set(Segment.objects.values_list("name", flat=True))
            for spec in _demo_segments(_top_value_band(tenant.pk)):
                if spec["name"] in existing:
                    continue
                segment_create(tenant=tenant, by=marketer.user if marketer else None, **spec)
                made += 1
    return made
