"""Privacy requests (export or erase one contact's personal data) and data retention rules."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class RequestKind(models.TextChoices):
    EXPORT = "export", _("Export personal data")
    ERASE = "erase", _("Erase personal data")


class RequestStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class PrivacyRequest(TenantModel):
    kind = models.CharField(_("request"), max_length=10, choices=RequestKind.choices)
    # The contact row stays after an erasure (anonymised, keeping its orders' totals), so the key holds;
    # a deleted contact leaves the request with its number only.
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False,
        verbose_name=_("contact"),
    )  # fmt: skip
    contact_number = models.BigIntegerField(_("contact id"))
    # The name shown in the list; an erasure replaces it with "Contact #id" everywhere.
    contact_label = models.CharField(_("contact"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)  # percent
    stage = models.CharField(max_length=100, blank=True)
    file = models.FileField(upload_to="privacy/", blank=True, max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)  # rows exported or anonymised, per table
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The requests page, newest first.
            models.Index(fields=["tenant", "-created_at", "-id"], name="privacy_request_list_idx"),
            # "Requests about this contact" and the SET_NULL on contact delete.
            models.Index(fields=["contact"], name="privacy_request_contact_fk_idx"),
            models.Index(fields=["requested_by"], name="privacy_request_user_fk_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.contact_label}"

    @property
    def finished(self) -> bool:
        return self.status in (RequestStatus.DONE, RequestStatus.FAILED)


class RetentionKind(models.TextChoices):
    TICKET_ATTACHMENTS = "ticket_attachments", _("Delete attachments of tickets closed more than N months ago")
    INTERACTIONS = "interactions", _("Delete interactions older than N months")
    INBOUND_RAW = "inbound_raw", _("Delete stored copies of incoming emails older than N months")


class RetentionRule(TenantModel):
    kind = models.CharField(_("rule"), max_length=30, choices=RetentionKind.choices)
    months = models.PositiveIntegerField(_("months"), validators=[MinValueValidator(1)])
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_deleted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # One rule of each kind per tenant: two "delete interactions" rules would only disagree.
            models.UniqueConstraint(fields=["tenant", "kind"], name="privacy_retention_kind_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.months})"


class RetentionRun(TenantModel):
    rule = models.ForeignKey(RetentionRule, on_delete=models.CASCADE, related_name="runs", db_index=False)
    ran_at = models.DateTimeField(default=timezone.now)
    deleted = models.PositiveIntegerField(default=0)
    files_deleted = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "-ran_at"], name="privacy_retention_run_idx"),  # the rules page
            models.Index(fields=["rule", "-ran_at"], name="privacy_retention_rule_fk_idx"),  # a rule's runs, key checks
        ]
