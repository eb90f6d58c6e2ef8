"""Interactions on contact and account timelines."""

from __future__ import annotations

from typing import Any

from django.utils.text import Truncator

from crm.timeline import TimelineEntry, TimelinePosition, timeline_source
from crm.timeline_filters import before_position
from interactions.models import Interaction

ICONS = {
    "call": "bi-telephone",
    "email": "bi-envelope",
    "meeting": "bi-people",
    "note": "bi-journal-text",
    "sms": "bi-chat-dots",
    "social": "bi-chat-square-heart",
    "task": "bi-check2-square",
}


@timeline_source("interaction")
def interaction_entries(
    *, contact: Any, account: Any, before: TimelinePosition | None, limit: int
) -> list[TimelineEntry]:
    interactions = Interaction.objects.select_related("logged_by", "contact")
    if contact is not None:
        interactions = interactions.filter(contact=contact)
    elif account is not None:
        interactions = interactions.filter(account=account)
    rows = interactions.filter(before_position(before, source="interaction", at_field="occurred_at")).order_by(
        "-occurred_at", "-id"
    )[:limit]
    return [
        TimelineEntry(
            position=TimelinePosition(row.occurred_at, "interaction", row.pk),
            icon=ICONS.get(row.kind, "bi-chat"),
            title=f"{row.get_kind_display()}: {row.subject}" if row.subject else row.get_kind_display(),
            detail=Truncator(row.body).chars(240),
            meta=" · ".join(
                part
                for part in (
                    row.get_direction_display(),
                    row.logged_by.display_name if row.logged_by else "",
                    row.contact.full_name if account is not None and row.contact else "",
                )
                if part
            ),
        )
        for row in rows
    ]
