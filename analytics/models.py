"""Scoring runs and their results. Each contact's current scores (churn probability, predicted value,
RFM, cluster, reasons) are one ContactScore row, replaced per tenant in bulk by analytics/writeback.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel
from customers.models import RiskBand
from customers.sort_keys import churn_or_none, value_or_none


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


class ChurnLabel(models.TextChoices):
    INACTIVITY = "inactivity", _("No order within the churn window")
    LIFECYCLE = "lifecycle", _("Lifecycle stage is Churned")
    CUSTOM = "custom", _("A yes/no custom field")


class AnalyticsConfig(TenantModel):
    """A tenant's analytics settings (one row per tenant, created on first use)."""

    value_horizon_days = models.PositiveIntegerField(_("predict spend over (days)"), default=365)
    churn_window_days = models.PositiveIntegerField(_("churn window (days)"), default=180)
    churn_label = models.CharField(_("churn label"), max_length=20, choices=ChurnLabel.choices,
                                   default=ChurnLabel.INACTIVITY)  # fmt: skip
    churn_label_field = models.CharField(_("churn custom field key"), max_length=50, blank=True)
    feature_fields = models.JSONField(_("custom fields used as features"), default=list, blank=True)
    nightly = models.BooleanField(_("run every night"), default=True)
    tolerance = models.FloatField(_("promotion tolerance"), default=0.02)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="analyticsconfig_tenant_uniq")]


class ModelRun(TenantModel):
    """One scoring run: extract, features, RFM, clusters, both models, write-back. Its scores go live
    (``promoted``) only whole, and only if its models are not worse than the current ones."""

    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    stage = models.CharField(max_length=100, blank=True)
    progress = models.FloatField(default=0.0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    settings = models.JSONField(default=dict, blank=True)
    cutoff = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    value_card = models.JSONField(default=dict, blank=True)
    churn_card = models.JSONField(default=dict, blank=True)
    clusters = models.JSONField(default=list, blank=True)
    rfm_rules = models.JSONField(default=list, blank=True)
    feature_descriptions = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)  # seconds per stage
    promoted = models.BooleanField(default=False)
    promotion_note = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at", "id"], name="modelrun_tenant_created_idx"),  # history
        ]
        constraints = [
            # One run at a time per tenant: "Run now" twice, or beat and a click together, start one.
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(status__in=["queued", "running"]), name="modelrun_one_active_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} ({self.get_status_display()})"

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ContactScore(TenantModel):
    """A contact's scores as the tenant's promoted run wrote them: 1:1 with the contact (``contact.score``).

    In a narrow table of their own rather than on the contact row because a run rewrites every one of
    them: an ``UPDATE`` of a million wide contact rows also rewrites an entry in each of the contact
    table's many indexes (measured at 4.5 minutes on the 2-core machine, docs/benchmarks.md), while
    replacing these rows costs one delete and one COPY. Contacts added after the run have no row yet.
    """

    VISIBILITY_OWNER_FIELD = "contact__owner"  # seen with the contact it belongs to

    contact = models.OneToOneField(
        "customers.Contact", on_delete=models.CASCADE, primary_key=True, related_name="score"
    )
    # No key constraint: every row of a tenant comes from its one promoted run, which is never deleted;
    # a constraint would cost an index entry per row and a check per insert.
    run = models.ForeignKey(
        ModelRun, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    churn_probability = models.FloatField(_("churn probability"), null=True)
    risk_band = models.CharField(_("churn risk"), max_length=10, choices=RiskBand.choices, blank=True)
    predicted_value = models.DecimalField(_("predicted value"), max_digits=14, decimal_places=2, null=True)
    r_score = models.PositiveSmallIntegerField(_("recency score"), null=True)
    f_score = models.PositiveSmallIntegerField(_("frequency score"), null=True)
    m_score = models.PositiveSmallIntegerField(_("monetary score"), null=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=30, blank=True)
    cluster = models.SmallIntegerField(_("cluster"), null=True)
    reasons = models.JSONField(null=True)  # {"churn": [...], "value": [...]}: top reasons in words, signed
    scored_at = models.DateTimeField(_("scored at"))

    class Meta:
        indexes = [
            # Contact lists sorted by risk or value walk these and join each contact by its key
            # (customers/sorts.py); btree on plain comparisons, so usable under row-level security.
            models.Index(F("tenant"), churn_or_none("churn_probability"), F("contact"), name="contactscore_churn_idx"),
            models.Index(F("tenant"), value_or_none("predicted_value"), F("contact"), name="contactscore_value_idx"),
        ]


class ScoreSnapshot(TenantModel):
    """A contact's scores as one promoted run wrote them: the trend on the contact page."""

    VISIBILITY_OWNER_FIELD = "contact__owner"  # seen with the record it belongs to

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, db_index=False, related_name="snapshots")
    contact = models.ForeignKey("customers.Contact", on_delete=models.CASCADE, db_index=False, related_name="+")
    churn_probability = models.FloatField(null=True)
    predicted_value = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    rfm_segment = models.CharField(max_length=30, blank=True)
    scored_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["contact", "scored_at"], name="scoresnapshot_contact_fk_idx"),  # trend, key checks
            models.Index(fields=["run"], name="scoresnapshot_run_fk_idx"),  # key checks when runs are pruned
            models.Index(fields=["tenant", "scored_at"], name="scoresnapshot_tenant_idx"),  # retention sweeps
        ]


# Data quality (cleaning runs and the values they flag) lives in its own package; importing it here registers it.
from analytics.quality.models import (  # noqa: E402, F401
    DataQualityIssue,
    DataQualityProblem,
    DataQualityRecordType,
    DataQualityRun,
    DataQualityRunStatus,
    DataQualityStage,
    DataQualityTrigger,
)
