"""Reads of notifications: always the signed-in user's own, in the current tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import User
from notifications.models import Notification

DROPDOWN_SIZE = 8
PAGE_SIZE = 50


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user: User) -> int:
    """Served by notification_unread_idx: one small index scan on every page with the bell."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def recent_notifications(user: User, *, limit: int = DROPDOWN_SIZE) -> list[Notification]:
    return list(notifications_for(user)[:limit])
