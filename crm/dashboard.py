"""What each role sees on its dashboard.

Aggregates over a tenant's whole order history are cached for a few minutes per
tenant: at a million customers they take longer than a page view should.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.utils import timezone

from crm.models import Membership
from crm.roles import Role
from crm.tenancy.context import visible_owner_ids
from customers import selectors as customer_selectors
from interactions import selectors as interaction_selectors

CACHE_SECONDS = 300


def _tenant_figures(tenant_id: int) -> dict[str, Any]:
    # Someone limited to their own records gets their own figures, cached apart.
    key = f"dashboard:tenant:{tenant_id}:own:{visible_owner_ids()}"
    figures = cache.get(key)
    if figures is None:
        figures = {
            "counts": customer_selectors.customer_counts(),
            "accounts": customer_selectors.account_count(),
            "revenue_by_month": customer_selectors.revenue_by_month(months=24),
            "orders_30d": customer_selectors.orders_since(30),
            "consent": customer_selectors.consent_counts(),
            "interactions_30d": interaction_selectors.interactions_by_kind(days=30),
            "computed_at": timezone.now(),
        }
        cache.set(key, figures, CACHE_SECONDS)
    return figures


def _revenue_last_12_months(series: list[tuple[str, float]]) -> float:
    return sum(total for _, total in series[-12:])


def dashboard_for(*, membership: Membership) -> dict[str, Any]:
    figures = _tenant_figures(membership.tenant_id)
    role = membership.role
    context: dict[str, Any] = {
        "role": role,
        "figures": figures,
        "revenue_12m": _revenue_last_12_months(figures["revenue_by_month"]),
        "chart_revenue": {
            "months": [month for month, _ in figures["revenue_by_month"]],
            "totals": [round(total, 2) for _, total in figures["revenue_by_month"]],
        },
        "chart_lifecycle": [
            {"name": str(label), "value": figures["counts"].get(value, 0)}
            for value, label in customer_selectors.LifecycleStage.choices
        ],
        "chart_interactions": [
            {"name": kind, "value": count} for kind, count in sorted(figures["interactions_30d"].items())
        ],
    }
    if role == Role.SALES:
        context["my_counts"] = customer_selectors.customer_counts(owner=membership.user)
        context["activity"] = interaction_selectors.recent_interactions(logged_by=membership.user)
    elif role == Role.SERVICE:
        context["activity"] = interaction_selectors.recent_interactions(inbound_only=True)
    else:
        context["activity"] = interaction_selectors.recent_interactions()
    if role == Role.ADMIN:
        counts = dict(
            Membership.objects.filter(tenant_id=membership.tenant_id, is_active=True)
            .values_list("role")
            .annotate(n=Count("id"))
            .order_by()
        )
        context["team"] = [{"role": label, "n": counts[value]} for value, label in Role.choices if value in counts]
    return context
