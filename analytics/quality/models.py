"""Cleaning runs and the values they could not fix.

Imported at the bottom of analytics/models.py, so these are models of the ``analytics`` app.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class DataQualityRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DataQualityStage(models.TextChoices):
    CONTACTS = "contacts", _("Cleaning contacts")
    ACCOUNTS = "accounts", _("Cleaning accounts")
    COMPLETENESS = "completeness", _("Counting filled-in fields")
    DUPLICATES = "duplicates", _("Looking for duplicates")


class DataQualityTrigger(models.TextChoices):
    MANUAL = "manual", _("Run now")
    NIGHTLY = "nightly", _("Nightly")


class DataQualityRun(TenantModel):
    """One cleaning run over a tenant. Its figures (per ``<record type>.<field>`` key) stay on the
    row, so the trend over runs is one query; the individual flagged values are DataQualityIssue rows."""

    status = models.CharField(max_length=10, choices=DataQualityRunStatus.choices, default=DataQualityRunStatus.QUEUED)
    trigger = models.CharField(max_length=10, choices=DataQualityTrigger.choices, default=DataQualityTrigger.MANUAL)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    stage = models.CharField(max_length=20, choices=DataQualityStage.choices, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent of the whole run
    # Per stage: {"contacts": {"done": 5000, "total": 1000000, "seconds": 12.3}, ...}
    stages = models.JSONField(default=dict, blank=True)
    contacts = models.PositiveIntegerField(default=0)  # records read
    accounts = models.PositiveIntegerField(default=0)
    normalised = models.JSONField(default=dict, blank=True)  # {"contact.email": 12, ...}: values rewritten
    invalid = models.JSONField(default=dict, blank=True)  # {"contact.phone": 3, ...}: values it could not fix
    completeness = models.JSONField(default=dict, blank=True)  # {"contact.email": 812, ...}: records with a value
    duplicate_pairs = models.PositiveIntegerField(null=True, blank=True)  # open pairs after the run
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # last progress write: a silent run lost its worker
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The page: the latest runs, newest first (trend and last-run summary).
            models.Index(fields=["tenant", "created_at", "id"], name="dqrun_tenant_created_idx"),
        ]
        constraints = [
            # One run at a time per tenant: "Run cleaning now" twice, or the nightly run and a click, start one.
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(status__in=["queued", "running"]), name="dqrun_one_active_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"Data quality run {self.pk} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in (DataQualityRunStatus.QUEUED, DataQualityRunStatus.RUNNING)

    @property
    def normalised_total(self) -> int:
        return sum(self.normalised.values())

    @property
    def invalid_total(self) -> int:
        return sum(self.invalid.values())

    def share(self, key: str) -> float | None:
        """Fraction of records with ``key`` filled in (``contact.email``), None with no records."""
        total = self.contacts if key.startswith("contact.") else self.accounts
        return self.completeness.get(key, 0) / total if total else None

    def figures(self) -> dict[str, Any]:
        return {"normalised": self.normalised, "invalid": self.invalid, "completeness": self.completeness}


class DataQualityRecordType(models.TextChoices):
    CONTACT = "contact", _("Contact")
    ACCOUNT = "account", _("Account")


class DataQualityProblem(models.TextChoices):
    INVALID_EMAIL = "invalid_email", _("Not a valid email address")
    INVALID_PHONE = "invalid_phone", _("Not a phone number we can read")
    UNKNOWN_COUNTRY = "unknown_country", _("Not an ISO country code")


class DataQualityIssue(TenantModel):
    """A value a run could not fix. Only the first ISSUE_ROWS_PER_FIELD of each field are stored
    (the run keeps the full counts), and only the latest finished run's rows are kept."""

    run = models.ForeignKey(DataQualityRun, on_delete=models.CASCADE, db_index=False, related_name="issues")
    record_type = models.CharField(max_length=10, choices=DataQualityRecordType.choices)
    # An id, not a foreign key: a record deleted or merged since the run is simply no longer found.
    record_id = models.BigIntegerField()
    field = models.CharField(max_length=30)
    problem = models.CharField(max_length=20, choices=DataQualityProblem.choices)
    value = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            # The drill-down (one run's issues of one field, in record order, keyset on id) and
            # PostgreSQL's key checks when a run is deleted.
            models.Index(fields=["run", "record_type", "field", "id"], name="dqissue_run_fk_idx"),
            # Pruning: a finished run deletes the tenant's issues of every other run.
            models.Index(fields=["tenant", "run"], name="dqissue_tenant_run_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.record_type} #{self.record_id} {self.field}: {self.get_problem_display()}"
