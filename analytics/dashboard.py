"""The analytics dashboard's figures: score distributions, segment sizes, revenue, pipeline, and the
high-value customers most at risk. Aggregates over every contact are cached per tenant, per
record visibility and per promoted run (a new run shows at once)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Floor, Least

from analytics.models import ContactScore, ModelRun
from analytics.selectors import segment_sizes
from crm.tenancy.context import current_tenant_id, visible_owner_ids
from customers.models import Deal, RiskBand, StageKind
from customers.selectors import revenue_by_month
from customers.sort_keys import value_or_none

CACHE_SECONDS = 300
CHURN_BUCKETS = 10
HIGH_VALUE_AT_RISK = 20
VALUE_EDGES = [0, 100, 250, 500, 1000, 2500, 5000, 10000, 25000]  # predicted value buckets, tenant currency


def _aggregates(run: ModelRun | None) -> dict[str, Any]:
    key = f"analytics-dashboard:{current_tenant_id()}:{run.pk if run else 0}:own:{visible_owner_ids()}"
    figures = cache.get(key)
    if figures is not None:
        return figures
    scored = ContactScore.objects.all()
    bands = dict(scored.values_list("risk_band").annotate(n=Count("pk")).order_by())
    churn_histogram = [0] * CHURN_BUCKETS
    buckets = (
        scored.filter(churn_probability__isnull=False)
        .annotate(bucket=Least(Floor(F("churn_probability") * CHURN_BUCKETS), Value(CHURN_BUCKETS - 1.0)))
        .values("bucket")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in buckets:
        churn_histogram[int(row["bucket"])] = row["n"]
    ranges = list(zip(VALUE_EDGES, [*VALUE_EDGES[1:], None], strict=True))
    value_counts = scored.aggregate(
        **{
            f"v{index}": Count(
                "pk", filter=Q(predicted_value__gte=low) & (Q(predicted_value__lt=high) if high else Q())
            )
            for index, (low, high) in enumerate(ranges)
        }
    )
    pipeline = list(
        Deal.objects.filter(stage__kind=StageKind.OPEN)
        .values_list("stage__name", "stage__position")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by("stage__position")
    )
    figures = {
        "scored": sum(bands.values()),
        "bands": {band: bands.get(band, 0) for band in RiskBand.values},
        "churn_histogram": churn_histogram,
        "value_histogram": {
            "labels": [f"{low:,}+" if high is None else f"{low:,} to {high:,}" for low, high in ranges],
            "counts": [value_counts[f"v{index}"] for index in range(len(ranges))],
        },
        "segments": segment_sizes(),
        "pipeline": [(name, float(total or 0), n) for name, _, total, n in pipeline],
        "revenue": revenue_by_month(months=24),
        "value_at_risk": float(
            scored.filter(risk_band=RiskBand.HIGH).aggregate(total=Sum("predicted_value"))["total"] or 0
        ),
    }
    cache.set(key, figures, CACHE_SECONDS)
    return figures


def high_value_at_risk(limit: int = HIGH_VALUE_AT_RISK) -> list[ContactScore]:
    """High churn risk, highest predicted value first: read from contactscore_value_idx, filtered."""
    return list(
        ContactScore.objects.filter(risk_band=RiskBand.HIGH, predicted_value__isnull=False)
        .select_related("contact", "contact__owner", "contact__account")
        .alias(value=value_or_none("predicted_value"))
        .order_by(F("value").desc(), F("contact").desc())[:limit]
    )


def analytics_dashboard(*, run: ModelRun | None) -> dict[str, Any]:
    return {"figures": _aggregates(run), "at_risk": high_value_at_risk(), "run": run}
