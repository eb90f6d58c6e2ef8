"""SMS: each workspace's gateway settings, every message sent or received, and callback routing."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class BackendKind(models.TextChoices):
    CONSOLE = "console", _("Console")
    FILE = "file", _("File")
    HTTP = "http", _("HTTP gateway")


BACKEND_DESCRIPTIONS = {
    BackendKind.CONSOLE: _("Console: prints messages to the server's log; nothing is sent (for trying things out)."),
    BackendKind.FILE: _("File: appends messages to a file on the server (for development)."),
    BackendKind.HTTP: _("HTTP gateway: sends through your SMS provider."),
}


class SmsSettings(TenantModel):
    """How a workspace sends SMS. One row per tenant; without it SMS is not set up.

    The gateway token and the callback secret are encrypted with crm.secrets (never stored or shown
    in plaintext after saving); the callback URLs' token lives in SmsCallbackRoute.
    """

    backend = models.CharField(
        _("send through"), max_length=20, choices=BackendKind.choices, default=BackendKind.CONSOLE
    )
    gateway_url = models.URLField(_("gateway URL"), blank=True)
    gateway_token_encrypted = models.TextField(blank=True, editable=False)
    sender_id = models.CharField(_("sender"), max_length=16, blank=True)
    callback_secret_encrypted = models.TextField(blank=True, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )

    class Meta:
        constraints = [
            # One configuration per workspace; also serves every send's lookup of it.
            models.UniqueConstraint(fields=["tenant"], name="smssettings_tenant_uniq"),
        ]

    def __str__(self) -> str:
        return str(self.get_backend_display())

    @property
    def has_gateway_token(self) -> bool:
        return bool(self.gateway_token_encrypted)


class SmsCallbackRoute(models.Model):
    """Which workspace a callback URL belongs to.

    Global on purpose, like memberships: the provider's callback arrives with no signed-in user, so
    the tenant must be found from the URL's token before any tenant row can be read (row-level
    security hides every SmsSettings row until then). It holds only a random token and the tenant;
    the callback is then verified with the tenant's own secret inside that tenant.
    """

    tenant = models.OneToOneField("crm.Tenant", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True)  # the unique index serves the callback lookup
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"SMS callbacks of tenant {self.tenant_id}"


class SmsDirection(models.TextChoices):
    OUTBOUND = "outbound", _("Sent")
    INBOUND = "inbound", _("Received")


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    RECEIVED = "received", _("Received")


FINAL_STATUSES = frozenset({SmsStatus.DELIVERED, SmsStatus.FAILED, SmsStatus.RECEIVED})


class SmsEncoding(models.TextChoices):
    GSM7 = "gsm7", _("GSM-7")
    UCS2 = "ucs2", _("Unicode (UCS-2)")


class SmsMessage(TenantModel):
    """One SMS sent to or received from a phone number, and where it is in delivery."""

    VISIBILITY_OWNER_FIELD = "contact__owner"  # seen with the contact it belongs to

    direction = models.CharField(_("direction"), max_length=10, choices=SmsDirection.choices)
    status = models.CharField(_("status"), max_length=10, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, null=True, blank=True, db_index=False, related_name="+"
    )
    # The timeline entry; one message per interaction (constraint below), a plain key so that every
    # index on the table can lead with the tenant or with the key itself.
    interaction = models.ForeignKey(
        "interactions.Interaction", on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    to_number = models.CharField(_("to"), max_length=32)
    from_number = models.CharField(_("from"), max_length=32, blank=True)
    body = models.TextField(_("message"))
    encoding = models.CharField(_("encoding"), max_length=10, choices=SmsEncoding.choices, default=SmsEncoding.GSM7)
    segments = models.PositiveSmallIntegerField(_("parts"), default=1)
    # Sent to the gateway as client_reference; status callbacks may name the message by it.
    reference = models.UUIDField(default=uuid.uuid4, editable=False)
    idempotency_key = models.CharField(max_length=100, blank=True, default="")
    provider_id = models.CharField(_("gateway message id"), max_length=100, blank=True, default="")
    backend = models.CharField(_("sent through"), max_length=20, choices=BackendKind.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    failure_reason = models.CharField(_("reason"), max_length=500, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the queued message is due to be tried (now, or after a retry's backoff): the sweeper
    # (sms.requeue_stuck) queues again a message whose task was lost, and only such a message.
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["tenant", "created_at", "id"], name="smsmessage_tenant_list_idx"
            ),  # /sms/ newest first
            models.Index(fields=["tenant", "status", "created_at"], name="smsmessage_tenant_status_idx"),  # filter
            # Status callbacks find the message by the gateway's id.
            models.Index(
                fields=["tenant", "provider_id"], condition=~Q(provider_id=""), name="smsmessage_provider_idx"
            ),
            # The contact's messages; also PostgreSQL's key checks when a contact is deleted.
            models.Index(fields=["contact", "created_at"], name="smsmessage_contact_fk_idx"),
            models.Index(fields=["interaction"], name="smsmessage_interaction_fk_idx"),  # key checks on delete
        ]
        constraints = [
            # A retried request (double click, API retry, campaign re-run) sends once.
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="smsmessage_idempotency_uniq",
            ),
            models.UniqueConstraint(
                fields=["tenant", "interaction"],
                condition=Q(interaction__isnull=False),
                name="smsmessage_interaction_uniq",
            ),
            # client_reference of status callbacks.
            models.UniqueConstraint(fields=["tenant", "reference"], name="smsmessage_reference_uniq"),
            # An inbound message replayed by the gateway is stored once.
            models.UniqueConstraint(
                fields=["tenant", "direction", "provider_id"],
                condition=Q(direction="inbound") & ~Q(provider_id=""),
                name="smsmessage_inbound_once_uniq",
            ),
        ]

    def __str__(self) -> str:
        number = self.to_number if self.direction == SmsDirection.OUTBOUND else self.from_number
        return f"SMS {self.get_direction_display().lower()} {number}"

    @property
    def number(self) -> str:
        """The other party's number."""
        return self.to_number if self.direction == SmsDirection.OUTBOUND else self.from_number

    @property
    def status_badge(self) -> str:
        return {
            SmsStatus.DELIVERED: "text-bg-success",
            SmsStatus.SENT: "text-bg-primary",
            SmsStatus.FAILED: "text-bg-danger",
            SmsStatus.RECEIVED: "text-bg-info",
        }.get(SmsStatus(self.status), "text-bg-secondary")
