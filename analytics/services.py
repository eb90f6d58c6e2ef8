"""Scoring runs: start one, settings, the run in use and the promotion rule, cluster names.

Executing a run (extract → score → promote → write back) lives in analytics/scoring.py, which pulls in
pandas and scikit-learn; only the worker imports it, so the web process does not load them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.models import AnalyticsConfig, ModelRun, RunStatus
from crm.models import Tenant, User

STALE_AFTER = timedelta(hours=2)  # longer than the task's hard time limit: its worker is gone


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


@transaction.atomic
def analytics_cluster_rename(*, tenant: Tenant, run: ModelRun, number: int, name: str, by: User) -> None:
    run = ModelRun.objects.select_for_update().get(pk=run.pk)
    clusters = [dict(cluster) for cluster in run.clusters]
    for cluster in clusters:
        if cluster.get("number") == number:
            cluster["name"] = name.strip()[:60]
    ModelRun.objects.filter(pk=run.pk).update(clusters=clusters)
