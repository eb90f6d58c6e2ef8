"""Campaigns on contact and account timelines: each campaign a contact was sent, and what they did
with it (opened, clicked a link, unsubscribed, bounced, complained)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from campaigns.models import CampaignDelivery, DeliveryEvent, DeliveryStatus, EventKind
from crm.timeline import TimelineEntry, TimelinePosition, timeline_source
from crm.timeline_filters import before_position

ICONS = {
    EventKind.OPEN: "bi-envelope-open",
    EventKind.CLICK: "bi-cursor",
    EventKind.UNSUBSCRIBE: "bi-bell-slash text-warning",
    EventKind.BOUNCE: "bi-envelope-x text-danger",
    EventKind.COMPLAINT: "bi-flag text-danger",
}


@timeline_source("campaign-sent")
def sent_entries(*, contact: Any, account: Any, before: TimelinePosition | None, limit: int) -> list[TimelineEntry]:
    rows = CampaignDelivery.objects.filter(status=DeliveryStatus.SENT, sent_at__isnull=False)
    if contact is not None:
        rows = rows.filter(contact=contact)
    elif account is not None:
        rows = rows.filter(contact__account=account)
    else:
        return []
    found = (
        rows.filter(before_position(before, source="campaign-sent", at_field="sent_at"))
        .select_related("campaign")
        .only("sent_at", "address", "campaign__name", "campaign__channel", "campaign__id")
        .order_by("-sent_at", "-id")[:limit]
    )
    return [
        TimelineEntry(
            position=TimelinePosition(row.sent_at, "campaign-sent", row.pk),  # type: ignore[arg-type]
            icon="bi-megaphone",
            title=_("Campaign sent: %(name)s") % {"name": row.campaign.name},
            meta=f"{row.campaign.get_channel_display()} · {row.address}",
            url=reverse("campaigns:detail", args=[row.campaign_id]),
        )
        for row in found
    ]


@timeline_source("campaign-event")
def event_entries(*, contact: Any, account: Any, before: TimelinePosition | None, limit: int) -> list[TimelineEntry]:
    # First events only (one "opened" per email), but every click: each one is something the person did.
    rows = DeliveryEvent.objects.filter(Q(first=True) | Q(kind=EventKind.CLICK))
    if contact is not None:
        rows = rows.filter(delivery__contact=contact)
    elif account is not None:
        rows = rows.filter(delivery__contact__account=account)
    else:
        return []
    found = (
        rows.filter(before_position(before, source="campaign-event", at_field="at"))
        .select_related("campaign")
        .only("at", "kind", "url", "campaign__name", "campaign__id")
        .order_by("-at", "-id")[:limit]
    )
    return [
        TimelineEntry(
            position=TimelinePosition(row.at, "campaign-event", row.pk),
            icon=ICONS.get(row.kind, "bi-megaphone"),  # type: ignore[call-overload]
            title=f"{row.get_kind_display()}: {row.campaign.name}",
            detail=row.url,
            url=reverse("campaigns:detail", args=[row.campaign_id]),
        )
        for row in found
    ]
