"""Executing a scoring run: extract with COPY, score (analytics/pipeline.py), promote or keep as a
candidate (analytics.services._promotion), write back. Imported by the worker's task, the demo seed
and benchmarks only: it loads pandas and scikit-learn, which the web process does not need.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import datetime
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.data import AnalyticsSettings, CustomFeature, NotEnoughData
from analytics.extract import extract_tenant
from analytics.models import ChurnLabel, ModelRun, RunStatus
from analytics.pipeline import score_tenant
from analytics.services import _promotion
from analytics.writeback import write_scores
from customers.models import CustomField, CustomFieldEntity, CustomFieldType

logger = logging.getLogger(__name__)
FEATURE_KINDS = {CustomFieldType.NUMBER: "number", CustomFieldType.CHOICE: "choice", CustomFieldType.BOOLEAN: "boolean"}


def _custom_features(keys: list[str]) -> list[CustomFeature]:
    fields = CustomField.objects.filter(entity=CustomFieldEntity.CONTACT, key__in=keys, archived_at__isnull=True)
    return [
        CustomFeature(column=field.form_field_name, label=field.label, kind=FEATURE_KINDS[field.field_type])
        for field in fields
        if field.field_type in FEATURE_KINDS
    ]


def _analytics_settings(snapshot: dict[str, Any], features: list[CustomFeature]) -> AnalyticsSettings:
    label = snapshot["churn_label"]
    if label == ChurnLabel.CUSTOM:
        label = f"cf_{snapshot['churn_label_field']}"
    return AnalyticsSettings(
        value_horizon_days=snapshot["value_horizon_days"],
        churn_window_days=snapshot["churn_window_days"],
        churn_label=label,
        custom_features=tuple(features),
    )


def _progress(run_id: int) -> Any:
    def report(stage: str, fraction: float) -> None:
        ModelRun.objects.filter(pk=run_id).update(stage=stage[:100], progress=max(0.0, min(1.0, fraction)))

    return report


def analytics_run_execute(*, run_id: int, now: datetime | None = None) -> ModelRun | None:
    """Run a queued run to the end. Claimed with a conditional update, so a second delivery of the
    task does nothing; a failure leaves the current scores as they were. ``now`` (default: the
    current time) is the moment scored; tests and backfills pin it to make a run reproducible."""
    claimed = ModelRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), stage=_("Reading customers"), progress=0.01
    )
    if not claimed:
        return None
    run = ModelRun.objects.select_related("tenant").get(pk=run_id)
    tenant, snapshot, timings = run.tenant, run.settings, {}
    report = _progress(run_id)
    try:
        started = time.perf_counter()
        features = _custom_features(snapshot.get("feature_fields", []))
        extracted = extract_tenant(
            tenant_id=tenant.id, default_currency=tenant.default_currency, custom_features=features
        )
        timings["extract"] = round(time.perf_counter() - started, 2)
        report(_("Building features"), 0.15)
        started = time.perf_counter()
        result = score_tenant(extracted.data, _analytics_settings(snapshot, features), now=now or timezone.now(),
                              progress=lambda stage, fraction: report(stage, 0.15 + 0.7 * fraction))  # fmt: skip
        timings["model"] = round(time.perf_counter() - started, 2)
        value_card, churn_card = _plain(result.value_model), _plain(result.churn_model)
        promote, note = _promotion((value_card, churn_card), float(snapshot.get("tolerance", 0.02)))
        if extracted.orders_without_rate:
            left_out = _("%(count)d orders in %(currencies)s were left out: those currencies have no exchange rate.")
            currencies = ", ".join(extracted.currencies_without_rate)
            note += " " + left_out % {"count": extracted.orders_without_rate, "currencies": currencies}
        report(_("Writing scores"), 0.9)
        started = time.perf_counter()
        with transaction.atomic():
            if promote:
                write_scores(tenant_id=tenant.id, run_id=run_id, scores=result.scores, scored_at=timezone.now(),
                             timings=timings)  # fmt: skip
            ModelRun.objects.filter(pk=run_id).update(
                status=RunStatus.SUCCEEDED, progress=1.0, stage=_("Finished"), finished_at=timezone.now(),
                cutoff=result.cutoff, rows=len(result.scores), value_card=value_card, churn_card=churn_card,
                clusters=[_plain(cluster) for cluster in result.clusters],
                rfm_rules=[list(rule) for rule in result.rfm_rules],
                feature_descriptions=result.feature_descriptions, promoted=promote, promotion_note=note.strip(),
                timings={**timings, "write": round(time.perf_counter() - started, 2)},
            )  # fmt: skip
    except NotEnoughData as problem:
        _fail(run_id, str(problem), timings)
    except Exception as error:  # recorded for the run page, then raised for the worker's log
        _fail(run_id, _("The run stopped with an error: %(error)s") % {"error": error}, timings)
        logger.exception("analytics run %s failed", run_id)
        raise
    return ModelRun.objects.get(pk=run_id)


def _fail(run_id: int, message: str, timings: dict[str, float]) -> None:
    ModelRun.objects.filter(pk=run_id).update(
        status=RunStatus.FAILED, error=message, finished_at=timezone.now(), timings=timings, stage=_("Stopped")
    )


def _plain(value: Any) -> Any:
    """Dataclasses, numpy scalars and datetimes as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {key: _plain(item) for key, item in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value
