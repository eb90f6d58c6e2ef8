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


class SocialChannel(models.TextChoices):
    WECHAT = "wechat", _("WeChat")
    WHATSAPP = "whatsapp", _("WhatsApp")
    LINKEDIN = "linkedin", _("LinkedIn")
    X = "x", _("X")
    OTHER = "other", _("Other")


class CallOutcome(models.TextChoices):
    CONNECTED = "connected", _("Connected")
    LEFT_VOICEMAIL = "left_voicemail", _("Left voicemail")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


ICONS = {
    "call": "bi-telephone",
    "email": "bi-envelope",
    "meeting": "bi-people",
    "note": "bi-journal-text",
    "sms": "bi-chat-dots",
    "social": "bi-chat-square-heart",
    "task": "bi-check2-square",
}
CALL_OUTCOME_LABELS = dict(CallOutcome.choices)
CHANNEL_LABELS = dict(SocialChannel.choices)


class Interaction(TenantModel):
    VISIBILITY_OWNER_FIELD = "contact__owner"  # seen with the contact it belongs to

    kind = models.CharField(_("type"), max_length=20, choices=InteractionKind.choices)
    direction = models.CharField(_("direction"), max_length=20, choices=Direction.choices, default=Direction.OUTBOUND)
    channel = models.CharField(
        _("channel"), max_length=20, choices=SocialChannel.choices, blank=True, default="", db_default=""
    )  # social messages only
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
    deal = models.ForeignKey(
        "customers.Deal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="interactions",
        verbose_name=_("deal"),
    )
    # Tickets (service_desk) do not exist yet. When they land, a nullable ``ticket`` foreign key goes
    # here, with an ("ticket", "occurred_at") *_fk_idx index, and interaction_log gains ticket=None.
    participant_contacts = models.ManyToManyField(
        "customers.Contact",
        through="InteractionContact",
        blank=True,
        related_name="+",
        verbose_name=_("other contacts"),
    )
    participant_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="InteractionUser",
        blank=True,
        related_name="+",
        verbose_name=_("colleagues"),
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
            models.Index(fields=["deal", "occurred_at"], name="interaction_deal_fk_idx"),  # deal page
            models.Index(fields=["tenant", "occurred_at"], name="interaction_feed_idx"),  # activity feed
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    @property
    def title(self) -> str:
        label = str(self.get_kind_display())
        return f"{label}: {self.subject}" if self.subject else label

    @property
    def icon(self) -> str:
        """A bootstrap-icons name for lists and timelines."""
        return ICONS.get(self.kind, "bi-chat")

    @property
    def outcome_label(self) -> str:
        return str(CALL_OUTCOME_LABELS.get(self.outcome, self.outcome))

    @property
    def channel_label(self) -> str:
        return str(CHANNEL_LABELS.get(self.channel, self.channel))

    @property
    def duration_label(self) -> str:
        """mm:ss (h:mm:ss past an hour), or "" when unknown."""
        if self.duration_seconds is None:
            return ""
        hours, rest = divmod(self.duration_seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class InteractionContact(TenantModel):
    """Another contact who took part (a colleague of the main contact on the call, say)."""

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, db_index=False, related_name="+")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, db_index=False, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["interaction", "contact"], name="interactioncontact_int_fk_idx"),  # detail page
            models.Index(fields=["contact"], name="intcontact_contact_fk_idx"),  # key checks on delete
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "interaction", "contact"], name="interactioncontact_uniq"),
        ]


class InteractionUser(TenantModel):
    """A colleague who took part besides the one who logged it."""

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, db_index=False, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["interaction", "user"], name="interactionuser_int_fk_idx"),  # detail page
            models.Index(fields=["user"], name="interactionuser_user_fk_idx"),  # key checks on delete
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "interaction", "user"], name="interactionuser_uniq"),
        ]


def attachment_path(instance: InteractionAttachment, filename: str) -> str:
    # Tenant and a random folder: names never collide and are not guessable; downloads still go
    # through the tenant-checked view (interactions/views.py), never through MEDIA_URL.
    from uuid import uuid4

    return f"interactions/{instance.tenant_id}/{uuid4().hex}/{filename}"


class InteractionAttachment(TenantModel):
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, db_index=False, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=500)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["interaction", "created_at"], name="interactionattachment_fk_idx"),  # detail page
            models.Index(fields=["tenant", "created_at"], name="intattachment_tenant_idx"),  # storage audits
        ]

    def __str__(self) -> str:
        return self.filename
