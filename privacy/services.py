"""Writes of the privacy app: requests (export, erase), their runs, download links, retention rules."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record, audit_redact_values
from crm.models import Tenant, User
from customers.models import Contact
from privacy import erasure, exporting
from privacy.models import (
    PrivacyRequest,
    RequestKind,
    RequestStatus,
    RetentionKind,
    RetentionRule,
    RetentionRun,
)

DOWNLOAD_MAX_AGE = timedelta(days=7)
DOWNLOAD_SALT = "privacy.download"


class PrivacyError(ValueError):
    """A request that cannot be made (shown to the user as is)."""


# --- Requests -----------------------------------------------------------------------------------


@transaction.atomic
def privacy_request_create(*, tenant: Tenant, contact: Contact, kind: str, by: User) -> PrivacyRequest:
    """Queue an export or an erasure of ``contact``; a second identical request still running is reused."""
    running = PrivacyRequest.objects.filter(
        contact=contact, kind=kind, status__in=(RequestStatus.QUEUED, RequestStatus.RUNNING)
    ).first()
    if running is not None:
        return running
    request = PrivacyRequest.objects.create(
        tenant=tenant,
        kind=kind,
        contact=contact,
        contact_number=contact.pk,
        contact_label=contact.full_name[:300]
        if kind == RequestKind.EXPORT
        else _("Contact #%(id)s") % {"id": contact.pk},
        requested_by=by,
    )
    from privacy.tasks import run_privacy_request

    transaction.on_commit(lambda: run_privacy_request.delay(tenant.pk, request.pk))
    return request


def _claim(request_id: int) -> PrivacyRequest | None:
    claimed = PrivacyRequest.objects.filter(pk=request_id, status=RequestStatus.QUEUED).update(
        status=RequestStatus.RUNNING, started_at=timezone.now(), error=""
    )
    if not claimed:
        return None
    return PrivacyRequest.objects.select_related("requested_by").get(pk=request_id)


def _progress(request_id: int, percent: int, stage: str) -> None:
    PrivacyRequest.objects.filter(pk=request_id).update(progress=min(percent, 100), stage=stage[:100])


def privacy_request_run(*, request_id: int) -> None:
    """Run a queued request (the task's one call). Claimed with a conditional update: a second delivery
    of the task does nothing. The erasure itself is idempotent, so a new request after a failure finishes it."""
    request = _claim(request_id)
    if request is None:
        return
    try:
        if request.contact_id is None:
            raise PrivacyError(_("The contact no longer exists."))
        if request.kind == RequestKind.EXPORT:
            _run_export(request)
        else:
            _run_erase(request)
    except Exception as error:
        # The details go to the worker's log (the task re-raises); the page says what to do.
        message = (
            str(error)
            if isinstance(error, PrivacyError)
            else _("The request stopped on an unexpected error. Start it again; what was done is safe to redo.")
        )
        PrivacyRequest.objects.filter(pk=request_id).update(
            status=RequestStatus.FAILED, error=message[:1000], finished_at=timezone.now()
        )
        if not isinstance(error, PrivacyError):
            raise


def _run_export(request: PrivacyRequest) -> None:
    contact = Contact.unscoped_objects.get(pk=request.contact_id)
    steps = [0]

    def progress(stage: str) -> None:
        steps[0] += 1
        _progress(request.pk, min(90, 5 + steps[0] * 2), stage)

    sections = exporting.contact_sections(contact, progress=progress)
    about = {
        "contact_id": contact.pk,
        "name": contact.full_name,
        "exported_at": timezone.now().isoformat(),
        "workspace": request.tenant.name,
        "tables": {name: len(rows) for name, rows in sections},
    }
    content = exporting.build_zip(sections, about=about)
    name = default_storage.save(f"privacy/{request.tenant_id}/{uuid.uuid4().hex}.zip", ContentFile(content))
    with transaction.atomic():
        old = PrivacyRequest.objects.filter(pk=request.pk).values_list("file", flat=True).first()
        PrivacyRequest.objects.filter(pk=request.pk).update(
            file=name,
            file_size=len(content),
            counts=about["tables"],
            status=RequestStatus.DONE,
            progress=100,
            stage="",
            finished_at=timezone.now(),
        )
        audit_record(
            tenant=request.tenant,
            action="privacy_export",
            actor=request.requested_by,
            obj=contact,
            changes={"tables": [None, about["tables"]]},
        )
    if old and old != name:
        erasure.delete_stored_files([old])


def _run_erase(request: PrivacyRequest) -> None:
    contact = Contact.unscoped_objects.get(pk=request.contact_id)
    needles = erasure.personal_values(contact)
    _progress(request.pk, 10, "tables")
    # Earlier exports of this contact hold its data: their files go too.
    earlier_files = list(
        PrivacyRequest.objects.filter(contact=contact, kind=RequestKind.EXPORT)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    result = erasure.contact_erase_in_tables(tenant=request.tenant, contact=contact, needles=needles)
    PrivacyRequest.objects.filter(contact=contact, kind=RequestKind.EXPORT).update(
        file="", file_size=0, contact_label=_("Contact #%(id)s") % {"id": contact.pk}
    )
    _progress(request.pk, 60, "files")
    erasure.delete_stored_files([*result.files, *earlier_files])
    _progress(request.pk, 80, "audit")
    redacted = audit_redact_values(
        tenant_id=request.tenant.pk, values=needles, object_type="customers.contact", object_id=str(contact.pk)
    )
    result.add("audit_auditevent", redacted)
    with transaction.atomic():
        PrivacyRequest.objects.filter(pk=request.pk).update(
            counts=result.counts, status=RequestStatus.DONE, progress=100, stage="", finished_at=timezone.now()
        )
        # Which tables and how many rows; never the erased values.
        audit_record(
            tenant=request.tenant,
            action="erase",
            actor=request.requested_by,
            object_type="customers.contact",
            object_id=contact.pk,
            object_repr=_("Contact #%(id)s") % {"id": contact.pk},
            changes={"tables": [None, result.counts]},
        )


# --- Download links -------------------------------------------------------------------------------


def download_token(request: PrivacyRequest) -> str:
    return signing.TimestampSigner(salt=DOWNLOAD_SALT).sign(f"{request.tenant_id}:{request.pk}")


def download_token_valid(token: str, request: PrivacyRequest) -> bool:
    try:
        value = signing.TimestampSigner(salt=DOWNLOAD_SALT).unsign(token, max_age=DOWNLOAD_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return False
    return value == f"{request.tenant_id}:{request.pk}"


def download_expires_at(request: PrivacyRequest) -> Any:
    return (request.finished_at or request.created_at) + DOWNLOAD_MAX_AGE


# --- Retention rules ------------------------------------------------------------------------------


@transaction.atomic
def retention_rule_save(*, tenant: Tenant, kind: str, months: int, is_active: bool, by: User) -> RetentionRule:
    if months < 1:
        raise PrivacyError(_("A retention rule must keep data for at least one month."))
    rule, _created = RetentionRule.objects.update_or_create(
        tenant=tenant, kind=kind, defaults={"months": months, "is_active": is_active, "created_by": by}
    )
    audit_record(
        tenant=tenant,
        action="setting_change",
        actor=by,
        obj=rule,
        changes={"months": [None, months], "active": [None, is_active]},
    )
    return rule


@transaction.atomic
def retention_rule_delete(*, tenant: Tenant, rule: RetentionRule, by: User) -> None:
    audit_record(tenant=tenant, action="setting_change", actor=by, obj=rule, changes={"deleted": [False, True]})
    rule.delete()


def _cutoff(months: int) -> Any:
    return timezone.now() - relativedelta(months=months)


def retention_rule_run(*, rule: RetentionRule) -> RetentionRun:
    """Apply one rule now: delete what it names, record the counts. Running it twice deletes nothing more."""
    cutoff = _cutoff(rule.months)
    files: list[str] = []
    with transaction.atomic():
        deleted = _apply(rule.kind, cutoff, files)
        run = RetentionRun.objects.create(tenant_id=rule.tenant_id, rule=rule, deleted=deleted)
        RetentionRule.objects.filter(pk=rule.pk).update(last_run_at=run.ran_at, last_deleted=deleted)
        if deleted:
            audit_record(tenant=rule.tenant, action="retention", obj=rule, changes={"deleted": [None, deleted]})
    run.files_deleted = erasure.delete_stored_files(files)
    RetentionRun.objects.filter(pk=run.pk).update(files_deleted=run.files_deleted)
    return run


def _apply(kind: str, cutoff: Any, files: list[str]) -> int:
    if kind == RetentionKind.TICKET_ATTACHMENTS:
        attachment = erasure._model("service_desk.TicketAttachment")
        if attachment is None:
            return 0
        old = attachment.objects.filter(message__ticket__closed_at__lt=cutoff, message__ticket__status="closed")
        files.extend(name for name in old.values_list("file", flat=True) if name)
        return int(old.delete()[0])
    if kind == RetentionKind.INTERACTIONS:
        interaction = erasure._model("interactions.Interaction")
        if interaction is None:
            return 0
        old = interaction.objects.filter(occurred_at__lt=cutoff)
        attachment = erasure._model("interactions.InteractionAttachment")
        if attachment is not None:
            files.extend(
                name for name in attachment.objects.filter(interaction__in=old).values_list("file", flat=True) if name
            )
        _total, per_model = old.delete()
        return int(per_model.get(interaction._meta.label, 0))
    if kind == RetentionKind.INBOUND_RAW:
        inbound = erasure._model("inbox.InboundMessage")
        if inbound is None:
            return 0
        old = inbound.objects.filter(received_at__lt=cutoff).exclude(raw_name="")
        files.extend(old.values_list("raw_name", flat=True))
        return int(old.update(raw_name=""))
    return 0


def retention_rules_run_all(*, tenant_id: int) -> int:
    """Every active rule of the tenant (the nightly task); returns how many rows were deleted."""
    total = 0
    for rule in RetentionRule.objects.filter(tenant_id=tenant_id, is_active=True).order_by("pk"):
        total += retention_rule_run(rule=rule).deleted
    return total
