"""Contact imports: upload, map, check (dry run), run in chunks, and what each step writes.

``contact_import_check`` and ``contact_import_run`` are the bodies of the two Celery tasks
(imports/tasks.py). Each claims its import with a conditional update, so a second delivery of the
same task finds it taken and returns. The run commits each chunk's contacts, rejected rows, counters
and ``row_cursor`` in one transaction; a run restarted after its worker died (``contact_import_resume``,
or a sweeper) stages the file again and carries on after the cursor, writing nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import IO, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.services import audit_record
from crm.models import Membership, Tenant, User
from crm.roles import Capability
from crm.visibility import visible_owners_for
from customers.custom_fields.selectors import active_custom_fields
from customers.models import CustomFieldEntity
from imports import engine
from imports.mapping import suggest_mapping
from imports.models import ContactImport, ImportMode, ImportStatus
from imports.reader import FileLayout, ImportFileError, column_label, inspect_file, iter_data_rows
from imports.rows import CleanRow, RowCleaner
from imports.undo import undo_import_changes
from integrations.webhooks import webhook_emit

CHUNK_SIZE = 2_000
PREVIEW_ROWS = 20
CHECK_REJECTIONS_SHOWN = 100


def _layout(contact_import: ContactImport) -> FileLayout:
    return FileLayout(
        file_format=contact_import.file_format,
        encoding=contact_import.encoding,
        delimiter=contact_import.delimiter,
        headers=list(contact_import.headers),
    )


def row_cleaner(contact_import: ContactImport, tenant: Tenant) -> RowCleaner:
    return RowCleaner(
        headers=list(contact_import.headers),
        mapping=list(contact_import.mapping),
        region=tenant.country,
        custom_fields=list(active_custom_fields(CustomFieldEntity.CONTACT)),
        source_system=contact_import.source_system,
        strict_width=contact_import.file_format == "csv",
    )


def cleaned_rows(
    contact_import: ContactImport, stream: IO[bytes], cleaner: RowCleaner, *, limit: int | None = None
) -> Iterator[CleanRow]:
    """Rows as they will be stored. The cleaner is built first: this runs inside a COPY, during which
    the connection can run no other query."""
    for index, (number, cells) in enumerate(iter_data_rows(stream, _layout(contact_import))):
        if limit is not None and index >= limit:
            return
        yield cleaner.clean(number, cells)


@transaction.atomic
def contact_import_create(*, tenant: Tenant, upload: UploadedFile, by: User) -> ContactImport:
    """Store the upload and read its layout; ImportFileError (nothing stored) if it cannot be imported."""
    name = upload.name or "contacts.csv"
    layout = inspect_file(upload, name)  # type: ignore[arg-type]
    upload.seek(0)
    custom = list(active_custom_fields(CustomFieldEntity.CONTACT))
    contact_import = ContactImport(
        tenant=tenant,
        original_name=name[:255],
        file_format=layout.file_format,
        encoding=layout.encoding,
        delimiter=layout.delimiter,
        size=upload.size or 0,
        headers=layout.headers,
        mapping=suggest_mapping(layout.headers, custom),
        created_by=by,
    )
    contact_import.file.save(name, upload, save=False)
    contact_import.save()
    return contact_import


@transaction.atomic
def contact_import_map(
    *, tenant: Tenant, contact_import: ContactImport, mapping: list[str], mode: str, source_system: str, by: User
) -> ContactImport:
    """Save the mapping and queue the dry run over the whole file."""
    from imports.tasks import check_contact_import

    updated = ContactImport.objects.filter(
        pk=contact_import.pk, status__in=[ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED],
        row_cursor=0,
    ).update(
        mapping=mapping, mode=mode, source_system=source_system, status=ImportStatus.CHECK_QUEUED, message="",
        check_result={},
    )  # fmt: skip
    if not updated:
        raise ValueError(_("This import has already started; its mapping can no longer change."))
    transaction.on_commit(lambda: check_contact_import.delay(tenant.pk, contact_import.pk))
    contact_import.refresh_from_db()
    return contact_import


@transaction.atomic
def contact_import_submit(
    *, tenant: Tenant, contact_import: ContactImport, mapping: list[str], mode: str, source_system: str, by: User
) -> ContactImport:
    """Map and queue the check and the run together (API batches: nobody reviews a preview)."""
    from imports.tasks import check_and_run_contact_import

    ContactImport.objects.filter(pk=contact_import.pk, status=ImportStatus.UPLOADED).update(
        mapping=mapping, mode=mode, source_system=source_system, status=ImportStatus.CHECK_QUEUED
    )
    transaction.on_commit(lambda: check_and_run_contact_import.delay(tenant.pk, contact_import.pk))
    contact_import.refresh_from_db()
    return contact_import


@transaction.atomic
def contact_import_start(*, tenant: Tenant, contact_import: ContactImport, by: User) -> ContactImport:
    from imports.tasks import run_contact_import

    updated = ContactImport.objects.filter(pk=contact_import.pk, status=ImportStatus.CHECKED).update(
        status=ImportStatus.QUEUED
    )
    if not updated:
        raise ValueError(_("This import is not ready to start: check the file first, or it has already started."))
    transaction.on_commit(lambda: run_contact_import.delay(tenant.pk, contact_import.pk))
    contact_import.refresh_from_db()
    return contact_import


@transaction.atomic
def contact_import_undo(*, tenant: Tenant, contact_import: ContactImport, by: User) -> ContactImport:
    """Queue the undo of a finished import (imports/undo.py); once, and only after it finished."""
    from imports.tasks import undo_contact_import

    claimed = ContactImport.objects.filter(pk=contact_import.pk, status=ImportStatus.DONE).update(
        status=ImportStatus.UNDO_QUEUED, undone_by=by
    )
    if not claimed:
        raise ValueError(_("Only a finished import can be undone, and only once."))
    transaction.on_commit(lambda: undo_contact_import.delay(tenant.pk, contact_import.pk))
    contact_import.refresh_from_db()
    return contact_import


def contact_import_undo_run(*, import_id: int) -> None:
    """The undo itself, in one transaction; claimed, so a second delivery does nothing."""
    claimed = ContactImport.objects.filter(pk=import_id, status=ImportStatus.UNDO_QUEUED).update(
        status=ImportStatus.UNDOING
    )
    if not claimed:
        return
    contact_import = ContactImport.objects.get(pk=import_id)
    try:
        result = undo_import_changes(
            tenant_id=contact_import.tenant_id, import_id=import_id, user_id=contact_import.undone_by_id
        )
    except Exception:
        ContactImport.objects.filter(pk=import_id).update(
            status=ImportStatus.DONE, undo_summary=_("The undo stopped on an unexpected error; nothing was undone.")
        )
        raise
    parts = [
        ngettext("%(n)s contact removed", "%(n)s contacts removed", result.removed) % {"n": f"{result.removed:,}"},
        ngettext("%(n)s restored", "%(n)s restored", result.restored) % {"n": f"{result.restored:,}"},
    ]
    if result.accounts_removed:
        parts.append(ngettext("%(n)s account removed", "%(n)s accounts removed", result.accounts_removed)
                     % {"n": f"{result.accounts_removed:,}"})  # fmt: skip
    summary = ", ".join(parts) + "."
    if result.kept_edited:
        summary += " " + ngettext(
            "%(n)s contact was edited after the import and was kept as it is.",
            "%(n)s contacts were edited after the import and were kept as they are.", result.kept_edited,
        ) % {"n": f"{result.kept_edited:,}"}  # fmt: skip
    if result.kept_in_use:
        summary += " " + ngettext(
            "%(n)s new contact already has orders, activity or deals and was kept.",
            "%(n)s new contacts already have orders, activity or deals and were kept.", result.kept_in_use,
        ) % {"n": f"{result.kept_in_use:,}"}  # fmt: skip
    ContactImport.objects.filter(pk=import_id, status=ImportStatus.UNDOING).update(
        status=ImportStatus.UNDONE, undone_at=timezone.now(), undo_summary=summary
    )


@transaction.atomic
def contact_import_resume(*, tenant: Tenant, contact_import: ContactImport, by: User | None) -> bool:
    """Queue a run again that stopped mid-way (its worker died): it continues after the last chunk."""
    from imports.tasks import run_contact_import

    updated = ContactImport.objects.filter(pk=contact_import.pk, status=ImportStatus.RUNNING).update(
        status=ImportStatus.QUEUED
    )
    if updated:
        transaction.on_commit(lambda: run_contact_import.delay(tenant.pk, contact_import.pk))
    return bool(updated)


STALE_AFTER = timedelta(minutes=10)  # no chunk committed for this long: the worker is gone


def contact_imports_requeue_stale(*, tenant: Tenant, now: datetime | None = None) -> int:
    """Queue again the tenant's runs whose worker died (no chunk committed for STALE_AFTER); the
    periodic task ``imports.requeue_stale_imports`` calls this for every tenant."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    stale = ContactImport.objects.filter(status=ImportStatus.RUNNING, heartbeat_at__lt=cutoff).order_by("id")
    return sum(contact_import_resume(tenant=tenant, contact_import=item, by=None) for item in stale)


def _labels(contact_import: ContactImport) -> dict[str, str]:
    headers = list(contact_import.headers)
    return {target: column_label(headers, index) for index, target in enumerate(contact_import.mapping) if target}


def _fail(import_id: int, message: str) -> None:
    ContactImport.objects.filter(pk=import_id).update(
        status=ImportStatus.FAILED, message=message, finished_at=timezone.now()
    )


def _stage(contact_import: ContactImport, membership: Membership, cursor: Any) -> int:
    # One transaction: a file that turns out broken half-way leaves no staging table behind.
    with transaction.atomic(), contact_import.file.open("rb") as stream:
        cleaner = row_cleaner(contact_import, membership.tenant)
        count = engine.stage_rows(cursor, cleaned_rows(contact_import, stream, cleaner))
        engine.classify(
            cursor, tenant_id=membership.tenant_id, mode=contact_import.mode, labels=_labels(contact_import),
            owners=visible_owners_for(membership),
        )  # fmt: skip
    return count


def _may_import(contact_import: ContactImport) -> Membership | None:
    if contact_import.created_by_id is None or contact_import.tenant_id is None:
        return None
    membership = (
        Membership.objects.filter(
            user_id=contact_import.created_by_id, tenant_id=contact_import.tenant_id, is_active=True
        )
        .select_related("tenant")
        .first()
    )
    return membership if membership and membership.can(Capability.CUSTOMERS_EDIT) else None


def contact_import_check(*, import_id: int) -> None:
    """The dry run: stage and classify the whole file, store the totals; writes no contact."""
    claimed = ContactImport.objects.filter(pk=import_id, status=ImportStatus.CHECK_QUEUED).update(
        status=ImportStatus.CHECKING
    )
    if not claimed:
        return
    contact_import = ContactImport.objects.get(pk=import_id)
    membership = _may_import(contact_import)
    if membership is None:
        _fail(import_id, _("The person who started this import may no longer edit customers."))
        return
    try:
        with connection.cursor() as cursor:
            try:
                _stage(contact_import, membership, cursor)
                result: dict[str, Any] = dict(engine.totals(cursor))
                result["outcomes"] = engine.outcomes(cursor, limit=PREVIEW_ROWS)
                result["rejections"] = engine.rejections(cursor, limit=CHECK_REJECTIONS_SHOWN)
            finally:
                engine.drop_stage(cursor)
    except ImportFileError as error:
        _fail(import_id, str(error))
        return
    except Exception:
        _fail(
            import_id,
            _("The check stopped on an unexpected error; nothing was imported. Try again or contact support."),
        )
        raise
    ContactImport.objects.filter(pk=import_id, status=ImportStatus.CHECKING).update(
        status=ImportStatus.CHECKED, check_result=result, total_rows=result["rows"]
    )


def contact_import_run(*, import_id: int, max_chunks: int | None = None) -> None:
    """The real run: stage and classify as the check did, then write chunk after chunk from the cursor.

    ``max_chunks`` stops after that many chunks, leaving the import "running" exactly as a killed
    worker would (used to prove that a resumed run writes nothing twice).
    """
    claimed = ContactImport.objects.filter(pk=import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now()
    )
    if not claimed:
        return
    ContactImport.objects.filter(pk=import_id, started_at__isnull=True).update(started_at=timezone.now())
    contact_import = ContactImport.objects.get(pk=import_id)
    membership = _may_import(contact_import)
    if membership is None:
        _fail(import_id, _("The person who started this import may no longer edit customers."))
        return
    tenant = membership.tenant
    chunks = 0
    try:
        with connection.cursor() as cursor:
            try:
                total = _stage(contact_import, membership, cursor)
                ContactImport.objects.filter(pk=import_id).update(total_rows=total)
                cursor_row = contact_import.row_cursor
                while (end := engine.next_chunk_end(cursor, after=cursor_row, size=CHUNK_SIZE)) is not None:
                    if max_chunks is not None and chunks >= max_chunks:
                        return
                    with transaction.atomic():
                        counts = engine.write_chunk(
                            cursor, tenant_id=tenant.pk, import_id=import_id, user_id=contact_import.created_by_id,
                            start=cursor_row, end=end, now=timezone.now(),
                        )  # fmt: skip
                        ContactImport.objects.filter(pk=import_id).update(
                            row_cursor=end,
                            heartbeat_at=timezone.now(),
                            created_count=F("created_count") + counts["create"],
                            updated_count=F("updated_count") + counts["update"],
                            unchanged_count=F("unchanged_count") + counts["unchanged"],
                            rejected_count=F("rejected_count") + counts["reject"],
                        )
                    cursor_row = end
                    chunks += 1
            finally:
                engine.drop_stage(cursor)
    except ImportFileError as error:
        _fail(import_id, str(error))
        return
    except Exception:
        # Not resumable by the sweeper: the same error would stop every retry. Committed chunks stay.
        done = ContactImport.objects.filter(pk=import_id).values_list("row_cursor", flat=True).first() or 0
        _fail(
            import_id,
            _("The import stopped on an unexpected error after row %(row)s; the rows before it are imported.")
            % {"row": done},
        )
        raise
    contact_import.refresh_from_db()
    message = ngettext("%(n)s contact created", "%(n)s contacts created", contact_import.created_count) % {
        "n": f"{contact_import.created_count:,}"
    }
    message += ", " + ngettext("%(n)s updated", "%(n)s updated", contact_import.updated_count) % {
        "n": f"{contact_import.updated_count:,}"
    }
    message += ", " + ngettext("%(n)s unchanged", "%(n)s unchanged", contact_import.unchanged_count) % {
        "n": f"{contact_import.unchanged_count:,}"
    }
    message += ", " + ngettext("%(n)s row rejected.", "%(n)s rows rejected.", contact_import.rejected_count) % {
        "n": f"{contact_import.rejected_count:,}"
    }
    finished = ContactImport.objects.filter(pk=import_id, status=ImportStatus.RUNNING).update(
        status=ImportStatus.DONE, message=message, finished_at=timezone.now()
    )
    if finished:  # once, by the run that finished it
        webhook_emit(
            tenant=tenant, event="import.finished",
            data={"import": {"id": import_id, "kind": "contacts", "created": contact_import.created_count,
                             "updated": contact_import.updated_count, "unchanged": contact_import.unchanged_count,
                             "rejected": contact_import.rejected_count, "summary": message}},
        )  # fmt: skip
    audit_record(tenant=tenant, action="import", actor=membership.user, obj=contact_import, object_repr=message)


def mode_label(mode: str) -> str:
    return str(dict(ImportMode.choices).get(mode, mode))
