"""The platform operator's own records: tenant deletions in progress.

Global (not tenant-owned) on purpose: a deletion outlives the tenant it removes, and only
superusers ever read it (operator_console.views).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeletionStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Deleting")
    DONE = "done", _("Deleted")
    FAILED = "failed", _("Failed")


class TenantDeletion(models.Model):
    # A plain column, no key: the tenant row is gone once the deletion is done.
    tenant_id = models.PositiveBigIntegerField(_("tenant id"))
    tenant_name = models.CharField(_("company name"), max_length=200)
    tenant_slug = models.CharField(_("short name"), max_length=60)
    status = models.CharField(_("status"), max_length=16, choices=DeletionStatus.choices, default=DeletionStatus.QUEUED)
    tables_total = models.PositiveIntegerField(default=0)
    tables_done = models.PositiveIntegerField(default=0)
    rows_deleted = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The deletion page of a tenant and the "deletion already queued?" check.
            models.Index(fields=["tenant_id", "status"], name="operator_deletion_tenant_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_slug} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == DeletionStatus.DONE:
            return 100
        return int(100 * self.tables_done / self.tables_total) if self.tables_total else 0

    @property
    def finished(self) -> bool:
        return self.status in (DeletionStatus.DONE, DeletionStatus.FAILED)
