"""Saved list views and bulk-action jobs: tenant tables of the crm app (imported by crm/models.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class SavedView(TenantModel):
    """A list's query string (filters and sort) under a name, for its owner or the whole tenant."""

    list_key = models.CharField(_("list"), max_length=20)  # "contacts", "accounts", "deals", later "tickets"
    name = models.CharField(_("name"), max_length=100)
    query = models.TextField(_("filters and sort"), blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="+")
    shared = models.BooleanField(_("shared with the team"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            # The views menu of a list: mine and the shared ones, by name.
            models.Index(fields=["tenant", "list_key", "name"], name="savedview_tenant_list_idx"),
        ]
        constraints = [
            # Saving again under one of my names replaces that view (crm/lists/saved_views.py).
            models.UniqueConstraint(fields=["tenant", "owner", "list_key", "name"], name="savedview_owner_name_uniq"),
        ]

    def __str__(self) -> str:
        return self.name


class BulkJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BulkJob(TenantModel):
    """A bulk action too large for one request, run by a Celery task in chunks (crm/lists/bulk.py).

    ``last_id`` is the progress cursor: each chunk commits its changes and the new cursor together,
    so a task that is restarted continues after the last committed chunk.
    """

    list_key = models.CharField(_("list"), max_length=20)
    action = models.CharField(_("action"), max_length=40)
    # {"values": the action's form values, "ids": [...] or null, "query": the list's filters when "all matching"}
    params = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=10, choices=BulkJobStatus.choices, default=BulkJobStatus.QUEUED)
    total = models.PositiveIntegerField(_("records"), default=0)
    done = models.PositiveIntegerField(_("processed"), default=0)
    errors = models.PositiveIntegerField(_("skipped"), default=0)
    message = models.TextField(_("result"), blank=True)
    last_id = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Jobs by status, for a sweeper that requeues runs stuck past their time limit.
            models.Index(fields=["tenant", "status", "created_at"], name="bulkjob_tenant_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.total} {self.list_key}"

    @property
    def percent(self) -> int:
        if self.status == BulkJobStatus.DONE:
            return 100
        return min(100, round(100 * self.done / self.total)) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (BulkJobStatus.DONE, BulkJobStatus.FAILED)
