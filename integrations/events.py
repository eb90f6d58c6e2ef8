"""Webhook events of customer records, with the same JSON as the REST API gives for the record.

Called from the customers services inside their transactions (one line each), so an event is
recorded exactly when its change commits. With no endpoint subscribed this costs one indexed query.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from crm.models import Tenant
from integrations.webhooks import webhook_emit


def _representation(record: Model) -> dict[str, Any]:
    from customers.deals.api import DealSerializer
    from customers.models import Account, Contact, Deal, Order
    from customers.serializers import AccountSerializer, ContactSerializer

    if isinstance(record, Contact):
        return dict(ContactSerializer(record).data)
    if isinstance(record, Account):
        return dict(AccountSerializer(record).data)
    if isinstance(record, Deal):
        return dict(DealSerializer(record).data)
    if isinstance(record, Order):
        return {
            "id": record.pk, "contact": record.contact_id, "account": record.account_id,
            "ordered_at": record.ordered_at, "amount": record.amount, "currency": record.currency,
            "status": record.status, "external_id": record.external_id, "source_system": record.source_system,
        }  # fmt: skip
    raise TypeError(f"No webhook representation for {type(record).__name__}")


def record_event(*, tenant: Tenant, record: Model, action: str, extra: dict[str, Any] | None = None) -> int:
    """Emit ``<model>.<action>`` (created / updated / deleted / stage_changed) for a customer record.

    For "deleted", call it before the row goes: the payload carries the record as it was."""
    name = record._meta.model_name
    data = {"object": _representation(record), **(extra or {})}
    return webhook_emit(tenant=tenant, event=f"{name}.{action}", data=data)
