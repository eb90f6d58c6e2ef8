"""Suggested duplicate pairs, detection runs and the record of every merge.

Imported at the bottom of customers/models.py, so these are models of the ``customers`` app.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel
from customers.models import Contact


class DuplicateReason(models.TextChoices):
    EMAIL = "email", _("Same email")
    PHONE = "phone", _("Same phone")
    NAME = "name", _("Similar name and company")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Not a duplicate")
    # A merged pair has no row: the merged contact is gone, and the merge is a ContactMerge row.


class DuplicateCandidate(TenantModel):
    """Two contacts that look like the same person; ``contact_a`` always has the lower id, so a
    pair is stored once whichever side detection started from."""

    # Seen with the record it belongs to; the queue also requires contact_b (duplicates/selectors.py).
    VISIBILITY_OWNER_FIELD = "contact_a__owner"

    contact_a = models.ForeignKey(Contact, on_delete=models.CASCADE, db_index=False, related_name="+")
    contact_b = models.ForeignKey(Contact, on_delete=models.CASCADE, db_index=False, related_name="+")
    reasons = ArrayField(models.CharField(max_length=10, choices=DuplicateReason.choices), default=list)
    score = models.PositiveSmallIntegerField(_("score"))  # 0-100, higher is surer
    status = models.CharField(_("status"), max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN)
    found_at = models.DateTimeField(_("found at"), default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now)  # last detection that found it; older open pairs are stale
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The review queue: open pairs, best first, keyset on (score, id) read backwards.
            models.Index(fields=["tenant", "status", "score", "id"], name="dupcandidate_queue_idx"),
            # A contact's notice and merges (pairs of one contact); PostgreSQL's key checks on delete.
            models.Index(fields=["contact_a", "status"], name="dupcandidate_contact_a_fk_idx"),
            models.Index(fields=["contact_b", "status"], name="dupcandidate_contact_b_fk_idx"),
        ]
        constraints = [
            # One row per pair: detection upserts on it (ON CONFLICT), so a dismissal is never undone.
            models.UniqueConstraint(fields=["tenant", "contact_a", "contact_b"], name="dupcandidate_pair_uniq"),
            models.CheckConstraint(condition=Q(contact_a__lt=F("contact_b")), name="dupcandidate_ordered_pair"),
        ]

    def __str__(self) -> str:
        return f"#{self.contact_a_id} ~ #{self.contact_b_id}"


class DuplicateRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DuplicateRun(TenantModel):
    """One "Find duplicates" over the whole tenant, run by a Celery task; progress for the bar."""

    status = models.CharField(max_length=10, choices=DuplicateRunStatus.choices, default=DuplicateRunStatus.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)  # steps: contacts read by each pass, summed
    processed = models.PositiveIntegerField(default=0)
    pairs_found = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="duplicaterun_tenant_idx"),  # latest run
        ]
        constraints = [
            # Two clicks on "Find duplicates" start one run.
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(status__in=["queued", "running"]), name="duplicaterun_one_active_uniq"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == DuplicateRunStatus.DONE:
            return 100
        return min(99, round(100 * self.processed / self.total)) if self.total else 0

    @property
    def is_active(self) -> bool:
        return self.status in (DuplicateRunStatus.QUEUED, DuplicateRunStatus.RUNNING)


class ContactMerge(TenantModel):
    """A merge: ``merged_contact_id`` was folded into ``survivor`` and deleted. The snapshot keeps
    what the merged contact held, and ``choices`` which side each field came from."""

    VISIBILITY_OWNER_FIELD = "survivor__owner"  # seen with the record it belongs to

    survivor = models.ForeignKey(Contact, on_delete=models.CASCADE, db_index=False, related_name="merges")
    merged_contact_id = models.BigIntegerField()  # the row is gone: an id, not a foreign key
    merged_name = models.CharField(max_length=200)
    snapshot = models.JSONField(default=dict)
    choices = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)  # related rows moved, per relation ("customers.order": 3)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    merged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The survivor's timeline; PostgreSQL's key checks when the survivor is deleted.
            models.Index(fields=["survivor", "merged_at"], name="contactmerge_survivor_fk_idx"),
            models.Index(fields=["tenant", "merged_at"], name="contactmerge_tenant_at_idx"),  # the tenant's merge log
        ]

    def __str__(self) -> str:
        return _("%(name)s merged into #%(id)s") % {"name": self.merged_name, "id": self.survivor_id}
