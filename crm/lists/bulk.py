"""Running bulk actions: small selections in the request, large ones as a chunked, resumable job.

A selection is either ids posted from the list's checkboxes or "all matching this view" (the
list's query string, filtered again wherever it runs). Ids are looked up through the scoped
manager, so another tenant's ids, or records hidden by record visibility, never match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.services import audit_record
from crm.lists.models import BulkJob, BulkJobStatus
from crm.lists.registry import BulkAction, BulkActionError, BulkOutcome, ListSpec, list_spec
from crm.models import Membership, Tenant, User
from crm.tenancy.context import visibility_context
from crm.visibility import visible_owners_for

# Selections up to this size run in the request, in one transaction; larger ones become a job.
IN_REQUEST_LIMIT = 200
CHUNK_SIZE = 500


@dataclass(frozen=True)
class Selection:
    ids: list[int] | None  # None: all records matching ``query``
    query: str

    def queryset(self, spec: ListSpec, *, tenant: Tenant, user: User) -> QuerySet[Any]:
        if self.ids is None:
            return spec.filtered(QueryDict(self.query), tenant, user)
        return spec.model._default_manager.filter(pk__in=self.ids)


def selection_describe(spec: ListSpec, count: int) -> str:
    return ngettext("%(count)s record", "%(count)s records", count) % {"count": f"{count:,}"} + f" ({spec.plural})"


def bulk_run_now(
    *, tenant: Tenant, spec: ListSpec, action: BulkAction, selection: QuerySet[Any], values: dict[str, Any], by: User
) -> BulkOutcome:
    """Run the action on the whole selection in one transaction: all of it, or nothing on error."""
    with transaction.atomic():
        if action.check:
            action.check(selection, values=values)
        outcome = action.run(selection, values=values, tenant=tenant, by=by)
        if outcome.skipped:
            raise BulkActionError(
                ngettext(
                    "%(n)d selected record could not be changed; nothing was changed.",
                    "%(n)d selected records could not be changed; nothing was changed.",
                    outcome.skipped,
                )
                % {"n": outcome.skipped}
            )
    return outcome


@transaction.atomic
def bulk_job_create(
    *,
    tenant: Tenant,
    spec: ListSpec,
    action: BulkAction,
    selection: Selection,
    values: dict[str, Any],
    total: int,
    by: User,
) -> BulkJob:
    """Record the job and queue its task once the job row is committed."""
    job = BulkJob.objects.create(
        tenant=tenant,
        list_key=spec.key,
        action=action.key,
        params={"values": values, "ids": selection.ids, "query": selection.query},
        total=total,
        created_by=by,
    )
    from crm.tasks import run_bulk_job

    transaction.on_commit(lambda: run_bulk_job.delay(tenant.pk, job.pk))
    return job


def _finish(job_id: int, status: str, message: str) -> None:
    BulkJob.objects.filter(pk=job_id).update(status=status, message=message, finished_at=timezone.now())


def bulk_job_run(*, job_id: int) -> None:
    """Claim the job (a second delivery finds it taken and returns), then process it in chunks.

    Runs as the user who started it: their role must still allow the action, and their record
    visibility applies exactly as it did on the list.
    """
    claimed = BulkJob.objects.filter(pk=job_id, status=BulkJobStatus.QUEUED).update(
        status=BulkJobStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    job = BulkJob.objects.select_related("created_by").get(pk=job_id)
    spec = list_spec(job.list_key)
    action = spec.actions.get(job.action)
    user = job.created_by
    membership = (
        Membership.objects.filter(user=user, tenant_id=job.tenant_id, is_active=True).select_related("tenant").first()
        if user
        else None
    )
    if action is None or user is None or membership is None or not membership.can(action.capability):
        _finish(job.pk, BulkJobStatus.FAILED, _("The person who started this action may no longer do it."))
        return
    values = job.params.get("values", {})
    selection = Selection(ids=job.params.get("ids"), query=job.params.get("query", ""))
    try:
        with visibility_context(visible_owners_for(membership)):
            _run_chunks(job, spec, action, selection, values, membership.tenant, user)
    except BulkActionError as refused:
        _finish(job.pk, BulkJobStatus.FAILED, str(refused))
        return
    job.refresh_from_db()
    message = ngettext("%(n)d record processed.", "%(n)d records processed.", job.done) % {"n": job.done}
    if job.errors:
        message += " " + ngettext("%(n)d could not be changed.", "%(n)d could not be changed.", job.errors) % {
            "n": job.errors
        }
    _finish(job.pk, BulkJobStatus.DONE, message)
    audit_record(tenant=membership.tenant, action="bulk", actor=user, obj=job, object_repr=f"{job.action}: {message}")


def _run_chunks(
    job: BulkJob,
    spec: ListSpec,
    action: BulkAction,
    selection: Selection,
    values: dict[str, Any],
    tenant: Tenant,
    user: User,
) -> None:
    matching = selection.queryset(spec, tenant=tenant, user=user)
    last_id = job.last_id
    while True:
        # Keyset by id: records the action moves out of the filter are not skipped or done twice.
        chunk = list(matching.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:CHUNK_SIZE])
        if not chunk:
            return
        with transaction.atomic():
            outcome = action.run(
                spec.model._default_manager.filter(pk__in=chunk), values=values, tenant=tenant, by=user
            )
            last_id = chunk[-1]
            BulkJob.objects.filter(pk=job.pk).update(
                done=F("done") + len(chunk), errors=F("errors") + outcome.skipped, last_id=last_id
            )
