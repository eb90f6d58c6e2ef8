"""Consent and suppressions: unsubscribes (link and RFC 8058 one-click), the preference page, the
suppression list, and tracking events. Every consent change is recorded as a ConsentChange."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import (
    CampaignDelivery,
    Channel,
    ConsentChange,
    DeliveryEvent,
    EventKind,
    Suppression,
    SuppressionReason,
)
from crm.models import Tenant, User
from customers.models import ConsentSource, Contact


def normalise_address(channel: str, address: str) -> str:
    address = address.strip()
    return address.lower() if channel == Channel.EMAIL else address.replace(" ", "")


@transaction.atomic
def consent_set(
    *,
    tenant: Tenant,
    contact: Contact,
    channel: str,
    granted: bool,
    source: str,
    by: User | None = None,
    note: str = "",
) -> bool:
    """Apply a consent choice to the contact and record it; False (nothing recorded) when it did not change."""
    field = "sms_consent" if channel == Channel.SMS else "email_consent"
    changes: dict[str, object] = {field: granted, f"{field}_at": timezone.now() if granted else None}
    changes[f"{field}_source"] = ConsentSource.FORM if granted else ""
    # Unscoped (the tenant is named): the visitor of a preference page has no record visibility.
    updated = (
        Contact.unscoped_objects.filter(tenant=tenant, pk=contact.pk)
        .exclude(**{field: granted})
        .update(version=F("version") + 1, updated_at=timezone.now(), **changes)
    )
    if not updated:
        return False
    ConsentChange.objects.create(
        tenant=tenant, contact=contact, channel=channel, granted=granted, source=source, changed_by=by, note=note
    )
    return True


def suppression_add(
    *, tenant: Tenant, channel: str, address: str, reason: str, source: str = "", by: User | None = None
) -> tuple[Suppression, bool]:
    """Add ``address`` (normalised) to the list; (row, created). Adding it again changes nothing."""
    address = normalise_address(channel, address)
    try:
        with transaction.atomic():
            return Suppression.objects.get_or_create(
                tenant=tenant,
                channel=channel,
                address=address,
                defaults={"reason": reason, "source": source[:200], "added_by": by},
            )
    except IntegrityError:  # added concurrently
        return Suppression.objects.get(tenant=tenant, channel=channel, address=address), False


@transaction.atomic
def suppression_remove(*, tenant: Tenant, suppression: Suppression, by: User) -> None:
    suppression.delete()


@transaction.atomic
def delivery_unsubscribe(*, tenant: Tenant, delivery: CampaignDelivery, source: str) -> None:
    """The recipient of ``delivery`` wants no more campaigns on its channel. Idempotent."""
    channel = delivery.campaign.channel
    consent_set(
        tenant=tenant,
        contact=delivery.contact,
        channel=channel,
        granted=False,
        source=source,
        note=delivery.campaign.name[:300],
    )
    if delivery.address:
        suppression_add(
            tenant=tenant,
            channel=channel,
            address=delivery.address,
            reason=SuppressionReason.UNSUBSCRIBED,
            source=f"{delivery.campaign.name}",
        )
    event_record(tenant=tenant, delivery=delivery, kind=EventKind.UNSUBSCRIBE)


def event_record(*, tenant: Tenant, delivery: CampaignDelivery, kind: str, url: str = "") -> bool:
    """Record what the recipient did. Opens, bounces, complaints and unsubscribes count once per delivery;
    every click is kept (the first one marked for the unique count). Returns True when it was the first."""
    first = not DeliveryEvent.objects.filter(delivery=delivery, kind=kind, first=True).exists()
    if not first and kind != EventKind.CLICK:
        return False
    if first:
        try:
            with transaction.atomic():
                DeliveryEvent.objects.create(
                    tenant=tenant, delivery=delivery, campaign_id=delivery.campaign_id, kind=kind, url=url, first=True
                )
            return True
        except IntegrityError:  # a concurrent request recorded the first one
            if kind != EventKind.CLICK:
                return False
    DeliveryEvent.objects.create(
        tenant=tenant, delivery=delivery, campaign_id=delivery.campaign_id, kind=kind, url=url, first=False
    )
    return False


@transaction.atomic
def delivery_bounce(*, tenant: Tenant, delivery: CampaignDelivery, complaint: bool = False, source: str = "") -> None:
    """A hard bounce or a complaint about ``delivery``: recorded, and its address suppressed for good."""
    event_record(tenant=tenant, delivery=delivery, kind=EventKind.COMPLAINT if complaint else EventKind.BOUNCE)
    if delivery.address:
        suppression_add(
            tenant=tenant,
            channel=delivery.campaign.channel,
            address=delivery.address,
            reason=SuppressionReason.COMPLAINED if complaint else SuppressionReason.BOUNCED,
            source=source or delivery.campaign.name,
        )
    if complaint:
        consent_set(
            tenant=tenant, contact=delivery.contact, channel=delivery.campaign.channel, granted=False,
            source="complaint", note=delivery.campaign.name[:300],
        )  # fmt: skip


_CAMPAIGN_MESSAGE_ID = re.compile(r"<campaign-(\d+)-(\d+)\.(\d+)@")
BOUNCE_LOOKBACK = timedelta(days=1)


def bounces_from_inbox(*, tenant: Tenant, now: datetime | None = None) -> int:
    """Hard bounces the inbox received (it stores them as ignored bounces): a bounce quoting one of our
    deterministic campaign Message-IDs marks that delivery bounced and suppresses its address. Run by
    the beat every minute over the last day; idempotent, so overlapping runs change nothing twice."""
    from inbox.models import InboundMessage, InboundStatus

    since = (now or timezone.now()) - BOUNCE_LOOKBACK
    texts = InboundMessage.objects.filter(
        status=InboundStatus.IGNORED_BOUNCE, received_at__gte=since, body_text__contains="<campaign-"
    ).values_list("body_text", flat=True)
    ids = {
        int(delivery_id)
        for text in texts
        for _campaign, delivery_id, tenant_id in _CAMPAIGN_MESSAGE_ID.findall(text)
        if int(tenant_id) == tenant.pk
    }
    if not ids:
        return 0
    bounced = DeliveryEvent.objects.filter(kind=EventKind.BOUNCE, delivery_id__in=ids).values("delivery_id")
    fresh = CampaignDelivery.objects.filter(pk__in=ids).exclude(pk__in=bounced).select_related("campaign", "contact")
    count = 0
    for delivery in fresh:
        delivery_bounce(tenant=tenant, delivery=delivery, source=_("Bounce received by the inbox"))
        count += 1
    return count
