"""Merges on the survivor's timeline (and on its account's)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from crm.timeline import TimelineEntry, TimelinePosition, timeline_source
from crm.timeline_filters import before_position
from customers.duplicates.models import ContactMerge


@timeline_source("contact_merge")
def merge_entries(*, contact: Any, account: Any, before: TimelinePosition | None, limit: int) -> list[TimelineEntry]:
    merges = ContactMerge.objects.select_related("merged_by")
    if contact is not None:
        merges = merges.filter(survivor=contact)
    elif account is not None:  # an account's entries name the survivor
        merges = merges.filter(survivor__account=account).select_related("survivor")
    rows = merges.filter(before_position(before, source="contact_merge", at_field="merged_at")).order_by(
        "-merged_at", "-id"
    )[:limit]
    return [
        TimelineEntry(
            position=TimelinePosition(row.merged_at, "contact_merge", row.pk),
            icon="bi-intersect",
            title=_("Merged %(name)s into this contact") % {"name": row.merged_name}
            if contact is not None
            else _("Merged %(name)s into %(survivor)s") % {"name": row.merged_name, "survivor": row.survivor.full_name},
            detail=_moved_summary(row.moved),
            meta=row.merged_by.display_name if row.merged_by else "",
        )
        for row in rows
    ]


def _moved_summary(moved: dict[str, int]) -> str:
    names = {
        "customers.order.contact": _("orders"),
        "customers.deal.contact": _("deals"),
        "interactions.interaction.contact": _("interactions"),
    }
    parts = [f"{count} {names.get(key, key.split('.')[1])}" for key, count in moved.items() if "(" not in key]
    return _("Moved: %(parts)s") % {"parts": ", ".join(parts)} if parts else ""
