"""Imports of customer data from files: upload, map, preview, run, report.

One ``ContactImport`` row follows a file through the wizard (imports/services.py); the Celery task
processes it in chunks of rows and commits each chunk's contacts, its rejected rows and the progress
cursor together, so a worker that is killed resumes after the last committed chunk.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import TenantModel


class ImportMode(models.TextChoices):
    CREATE = "create", _("Create new contacts only")
    UPDATE = "update", _("Update existing contacts only")
    UPSERT = "upsert", _("Create new and update existing contacts")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting for column mapping")
    CHECK_QUEUED = "check_queued", _("Checking queued")
    CHECKING = "checking", _("Checking the file")
    CHECKED = "checked", _("Ready to import")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    UNDO_QUEUED = "undo_queued", _("Undo queued")
    UNDOING = "undoing", _("Undoing")
    UNDONE = "undone", _("Undone")


class ContactImport(TenantModel):
    """A file of contacts on its way in. ``row_cursor`` is the last data row whose writes are committed."""

    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(max_length=4)  # "csv" or "xlsx"
    encoding = models.CharField(_("encoding"), max_length=40, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    headers = models.JSONField(default=list)  # the file's header row, as read
    mapping = models.JSONField(default=list)  # one target per column ("" = ignore), see imports/mapping.py
    mode = models.CharField(_("mode"), max_length=10, choices=ImportMode.choices, default=ImportMode.UPSERT)
    source_system = models.CharField(_("source system"), max_length=50, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    message = models.TextField(_("result"), blank=True)
    # Totals of the dry run: {"rows": n, "create": n, "update": n, "unchanged": n, "reject": n, "rejections": [...]}
    check_result = models.JSONField(default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    row_cursor = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected_count = models.PositiveIntegerField(_("rejected"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, db_index=False, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # last committed chunk: a sweeper finds stuck runs
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )
    undo_summary = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The history list, newest first; and a sweeper's scan for runs stuck in one status.
            models.Index(fields=["tenant", "created_at", "id"], name="import_tenant_created_idx"),
            models.Index(fields=["tenant", "status", "heartbeat_at"], name="import_tenant_status_idx"),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def processed(self) -> int:
        return self.created_count + self.updated_count + self.unchanged_count + self.rejected_count

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return min(100, round(100 * self.row_cursor / self.total_rows)) if self.total_rows else 0

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.UNDONE)

    @property
    def working(self) -> bool:
        return self.status in (
            ImportStatus.CHECK_QUEUED, ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.RUNNING,
            ImportStatus.UNDO_QUEUED, ImportStatus.UNDOING,
        )  # fmt: skip

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class ImportRejection(TenantModel):
    """A row of the file that was not imported, and why: one line of the downloadable report."""

    contact_import = models.ForeignKey(
        ContactImport, on_delete=models.CASCADE, db_index=False, related_name="rejections"
    )
    row_number = models.PositiveIntegerField(_("row"))  # as a spreadsheet numbers it: the header is row 1
    column = models.CharField(_("column"), max_length=255, blank=True)
    value = models.TextField(_("value"), blank=True)
    reason = models.TextField(_("reason"))

    class Meta:
        indexes = [
            # The report, in file order; also PostgreSQL's key check when an import is deleted.
            models.Index(fields=["contact_import", "row_number"], name="importreject_import_fk_idx"),
            # The tenant-leading index every tenant table has (the Citus distribution column).
            models.Index(fields=["tenant", "contact_import"], name="importreject_tenant_idx"),
        ]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.reason}"


class ChangeKind(models.TextChoices):
    CONTACT_CREATED = "contact_created", _("Contact created")
    CONTACT_UPDATED = "contact_updated", _("Contact updated")
    ACCOUNT_CREATED = "account_created", _("Account created")


class ImportChange(TenantModel):
    """What one import did to one record, so it can be undone: written in the same statement batch as the
    change itself (imports/engine.py). ``before`` is an updated contact as it was; ``version_after`` is its
    version right after the import, so an undo leaves alone anything edited since."""

    contact_import = models.ForeignKey(ContactImport, on_delete=models.CASCADE, db_index=False, related_name="changes")
    kind = models.CharField(max_length=20, choices=ChangeKind.choices)
    record_id = models.BigIntegerField()  # no foreign key: the record may be deleted or merged away later
    before = models.JSONField(null=True)
    version_after = models.PositiveIntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["contact_import", "kind", "record_id"], name="importchange_import_fk_idx"),
            # "Which import made this record?" (a contact page could say so).
            models.Index(fields=["tenant", "record_id"], name="importchange_record_idx"),
        ]
