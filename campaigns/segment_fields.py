"""Campaign engagement as segment fields: "opened / clicked any campaign email in the last N days",
"last campaign email opened", "received / opened / clicked campaign X". Registered from
CampaignsConfig.ready(); each builds an EXISTS over the delivery events, never a loop over contacts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

GROUP = _("Campaigns")


def _events(kind: str) -> Callable[[], QuerySet[Any]]:
    def events() -> QuerySet[Any]:
        from campaigns.models import DeliveryEvent

        return DeliveryEvent.objects.filter(delivery__contact_id=OuterRef("pk"), kind=kind)

    return events


def _campaign_choices() -> list[tuple[str, str]]:
    from campaigns.models import Campaign, CampaignStatus

    started = Campaign.objects.exclude(status__in=[CampaignStatus.DRAFT, CampaignStatus.SCHEDULED])
    return [(str(pk), name) for pk, name in started.order_by("-created_at", "-id").values_list("pk", "name")[:200]]


def _in_campaign(kind: str | None) -> Callable[[str, Any, Any], Q]:
    def build(op: str, value: Any, ctx: Any) -> Q:
        from campaigns.models import CampaignDelivery, DeliveryEvent, DeliveryStatus
        from segments.fields import Op

        ids = [int(v) for v in value]
        if kind is None:
            rows: QuerySet[Any] = CampaignDelivery.objects.filter(
                contact_id=OuterRef("pk"), campaign_id__in=ids, status=DeliveryStatus.SENT
            )
        else:
            rows = DeliveryEvent.objects.filter(delivery__contact_id=OuterRef("pk"), campaign_id__in=ids, kind=kind)
        return Q(Exists(rows)) if op == Op.IN else ~Q(Exists(rows))

    return build


def register() -> None:
    from segments.fields import FieldType, Op, last_event_date, register_field

    register_field(
        key="campaigns.opened_any", label=_("Opened a campaign email"), group=GROUP, type=FieldType.RELATIVE_DATE,
        build=last_event_date(_events("open"), "at"),
    )  # fmt: skip
    register_field(
        key="campaigns.clicked_any", label=_("Clicked in a campaign email"), group=GROUP,
        type=FieldType.RELATIVE_DATE, build=last_event_date(_events("click"), "at"),
    )  # fmt: skip
    register_field(
        key="campaigns.last_opened", label=_("Last campaign email opened"), group=GROUP, type=FieldType.DATE,
        build=last_event_date(_events("open"), "at"),
    )  # fmt: skip
    for key, label, kind in (
        ("campaigns.received", _("Received campaign"), None),
        ("campaigns.opened", _("Opened campaign"), "open"),
        ("campaigns.clicked", _("Clicked campaign"), "click"),
    ):
        register_field(
            key=key, label=label, group=GROUP, type=FieldType.CHOICE, choices=_campaign_choices,
            build=_in_campaign(kind), operators=(Op.IN, Op.NOT_IN),
        )  # fmt: skip
