from __future__ import annotations

from django.db.models import QuerySet

from customers.models import Deal, ExchangeRate, StageKind


def exchange_rates_for_admin() -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.select_related("updated_by").order_by("currency")


def currencies_missing_a_rate(default_currency: str) -> list[str]:
    """Currencies of open deals with no rate: the forecast leaves those deals out until one is set."""
    used = set(Deal.objects.filter(stage__kind=StageKind.OPEN).values_list("currency", flat=True).distinct())
    known = set(ExchangeRate.objects.values_list("currency", flat=True))
    return sorted(used - known - {default_currency})
