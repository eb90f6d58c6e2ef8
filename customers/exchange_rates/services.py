from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from crm.models import Tenant, User
from customers.models import ExchangeRate


@transaction.atomic
def exchange_rate_set(*, tenant: Tenant, currency: str, rate: Decimal, by: User) -> ExchangeRate:
    """Create or replace the rate of ``currency`` (one row per currency, enforced by a constraint)."""
    exchange_rate, _ = ExchangeRate.objects.update_or_create(
        tenant=tenant, currency=currency, defaults={"rate": rate, "updated_at": timezone.now(), "updated_by": by}
    )
    return exchange_rate


@transaction.atomic
def exchange_rate_delete(*, tenant: Tenant, exchange_rate: ExchangeRate, by: User) -> None:
    exchange_rate.delete()
