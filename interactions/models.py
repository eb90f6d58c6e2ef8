"""The communication log: calls, emails, meetings, notes, SMS, social messages, tasks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class InteractionKind(models.TextChoices):
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")
    SMS = "sms", _("SMS")
    SOCIAL = "social", _("Social message")
    TASK = "task", _("Task")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    INTERNAL = "internal", _("Internal")


class Interaction(TenantModel):
    VISIBILITY_OWNER_FIELD = "contact__owner"  # seen with the contact it belongs to

    kind = models.CharField(_("type"), max_length=20, choices=InteractionKind.choices)
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices, default=Direction.OUTBOUND)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=100, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("body"), blank=True)
    contact = models.ForeignKey(
        "customers.Contact",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="interactions",
    )
    account = models.ForeignKey(
        "customers.Account", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            # Timelines; also PostgreSQL's key checks on delete, which query by the key alone.
            models.Index(fields=["contact", "occurred_at"], name="interaction_contact_fk_idx"),
            models.Index(fields=["account", "occurred_at"], name="interaction_account_fk_idx"),
            models.Index(fields=["tenant", "occurred_at"], name="interaction_feed_idx"),  # activity feed
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"
