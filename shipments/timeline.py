"""Shipments on the contact timeline: one entry per shipment, where it last moved."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from crm.timeline import TimelineEntry, TimelinePosition, timeline_source
from crm.timeline_filters import before_position
from shipments.models import Shipment, ShipmentStatus


@timeline_source("shipment")
def shipment_entries(*, contact: Any, account: Any, before: TimelinePosition | None, limit: int) -> list[TimelineEntry]:
    shipments = Shipment.objects.select_related("order")
    if contact is not None:
        shipments = shipments.filter(contact=contact)
    elif account is not None:
        shipments = shipments.filter(order__account=account)
    else:
        return []
    rows = (
        shipments.annotate(timeline_at=Coalesce(F("delivered_at"), F("shipped_at"), F("created_at")))
        .filter(before_position(before, source="shipment", at_field="timeline_at"))
        .order_by("-timeline_at", "-id")[:limit]
    )
    entries = []
    for row in rows:
        delivered = row.status == ShipmentStatus.DELIVERED
        order = row.order
        title = (_("Delivered: order %(order)s") if delivered else _("Shipment of order %(order)s: %(status)s")) % {
            "order": f"#{order.external_id}" if order.external_id else f"{order.amount} {order.currency}",
            "status": row.get_status_display(),
        }
        meta = " · ".join(part for part in (row.carrier, row.tracking_number) if part)
        entries.append(
            TimelineEntry(
                position=TimelinePosition(row.timeline_at, "shipment", row.pk),
                icon="bi-box-seam" if delivered else "bi-truck",
                title=title,
                meta=meta,
                url=row.tracking_url or None,
            )
        )
    return entries
