"""Orders and deal stage changes on contact and account timelines."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from crm.timeline import TimelineEntry, TimelinePosition, timeline_source
from crm.timeline_filters import before_position
from customers.models import DealStageChange, Order


@timeline_source("order")
def order_entries(*, contact: Any, account: Any, before: TimelinePosition | None, limit: int) -> list[TimelineEntry]:
    orders = Order.objects.select_related("contact")
    if contact is not None:
        orders = orders.filter(contact=contact)
    elif account is not None:
        orders = orders.filter(account=account)
    rows = orders.filter(before_position(before, source="order", at_field="ordered_at")).order_by("-ordered_at", "-id")[
        :limit
    ]
    return [
        TimelineEntry(
            position=TimelinePosition(row.ordered_at, "order", row.pk),
            icon="bi-bag-check",
            title=_("Order of %(amount)s %(currency)s") % {"amount": f"{row.amount:,.2f}", "currency": row.currency},
            meta=" · ".join(
                part
                for part in (
                    row.get_status_display(),
                    f"#{row.external_id}" if row.external_id else "",
                    row.contact.full_name if account is not None and row.contact else "",
                )
                if part
            ),
        )
        for row in rows
    ]


@timeline_source("deal_stage")
def deal_stage_entries(
    *, contact: Any, account: Any, before: TimelinePosition | None, limit: int
) -> list[TimelineEntry]:
    changes = DealStageChange.objects.select_related("deal", "from_stage", "to_stage", "changed_by")
    if contact is not None:
        changes = changes.filter(deal__contact=contact)
    elif account is not None:
        changes = changes.filter(deal__account=account)
    rows = changes.filter(before_position(before, source="deal_stage", at_field="changed_at")).order_by(
        "-changed_at", "-id"
    )[:limit]
    return [
        TimelineEntry(
            position=TimelinePosition(row.changed_at, "deal_stage", row.pk),
            icon="bi-kanban",
            title=(
                _("Deal %(deal)s moved from %(from)s to %(to)s")
                % {"deal": row.deal.name, "from": row.from_stage.name, "to": row.to_stage.name}
                if row.from_stage
                else _("Deal %(deal)s opened in %(to)s") % {"deal": row.deal.name, "to": row.to_stage.name}
            ),
            meta=row.changed_by.display_name if row.changed_by else "",
            url=reverse("deals:deal-detail", args=[row.deal_id]),
        )
        for row in rows
    ]
