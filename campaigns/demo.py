"""Demo campaigns for seed_demo: a sent newsletter and a sent A/B offer with deliveries, opens and
clicks, and a draft, so the campaign pages open with something to look at."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignDelivery,
    CampaignStatus,
    DeliveryEvent,
    DeliveryStatus,
    EventKind,
    StaticList,
    StaticListMember,
)
from campaigns.sending import campaign_prepare
from crm.models import Tenant
from crm.tenancy.context import tenant_context
from customers.models import Contact

BODY = (
    '<p>Hi {{ first_name|default:"there" }},</p><p>Our spring collection is here, with 20% off for '
    '{{ account|default:"you" }} until Friday.</p>'
    '<p><a href="https://shop.example.com/spring">See the collection</a> · '
    '<a href="https://shop.example.com/offers">All offers</a></p><p>The Acme team</p>'
)


def seed_campaigns(*, tenant_ids: Iterable[int], seed: int = 42) -> None:
    for tenant_id in tenant_ids:
        tenant = Tenant.objects.get(pk=tenant_id)
        with tenant_context(tenant.pk):
            _seed_tenant(tenant, random.Random(seed + tenant.pk))  # noqa: S311 - demo data


@transaction.atomic
def _seed_tenant(tenant: Tenant, rng: random.Random) -> None:
    reachable = list(
        Contact.unscoped_objects.filter(tenant=tenant)
        .exclude(email="")
        .order_by("id")
        .values_list("id", flat=True)[:400]
    )
    if not reachable:
        return
    newsletter_list, _created = StaticList.objects.get_or_create(tenant=tenant, name="Newsletter subscribers")
    StaticListMember.objects.bulk_create(
        [StaticListMember(tenant=tenant, static_list=newsletter_list, contact_id=pk) for pk in reachable],
        ignore_conflicts=True,
    )
    now = timezone.now()
    for days_ago, name, ab in ((9, "March newsletter", False), (2, "Spring offer", True)):
        started = now - timedelta(days=days_ago)
        campaign = Campaign.objects.create(
            tenant=tenant, name=name, status=CampaignStatus.SENDING, list_ids=[newsletter_list.pk],
            subject="{{ first_name|default:\"Hello\" }}, spring is here", html_body=BODY, started_at=started,
            ab_enabled=ab, ab_subject_b="20% off everything until Friday", ab_sample_percent=20, ab_wait_hours=4,
            created_at=started - timedelta(hours=3),
        )  # fmt: skip
        campaign_prepare(tenant=tenant, campaign_id=campaign.pk)
        if ab:
            Campaign.objects.filter(pk=campaign.pk).update(ab_winner="b", ab_decided_at=started + timedelta(hours=4))
            CampaignDelivery.objects.filter(campaign=campaign, status=DeliveryStatus.HELD).update(
                status=DeliveryStatus.QUEUED, variant="b"
            )
        rows = list(CampaignDelivery.objects.filter(campaign=campaign, status=DeliveryStatus.QUEUED))
        events = []
        for row in rows:
            row.status, row.sent_at, row.attempts = (
                DeliveryStatus.SENT,
                started + timedelta(seconds=rng.randint(0, 900)),
                1,
            )
            opened = rng.random() < (0.45 if row.variant == "b" else 0.35)
            if opened:
                at = row.sent_at + timedelta(minutes=rng.randint(5, 60 * 30))
                events.append(
                    DeliveryEvent(
                        tenant=tenant, delivery=row, campaign=campaign, kind=EventKind.OPEN, first=True, at=at
                    )
                )
                if rng.random() < 0.3:
                    url = rng.choice(["https://shop.example.com/spring", "https://shop.example.com/offers"])
                    for n in range(rng.randint(1, 3)):
                        events.append(
                            DeliveryEvent(tenant=tenant, delivery=row, campaign=campaign, kind=EventKind.CLICK, url=url,
                                          first=n == 0, at=at + timedelta(minutes=n + 1))
                        )  # fmt: skip
        CampaignDelivery.objects.bulk_update(rows, ["status", "sent_at", "attempts"], batch_size=500)
        DeliveryEvent.objects.bulk_create(events, batch_size=1000)
        Campaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.SENT, finished_at=started + timedelta(hours=6)
        )
    Campaign.objects.create(
        tenant=tenant, name="Summer preview (draft)", list_ids=[newsletter_list.pk],
        subject="A first look at summer", html_body=BODY,
    )  # fmt: skip
