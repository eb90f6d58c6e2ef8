"""Writes of the duplicate review: detection runs, dismissing a pair. (Merging: merge.py.)"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import Tenant, User
from customers.duplicates.detection import duplicates_detect_all
from customers.duplicates.models import DuplicateCandidate, DuplicateRun, DuplicateRunStatus, DuplicateStatus


@transaction.atomic
def duplicate_run_start(*, tenant: Tenant, by: User) -> DuplicateRun:
    """Queue a "Find duplicates" run, or return the one already queued or running."""
    active = DuplicateRun.objects.filter(status__in=[DuplicateRunStatus.QUEUED, DuplicateRunStatus.RUNNING]).first()
    if active is not None:
        return active
    try:
        with transaction.atomic():
            run = DuplicateRun.objects.create(tenant=tenant, requested_by=by)
    except IntegrityError:  # another click won the race (duplicaterun_one_active_uniq)
        return DuplicateRun.objects.get(status__in=[DuplicateRunStatus.QUEUED, DuplicateRunStatus.RUNNING])
    from customers.duplicates.tasks import find_duplicates

    transaction.on_commit(lambda: find_duplicates.delay(tenant.id, run.id))
    return run


def duplicate_run_execute(*, tenant: Tenant, run_id: int) -> None:
    """The task's body: claim the run, detect, record the result. Safe to call twice.

    Not one transaction: progress must be visible to the page while it runs, and each batch of
    pairs is an idempotent upsert, so a run cut short and started again loses nothing.
    """
    claimed = DuplicateRun.objects.filter(pk=run_id, status=DuplicateRunStatus.QUEUED).update(
        status=DuplicateRunStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return  # already running or finished: a redelivered message does nothing

    def progress(done: int, total: int) -> None:
        DuplicateRun.objects.filter(pk=run_id).update(processed=done, total=total)

    try:
        open_pairs = duplicates_detect_all(tenant=tenant, progress=progress)
    except Exception as error:
        DuplicateRun.objects.filter(pk=run_id).update(
            status=DuplicateRunStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now()
        )
        raise
    DuplicateRun.objects.filter(pk=run_id).update(
        status=DuplicateRunStatus.DONE, pairs_found=open_pairs, processed=0, finished_at=timezone.now()
    )


@transaction.atomic
def duplicate_dismiss(*, tenant: Tenant, pair: DuplicateCandidate, by: User) -> DuplicateCandidate:
    """ "Not a duplicate": the pair stays stored as dismissed, so detection never suggests it again."""
    DuplicateCandidate.objects.filter(pk=pair.pk).update(
        status=DuplicateStatus.DISMISSED, decided_by=by, decided_at=timezone.now()
    )
    pair.refresh_from_db()
    return pair
