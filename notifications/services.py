"""Writes of notifications. ``notify`` is the one way to create one; any app may call it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Membership, Tenant, User
from notifications.models import Notification

TITLE_MAX = 200


def _safe_url(url: str) -> bool:
    """A local path ("/tasks/3/edit/") or an http(s) address; never javascript: or //evil.example."""
    if not url:
        return True
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return True
    return url.startswith(("https://", "http://")) and len(url) <= 500


@transaction.atomic
def notify(*, tenant: Tenant, user: User, title: str, body: str = "", url: str = "", kind: str = "") -> Notification:
    """Tell ``user`` (an active member of ``tenant``) something, shown under the bell until read.

    Raises ValueError saying what is wrong: an empty or too long title, an unsafe link, or a user
    who is not a member of the workspace.
    """
    title = " ".join(title.split())
    if not title:
        raise ValueError(_("A notification needs a title."))
    if len(title) > TITLE_MAX:
        raise ValueError(_("The notification title is longer than %(max)d characters.") % {"max": TITLE_MAX})
    if not _safe_url(url) or len(url) > 500:
        raise ValueError(_("The notification link %(url)r is not a local path or an http(s) address.") % {"url": url})
    if not Membership.objects.filter(tenant=tenant, user=user, is_active=True).exists():
        raise ValueError(_("%(user)s is not a member of this workspace.") % {"user": user.email})
    return Notification.objects.create(tenant=tenant, user=user, title=title, body=body, url=url, kind=kind[:40])


@transaction.atomic
def notification_mark_read(*, tenant: Tenant, user: User, notification_id: int) -> Notification | None:
    """Mark one of ``user``'s notifications read; None when it is not theirs (or not in this tenant)."""
    notification = Notification.objects.filter(tenant=tenant, user=user, pk=notification_id).first()
    if notification is not None and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, tenant: Tenant, user: User) -> int:
    return Notification.objects.filter(tenant=tenant, user=user, read_at__isnull=True).update(read_at=timezone.now())
