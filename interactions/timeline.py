"""Interactions on contact and account timelines."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.timeline import TimelineEntry, TimelinePosition, timeline_source
from crm.timeline_filters import before_position
from interactions.models import Interaction


def entry_title(row: Interaction) -> str:
    label = str(row.get_kind_display())
    if row.channel:
        label = f"{label} ({row.channel_label})"
    return f"{label}: {row.subject}" if row.subject else label


def entry_meta(row: Interaction, *, attachment_count: int, with_contact: bool) -> str:
    """Direction, duration, outcome, attachments, who logged it (and the contact on account timelines)."""
    files = ngettext("%(n)d attachment", "%(n)d attachments", attachment_count) % {"n": attachment_count}
    parts = (
        str(row.get_direction_display()),
        row.duration_label,
        row.outcome_label,
        files if attachment_count else "",
        _("logged by %(name)s") % {"name": row.logged_by.display_name} if row.logged_by else "",
        row.contact.full_name if with_contact and row.contact else "",
    )
    return " · ".join(part for part in parts if part)


@timeline_source("interaction")
def interaction_entries(
    *, contact: Any, account: Any, before: TimelinePosition | None, limit: int
) -> list[TimelineEntry]:
    interactions = Interaction.objects.select_related("logged_by").annotate(attachment_count=Count("attachments"))
    if contact is not None:
        interactions = interactions.filter(contact=contact)
    elif account is not None:  # an account's entries name their contact
        interactions = interactions.filter(account=account).select_related("contact")
    rows = interactions.filter(before_position(before, source="interaction", at_field="occurred_at")).order_by(
        "-occurred_at", "-id"
    )[:limit]
    return [
        TimelineEntry(
            position=TimelinePosition(row.occurred_at, "interaction", row.pk),
            icon=row.icon,
            title=entry_title(row),
            detail=Truncator(row.body).chars(240),
            meta=entry_meta(row, attachment_count=row.attachment_count, with_contact=account is not None),
            url=reverse("interactions:detail", args=[row.pk]),
        )
        for row in rows
    ]
