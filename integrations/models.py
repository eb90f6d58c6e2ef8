"""API keys and webhooks: how other systems talk to a workspace, and how it tells them what changed."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class ApiKeyRoute(models.Model):
    """Which workspace an API key's public prefix belongs to.

    Deliberately NOT a tenant table (like inbox.InboxRoute): a request carrying a key has no tenant
    yet, and row-level security would hide every row. It holds only the prefix (sent in clear with
    every request) and the tenant; the secret's hash, scopes and owner live in ``ApiKey`` under RLS.
    """

    prefix = models.CharField(max_length=24, unique=True)  # the unique index serves the lookup per request
    tenant = models.ForeignKey("crm.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        indexes = [models.Index(fields=["tenant"], name="apikeyroute_tenant_fk_idx")]

    def __str__(self) -> str:
        return self.prefix


class ScopeLevel(models.TextChoices):
    NONE = "", _("No access")
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


class ApiKey(TenantModel):
    """A key acts as the member who made it (their role and record visibility), narrowed by its scopes."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=24)
    secret_hash = models.CharField(max_length=64)  # SHA-256 of the whole key; keys are 256-bit random
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="+")
    # {"contact": "write", "deal": "read", ...} keyed by the API's resource names; absent means no access.
    scopes = models.JSONField(_("scopes"), default=dict, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "prefix"], name="apikey_tenant_prefix_uniq")]
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="apikey_created_idx"),
            models.Index(fields=["user"], name="apikey_user_fk_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def scope_for(self, resource: str) -> str:
        return str(self.scopes.get(resource, ""))


class WebhookEndpoint(TenantModel):
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=60), default=list, verbose_name=_("events"))
    secret_encrypted = models.TextField()  # Fernet (crm/secrets.py); the receiver verifies signatures with it
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["tenant", "is_active"], name="webhookendpoint_active_idx")]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(TenantModel):
    """One event for one endpoint, with every attempt's outcome; retried with backoff until it succeeds or gives up."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, db_index=False, related_name="deliveries")
    event = models.CharField(max_length=60)
    event_id = models.UUIDField()  # the same for every endpoint of one event; receivers dedupe by it
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["endpoint", "created_at", "id"], name="webhookdelivery_endpt_fk_idx"),
            # The retry sweep: due deliveries still waiting.
            models.Index(
                fields=["tenant", "next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhookdelivery_due_idx",
            ),
        ]
