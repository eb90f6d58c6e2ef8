"""Writes to pipelines and deals. Every stage move is checked against the deal's pipeline and
recorded as a DealStageChange; every edit checks the version the user started from."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.registry import record_update
from crm.models import Tenant, User
from customers.models import Deal, DealStageChange, Pipeline, Stage, StageKind
from customers.services import ConcurrentEditError
from integrations.events import record_event

DEFAULT_STAGES = [
    # (name, win probability %, kind)
    ("Qualification", 10, StageKind.OPEN),
    ("Needs analysis", 25, StageKind.OPEN),
    ("Proposal", 50, StageKind.OPEN),
    ("Negotiation", 75, StageKind.OPEN),
    ("Won", 100, StageKind.WON),
    ("Lost", 0, StageKind.LOST),
]


class DealRuleError(ValueError):
    """A move or edit the sales process does not allow; nothing was written."""


def pipeline_ensure_default(*, tenant: Tenant) -> Pipeline:
    """The tenant's default pipeline, created with the standard stages on first use."""
    existing = Pipeline.objects.filter(is_default=True).first()
    if existing is not None:
        return existing
    try:
        return _pipeline_create_default(tenant=tenant)
    except IntegrityError:  # another request created it first (pipeline_tenant_one_default_uniq)
        return Pipeline.objects.get(is_default=True)


@transaction.atomic
def _pipeline_create_default(*, tenant: Tenant) -> Pipeline:
    pipeline = Pipeline.objects.create(tenant=tenant, name=_("Sales"), is_default=True, position=0)
    Stage.objects.bulk_create(
        Stage(tenant=tenant, pipeline=pipeline, name=_(name), position=index, win_probability=probability, kind=kind)
        for index, (name, probability, kind) in enumerate(DEFAULT_STAGES)
    )
    return pipeline


def _check_stage(*, pipeline: Pipeline, stage: Stage, lost_reason: str) -> None:
    if stage.pipeline_id != pipeline.pk:
        raise DealRuleError(
            _("The stage “%(stage)s” belongs to another pipeline than “%(pipeline)s”; the deal was not moved.")
            % {"stage": stage.name, "pipeline": pipeline.name}
        )
    if stage.kind == StageKind.LOST and not lost_reason.strip():
        raise DealRuleError(_("Say why the deal was lost."))


def _closing_fields(stage: Stage, lost_reason: str, previous: Deal | None) -> dict[str, Any]:
    """closed_at is stamped when a deal enters a won or lost stage and cleared when it reopens."""
    if stage.kind == StageKind.OPEN:
        return {"closed_at": None, "lost_reason": ""}
    already_closed = previous is not None and previous.closed_at is not None and previous.stage.kind == stage.kind
    closed_at = previous.closed_at if already_closed and previous else timezone.now()
    return {"closed_at": closed_at, "lost_reason": lost_reason.strip() if stage.kind == StageKind.LOST else ""}


@transaction.atomic
def deal_create(*, tenant: Tenant, data: dict[str, Any], by: User) -> Deal:
    fields = dict(data)
    _check_stage(pipeline=fields["pipeline"], stage=fields["stage"], lost_reason=fields.get("lost_reason", ""))
    fields.update(_closing_fields(fields["stage"], fields.get("lost_reason", ""), None))
    fields["currency"] = (fields.get("currency") or tenant.default_currency).upper()
    now = timezone.now()
    deal = Deal.objects.create(tenant=tenant, updated_by=by, created_at=now, updated_at=now, **fields)
    DealStageChange.objects.create(
        tenant=tenant, deal=deal, from_stage=None, to_stage=deal.stage, changed_by=by, changed_at=now
    )
    record_event(tenant=tenant, record=deal, action="created")
    return deal


@transaction.atomic
def deal_update(*, tenant: Tenant, deal: Deal, data: dict[str, Any], expected_version: int, by: User) -> Deal:
    # Read the stage as stored: a ModelForm has already copied the new values onto ``deal``.
    stored = Deal.objects.select_related("stage").get(pk=deal.pk)
    fields = dict(data)
    _check_stage(pipeline=fields["pipeline"], stage=fields["stage"], lost_reason=fields.get("lost_reason", ""))
    fields.update(_closing_fields(fields["stage"], fields.get("lost_reason", ""), stored))
    fields["currency"] = (fields.get("currency") or tenant.default_currency).upper()
    _save_if_unchanged(deal, fields, expected_version, by)
    if stored.stage_id != fields["stage"].pk:
        DealStageChange.objects.create(
            tenant=tenant, deal=deal, from_stage=stored.stage, to_stage=fields["stage"], changed_by=by
        )
    saved = Deal.objects.select_related("pipeline", "stage", "owner", "contact", "account", "updated_by").get(
        pk=deal.pk
    )
    record_event(tenant=tenant, record=saved, action="updated")
    if stored.stage_id != saved.stage_id:
        _stage_event(tenant, saved, stored.stage)
    return saved


@transaction.atomic
def deal_move(
    *, tenant: Tenant, deal: Deal, stage: Stage, lost_reason: str = "", expected_version: int | None, by: User
) -> Deal:
    """Move a deal to another stage of its pipeline (the board's drag and drop)."""
    stored = Deal.objects.select_related("pipeline", "stage").get(pk=deal.pk)
    if stored.stage_id == stage.pk:  # dropped back on its own column
        return stored
    _check_stage(pipeline=stored.pipeline, stage=stage, lost_reason=lost_reason)
    changes = {"stage": stage, **_closing_fields(stage, lost_reason, stored)}
    _save_if_unchanged(stored, changes, stored.version if expected_version is None else expected_version, by)
    DealStageChange.objects.create(tenant=tenant, deal=stored, from_stage=stored.stage, to_stage=stage, changed_by=by)
    moved = Deal.objects.select_related("pipeline", "stage").get(pk=deal.pk)
    _stage_event(tenant, moved, stored.stage)
    return moved


@transaction.atomic
def deal_delete(*, tenant: Tenant, deal: Deal, by: User) -> None:
    # Its stage history goes with it (CASCADE); the confirmation page said so.
    record_event(tenant=tenant, record=deal, action="deleted")
    deal.delete()


def _stage_event(tenant: Tenant, deal: Deal, from_stage: Stage) -> None:
    record_event(
        tenant=tenant, record=deal, action="stage_changed",
        extra={"from_stage": {"id": from_stage.pk, "name": from_stage.name},
               "to_stage": {"id": deal.stage_id, "name": deal.stage.name}},
    )  # fmt: skip


def _save_if_unchanged(deal: Deal, changes: dict[str, Any], expected_version: int, by: User) -> None:
    """One conditional UPDATE: it only matches if nobody saved since ``expected_version``."""
    updated = Deal.objects.filter(pk=deal.pk, version=expected_version).update(
        **changes, version=F("version") + 1, updated_by=by, updated_at=timezone.now()
    )
    if not updated:
        raise ConcurrentEditError(Deal.objects.select_related("updated_by").get(pk=deal.pk))
    record_update(deal, changes)  # the audit trail (audit/registry.py: update() sends no signal)


@transaction.atomic
def pipeline_save(*, tenant: Tenant, form: Any, stages: Any) -> Pipeline:
    """Save a pipeline and its stages in the order they were listed (forms already validated)."""
    pipeline = form.save(commit=False)
    pipeline.tenant = tenant
    if pipeline.pk is None:
        pipeline.position = Pipeline.objects.count()
    pipeline.save()
    stages.instance = pipeline
    position = 0
    # The "Order" column decides the board order; rows without one keep their place at the end.
    ordered = sorted(
        enumerate(stages.forms),
        key=lambda item: (item[1].cleaned_data.get("ORDER") is None, item[1].cleaned_data.get("ORDER") or 0, item[0]),
    )
    for _index, stage_form in ordered:
        data = stage_form.cleaned_data
        if not data:
            continue
        if data.get("DELETE"):
            if stage_form.instance.pk:
                stage_form.instance.delete()
            continue
        stage = stage_form.save(commit=False)
        stage.tenant, stage.pipeline, stage.position = tenant, pipeline, position
        stage.save()
        position += 1
    return pipeline
