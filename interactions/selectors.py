"""Reads of the communication log."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from crm.models import User
from interactions.models import Direction, Interaction


def recent_interactions(
    *,
    limit: int = 8,
    logged_by: User | None = None,
    inbound_only: bool = False,
) -> list[Interaction]:
    interactions = Interaction.objects.select_related("contact", "logged_by")
    if logged_by is not None:
        interactions = interactions.filter(logged_by=logged_by)
    if inbound_only:
        interactions = interactions.filter(direction=Direction.INBOUND)
    return list(interactions.order_by("-occurred_at", "-id")[:limit])


def interactions_by_kind(*, days: int = 30) -> dict[str, int]:
    since = timezone.now() - timedelta(days=days)
    rows = Interaction.objects.filter(occurred_at__gte=since).values_list("kind").annotate(n=Count("id")).order_by()
    return dict(rows)
