"""Webhooks: admins subscribe URLs to events; each event becomes one signed delivery per endpoint.

``webhook_emit`` is called by the services that change records, inside their transaction, so an
event exists exactly when its change committed. Deliveries are sent by Celery after commit and
retried with exponential backoff (1, 2, 4 ... minutes, 8 attempts, about 4 hours); each attempt
is claimed by a conditional update, so two workers never send the same delivery at the same time.
After ``DISABLE_AFTER_FAILURES`` deliveries in a row give up, the endpoint is switched off and the
workspace's admins are told. Receivers verify ``X-CRM-Signature`` (integrations/signing.py) and can
drop repeats by ``X-CRM-Event-Id``: a retry after a lost answer sends the same event again.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Tenant, User
from crm.roles import Role
from crm.secrets import decrypt_secret, encrypt_secret
from integrations.http import IntegrationError, check_url, post_json
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from integrations.signing import SIGNATURE_HEADER, sign

MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=1)
DISABLE_AFTER_FAILURES = 10
CLAIM_TIMEOUT = timedelta(minutes=5)  # a claim older than this belonged to a worker that died

EVENTS: dict[str, Any] = {
    "contact.created": gettext_lazy("Contact created"),
    "contact.updated": gettext_lazy("Contact updated"),
    "contact.deleted": gettext_lazy("Contact deleted"),
    "account.created": gettext_lazy("Account created"),
    "account.updated": gettext_lazy("Account updated"),
    "account.deleted": gettext_lazy("Account deleted"),
    "order.created": gettext_lazy("Order created"),
    "order.updated": gettext_lazy("Order updated"),
    "order.deleted": gettext_lazy("Order deleted"),
    "deal.created": gettext_lazy("Deal created"),
    "deal.updated": gettext_lazy("Deal updated"),
    "deal.deleted": gettext_lazy("Deal deleted"),
    "deal.stage_changed": gettext_lazy("Deal moved to another stage"),
    "import.finished": gettext_lazy("Import finished"),
    "contact.risk_rose": gettext_lazy("Customer's churn risk band rose (after a scoring run)"),
    "ticket.created": gettext_lazy("Ticket opened"),
    "ticket.status_changed": gettext_lazy("Ticket status changed"),
    "ping": gettext_lazy("Test ping (sent by the Send test button)"),
}


def _validate(url: str, events: list[str]) -> list[str]:
    try:
        check_url(url)
    except IntegrationError as error:
        if error.permanent:
            raise ValidationError({"url": str(error)}) from error
    unknown = [event for event in events if event not in EVENTS]
    if unknown:
        raise ValidationError({"events": _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}})
    chosen = sorted({event for event in events if event != "ping"})
    if not chosen:
        raise ValidationError({"events": _("Choose at least one event.")})
    return chosen


@transaction.atomic
def webhook_endpoint_create(
    *, tenant: Tenant, url: str, events: list[str], description: str = "", by: User
) -> tuple[WebhookEndpoint, str]:
    """Subscribe ``url``; returns the endpoint and its signing secret (shown to the admin)."""
    chosen = _validate(url, events)
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant, url=url, events=chosen, description=description.strip()[:200],
        secret_encrypted=encrypt_secret(secret), created_by=by,
    )  # fmt: skip
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(
    *, tenant: Tenant, endpoint: WebhookEndpoint, url: str, events: list[str], description: str, is_active: bool,
    by: User,
) -> WebhookEndpoint:  # fmt: skip
    endpoint.events = _validate(url, events)
    endpoint.url, endpoint.description = url, description.strip()[:200]
    if is_active and not endpoint.is_active:
        endpoint.consecutive_failures, endpoint.disabled_reason = 0, ""  # switched back on: a fresh start
    endpoint.is_active = is_active
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, tenant: Tenant, endpoint: WebhookEndpoint, by: User) -> str:
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint.secret_encrypted = encrypt_secret(secret)
    endpoint.save(update_fields=["secret_encrypted"])
    return secret


@transaction.atomic
def webhook_endpoint_delete(*, tenant: Tenant, endpoint: WebhookEndpoint, by: User) -> None:
    endpoint.delete()


def webhook_secret(endpoint: WebhookEndpoint) -> str:
    return decrypt_secret(endpoint.secret_encrypted)


def _enqueue(tenant_id: int, delivery_ids: list[int]) -> None:
    from integrations.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        deliver_webhook.delay(tenant_id, delivery_id)


def _subscribed(event: str) -> QuerySet[WebhookEndpoint]:
    """The current tenant's active endpoints that want ``event``."""
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}")
    return WebhookEndpoint.objects.filter(is_active=True, events__contains=[event])


def webhook_emit(*, tenant: Tenant, event: str, data: dict[str, Any]) -> int:
    """Record ``event`` for every active endpoint subscribed to it; sending starts after commit.

    Returns how many deliveries were created (0 costs one indexed query)."""
    return webhook_emit_many(tenant=tenant, event=event, items=[data])


def webhook_emit_many(*, tenant: Tenant, event: str, items: list[dict[str, Any]]) -> int:
    """One event per item (e.g. every customer whose risk rose in a scoring run), written in one insert."""
    endpoints = list(_subscribed(event).only("id"))
    if not endpoints or not items:
        return 0
    now = timezone.now()
    rows: list[WebhookDelivery] = []
    for item in items:
        event_id = uuid.uuid4()
        payload = json.loads(
            json.dumps({"id": str(event_id), "event": event, "created_at": now.isoformat(), "data": item},
                       cls=DjangoJSONEncoder)
        )  # fmt: skip
        rows.extend(
            WebhookDelivery(
                tenant=tenant,
                endpoint=endpoint,
                event=event,
                event_id=event_id,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint in endpoints
        )
    ids = [delivery.pk for delivery in WebhookDelivery.objects.bulk_create(rows, batch_size=2000)]
    transaction.on_commit(lambda: _enqueue(tenant.pk, ids))
    return len(ids)


def webhook_subscribed(event: str) -> bool:
    """Whether any active endpoint of the current tenant wants ``event`` (skip building payloads otherwise)."""
    return _subscribed(event).exists()


@transaction.atomic
def webhook_ping(*, tenant: Tenant, endpoint: WebhookEndpoint, by: User) -> WebhookDelivery:
    """A test event for one endpoint, whatever it subscribes to (also when it is switched off)."""
    now = timezone.now()
    event_id = uuid.uuid4()
    delivery = WebhookDelivery.objects.create(
        tenant=tenant, endpoint=endpoint, event="ping", event_id=event_id, next_attempt_at=now,
        payload={"id": str(event_id), "event": "ping", "created_at": now.isoformat(),
                 "data": {"message": "Test ping from your CRM", "sent_by": by.email}},
    )  # fmt: skip
    transaction.on_commit(lambda: _enqueue(tenant.pk, [delivery.pk]))
    return delivery


@transaction.atomic
def webhook_redeliver(*, tenant: Tenant, delivery: WebhookDelivery, by: User) -> WebhookDelivery:
    """Send a delivery again now (a new attempt of the same event id), e.g. after the receiver was fixed."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), claimed_at=None, error=""
    )
    transaction.on_commit(lambda: _enqueue(tenant.pk, [delivery.pk]))
    delivery.refresh_from_db()
    return delivery


def _claim(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def webhook_delivery_send(*, tenant: Tenant, delivery_id: int) -> str:
    """One attempt of one delivery. Safe to call twice: only the caller that claims it sends."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return "not-due"
    endpoint = delivery.endpoint
    if not endpoint.is_active and delivery.event != "ping":
        _finish(delivery, status=DeliveryStatus.FAILED, error=_("The endpoint is switched off."))
        return DeliveryStatus.FAILED
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        SIGNATURE_HEADER: sign(secret=webhook_secret(endpoint), body=body),
        "X-CRM-Event": delivery.event,
        "X-CRM-Event-Id": str(delivery.event_id),
        "X-CRM-Delivery-Attempt": str(delivery.attempts),
        "User-Agent": "crm-webhooks/1",
    }
    try:
        result = post_json(endpoint.url, body=body, headers=headers)
    except IntegrationError as error:
        return _failed(tenant, delivery, error)
    _finish(
        delivery, status=DeliveryStatus.SUCCEEDED, response_status=result.status, response_ms=result.elapsed_ms,
        response_body=result.body, delivered_at=timezone.now(),
    )  # fmt: skip
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
    return DeliveryStatus.SUCCEEDED


def _finish(delivery: WebhookDelivery, **fields: Any) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=None, **fields)


def _failed(tenant: Tenant, delivery: WebhookDelivery, error: IntegrationError) -> str:
    common = {"response_status": error.status, "response_ms": error.elapsed_ms, "error": str(error)[:500]}
    if not error.permanent and delivery.attempts < MAX_ATTEMPTS and delivery.event != "ping":
        wait = RETRY_BASE * 2 ** (delivery.attempts - 1)
        _finish(delivery, status=DeliveryStatus.PENDING, next_attempt_at=timezone.now() + wait, **common)
        return DeliveryStatus.PENDING
    _finish(delivery, status=DeliveryStatus.FAILED, **common)
    if delivery.event != "ping":
        _count_failure(tenant, delivery.endpoint, str(error))
    return DeliveryStatus.FAILED


@transaction.atomic
def _count_failure(tenant: Tenant, endpoint: WebhookEndpoint, reason: str) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    switched_off = WebhookEndpoint.objects.filter(
        pk=endpoint.pk, is_active=True, consecutive_failures__gte=DISABLE_AFTER_FAILURES
    ).update(is_active=False, disabled_reason=reason[:300])
    if switched_off:
        _tell_admins(tenant, endpoint, reason)


def _tell_admins(tenant: Tenant, endpoint: WebhookEndpoint, reason: str) -> None:
    from notifications.services import notify

    admins = User.objects.filter(
        memberships__tenant=tenant, memberships__role=Role.ADMIN, memberships__is_active=True
    ).distinct()
    url = reverse("integrations:webhook-detail", args=[endpoint.pk])
    for admin in admins:
        notify(
            tenant=tenant, user=admin, kind="webhook_disabled", url=url,
            title=_("Webhook switched off: %(url)s") % {"url": endpoint.url[:120]},
            body=_("%(count)d deliveries in a row failed. Last error: %(reason)s")
            % {"count": DISABLE_AFTER_FAILURES, "reason": reason[:300]},
        )  # fmt: skip


def webhook_deliveries_due_ids(limit: int = 500) -> list[int]:
    """Deliveries waiting for their next attempt, and claims abandoned by a dead worker (requeued)."""
    now = timezone.now()
    WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT).update(
        status=DeliveryStatus.PENDING, claimed_at=None, next_attempt_at=now
    )
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
