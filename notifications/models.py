"""In-app notifications: a short message for one member of a tenant, with a link to what it is about."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel

# Icons for the kinds other apps send; anything else gets the bell.
ICONS = {
    "task_reminder": "bi-alarm",
    "email.inbound": "bi-envelope",
    "inbound_reply": "bi-reply",
    "sms": "bi-chat-dots",
}


class Notification(TenantModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    kind = models.CharField(_("kind"), max_length=40, blank=True)  # e.g. "task_reminder", "inbound_reply"
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        indexes = [
            # The list page and the bell's dropdown: a user's newest first.
            models.Index(fields=["tenant", "user", "-created_at", "-id"], name="notification_user_feed_idx"),
            # The bell's unread count on every page: only unread rows are in it, so it stays tiny.
            models.Index(fields=["tenant", "user"], condition=Q(read_at__isnull=True), name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def icon(self) -> str:
        return ICONS.get(self.kind, "bi-bell")

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
