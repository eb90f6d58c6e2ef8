"""Scoring runs: start one, execute it (extract → score → promote → write back), and settings.

Only this module and extract.py / writeback.py touch the database; the modelling is plain Python
in analytics/pipeline.py and friends. A run's scores go live whole (one transaction) and only
if its models are not worse than the current ones beyond the tenant's tolerance.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.data import AnalyticsSettings, CustomFeature, NotEnoughData
from analytics.extract import extract_tenant
from analytics.models import AnalyticsConfig, ChurnLabel, ModelRun, RunStatus
from analytics.pipeline import score_tenant
from analytics.writeback import write_scores
from crm.models import Tenant, User
from customers.models import CustomField, CustomFieldEntity, CustomFieldType

logger = logging.getLogger(__name__)
STALE_AFTER = timedelta(hours=2)  # longer than the task's hard time limit: its worker is gone
FEATURE_KINDS = {CustomFieldType.NUMBER: "number", CustomFieldType.CHOICE: "choice", CustomFieldType.BOOLEAN: "boolean"}


def analytics_config_for(tenant: Tenant) -> AnalyticsConfig:
    config, _ = AnalyticsConfig.objects.get_or_create(tenant=tenant)
    return config


@transaction.atomic
def analytics_config_update(*, tenant: Tenant, data: dict[str, Any], by: User) -> AnalyticsConfig:
    config = analytics_config_for(tenant)
    AnalyticsConfig.objects.filter(pk=config.pk).update(**data)
    return AnalyticsConfig.objects.get(pk=config.pk)


def current_run() -> ModelRun | None:
    """The run whose scores are on the contacts now (the last promoted one)."""
    return ModelRun.objects.filter(promoted=True).order_by("-finished_at", "-id").first()


def analytics_run_start(*, tenant: Tenant, by: User | None) -> ModelRun:
    """Queue a run, or return the one already queued or running (at most one per tenant)."""
    from analytics.tasks import run_scoring

    ModelRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=timezone.now() - STALE_AFTER).update(
        status=RunStatus.FAILED, error=_("The worker running this stopped; a new run was started."),
        finished_at=timezone.now(),
    )  # fmt: skip
    config = analytics_config_for(tenant)
    try:
        with transaction.atomic():
            run = ModelRun.objects.create(tenant=tenant, requested_by=by, settings=_settings_snapshot(config))
    except IntegrityError:  # modelrun_one_active_uniq: one is queued or running already
        active = ModelRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).first()
        if active is None:
            raise
        return active
    transaction.on_commit(lambda: run_scoring.delay(tenant.id, run.id))
    return run


def _settings_snapshot(config: AnalyticsConfig) -> dict[str, Any]:
    return {
        "value_horizon_days": config.value_horizon_days,
        "churn_window_days": config.churn_window_days,
        "churn_label": config.churn_label,
        "churn_label_field": config.churn_label_field,
        "feature_fields": list(config.feature_fields),
        "tolerance": config.tolerance,
    }


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


def _promotion(run_cards: tuple[dict[str, Any], dict[str, Any]], tolerance: float) -> tuple[bool, str]:
    """Promote unless the churn AUC dropped or the value MAE rose beyond ``tolerance`` (a share)."""
    current = current_run()
    if current is None:
        return True, _("First run: its models are now in use.")
    value, churn = run_cards
    old_auc, new_auc = current.churn_card.get("metrics", {}).get("roc_auc"), churn["metrics"]["roc_auc"]
    old_mae, new_mae = current.value_card.get("metrics", {}).get("mae"), value["metrics"]["mae"]
    problems = []
    if old_auc is not None and new_auc < old_auc - tolerance:
        problems.append(_("churn ROC AUC %(new).3f is below the current %(old).3f") % {"new": new_auc, "old": old_auc})
    if old_mae is not None and old_mae > 0 and new_mae > old_mae * (1 + tolerance):
        problems.append(_("value MAE %(new).2f is above the current %(old).2f") % {"new": new_mae, "old": old_mae})
    if problems:
        return False, _("Kept as a candidate: %(problems)s (tolerance %(tolerance).0f%%).") % {
            "problems": "; ".join(problems), "tolerance": tolerance * 100,
        }  # fmt: skip
    return True, _("Its models are as good as or better than the previous run's: now in use.")


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
        value_card, churn_card = _card(result.value_model), _card(result.churn_model)
        promote, note = _promotion((value_card, churn_card), float(snapshot.get("tolerance", 0.02)))
        if extracted.orders_without_rate:
            left_out = _("%(count)d orders in %(currencies)s were left out: those currencies have no exchange rate.")
            currencies = ", ".join(extracted.currencies_without_rate)
            note += " " + left_out % {"count": extracted.orders_without_rate, "currencies": currencies}
        report(_("Writing scores"), 0.9)
        started = time.perf_counter()
        with transaction.atomic():
            if promote:
                write_scores(tenant_id=tenant.id, run_id=run_id, scores=result.scores, scored_at=timezone.now())
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
    import dataclasses

    import numpy as np

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


def _card(card: Any) -> dict[str, Any]:
    return _plain(card)  # type: ignore[no-any-return]


@transaction.atomic
def analytics_cluster_rename(*, tenant: Tenant, run: ModelRun, number: int, name: str, by: User) -> None:
    run = ModelRun.objects.select_for_update().get(pk=run.pk)
    clusters = [dict(cluster) for cluster in run.clusters]
    for cluster in clusters:
        if cluster.get("number") == number:
            cluster["name"] = name.strip()[:60]
    ModelRun.objects.filter(pk=run.pk).update(clusters=clusters)
