"""One tenant's scoring run, start to finish, on plain frames: features, RFM, k-means segments,
the value model and the churn model, and every contact's scores with their reasons.

Which contacts get which score (``ScoringResult.scores`` has a row for every contact):

* customers (at least one paid or pending order up to ``now``): everything;
* contacts without orders: ``churn_probability`` NaN and ``risk_band`` "" (nothing to churn from),
  R/F/M 0, segment "", cluster -1, no churn reasons; ``predicted_value`` 0 (the model knows nothing
  to extrapolate from), with one value reason "no orders yet" (contribution 0).

Raises ``NotEnoughData`` (message says what is missing) when the tenant has no orders, fewer than
``MIN_CUSTOMERS`` customers with orders (now, or at a model's training cutoff), fewer than
``MIN_CHURNED`` churned or not churned customers, or a chosen custom field is mostly empty or not
a number / choice / yes-no.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from analytics.churn_model import fit_churn_model, risk_bands, sigmoid
from analytics.clusters import CLUSTER_FEATURES, cluster_customers
from analytics.data import (
    AnalyticsSettings,
    ClusterProfile,
    CustomFeature,
    ModelCard,
    NotEnoughData,
    TenantData,
)
from analytics.features import (
    FeatureSet,
    Prepared,
    day_number,
    describe_features,
    features_at,
    label_booleans,
    orders_between,
    paid_spend_between,
    prepare,
)
from analytics.linear import apply_card
from analytics.reasons import gc_paused
from analytics.rfm import RFM_RULES, RFM_SCORE_RULE, rfm_scores
from analytics.value_model import fit_value_model

__all__ = [
    "AnalyticsSettings",
    "ClusterProfile",
    "CustomFeature",
    "ModelCard",
    "NotEnoughData",
    "ScoringResult",
    "TenantData",
    "score_tenant",
]

MIN_CUSTOMERS = 200
MIN_CHURNED = 30
DAY = pd.Timedelta(days=1)
# Totals since the first order grow with the length of the history, which is shorter at the
# training cutoff than at T; the value model uses the 365- and 90-day windows instead.
TOTALS = {"orders_total", "spend_total"}
VALUE_EXCLUDED = TOTALS
CHURN_EXCLUDED = TOTALS
SCORE_COLUMNS = [
    "churn_probability",
    "risk_band",
    "predicted_value",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "cluster",
    "churn_reasons",
    "value_reasons",
]


@dataclass(frozen=True)
class ScoringResult:
    scores: pd.DataFrame  # index contact_id, every contact; SCORE_COLUMNS
    value_model: ModelCard
    churn_model: ModelCard
    clusters: list[ClusterProfile]
    rfm_rules: list[tuple[str, str]]
    feature_descriptions: dict[str, str]
    cutoff: datetime
    timings: dict[str, float]  # seconds per stage
    counts: dict[str, int]  # contacts, customers, orders used, ...


def _date(day: float) -> str:
    return (pd.Timestamp(0, tz="UTC") + day * DAY).strftime("%Y-%m-%d")


def _moment(day: float) -> datetime:
    return (pd.Timestamp(0, tz="UTC") + day * DAY).to_pydatetime()


def _model_columns(features: FeatureSet, exclude: set[str]) -> list[str]:
    return [name for name in features.frame.columns if name not in exclude]


def _churn_training(
    prepared: Prepared, data: TenantData, settings: AnalyticsSettings, now_day: float, at_now: FeatureSet
) -> tuple[FeatureSet, np.ndarray, np.ndarray, str, float]:
    """(features, rows, label, label text, training cutoff) for the chosen churn label."""
    label = settings.churn_label
    if label == "inactivity":
        window = settings.churn_window_days
        cutoff = now_day - window
        features = features_at(prepared, cutoff)
        rows = features.has_orders
        if rows.sum() < MIN_CUSTOMERS:
            raise NotEnoughData(
                f"Only {int(rows.sum()):,} customers had ordered by {_date(cutoff)} ({window} days before the cutoff); "
                f"the churn model needs at least {MIN_CUSTOMERS} (shorten the churn window or wait for more history)."
            )
        churned = orders_between(prepared, cutoff, now_day)[rows] == 0
        text = f"no order in the {window} days after having ordered before"
        return features, rows, churned, text, cutoff
    rows = at_now.has_orders.copy()
    if label == "lifecycle":
        churned_all = prepared.lifecycle_churned
        text = 'lifecycle stage is "churned"'
    elif label.startswith("cf_"):
        if label not in data.contacts.columns:
            raise NotEnoughData(f"The churn label field {label} was not extracted.")
        parsed = label_booleans(data.contacts[label], label[3:])
        known = parsed.notna().to_numpy()
        rows &= known
        churned_all = (parsed == True).to_numpy(dtype=bool)  # noqa: E712
        text = f'custom field "{label[3:]}" is yes'
        if rows.sum() < MIN_CUSTOMERS:
            raise NotEnoughData(
                f'Only {int(rows.sum()):,} customers with orders have a yes/no value in "{label[3:]}"; '
                f"the churn model needs at least {MIN_CUSTOMERS}."
            )
    else:
        raise NotEnoughData(f"Unknown churn label {label!r}: use inactivity, lifecycle or a cf_<key> yes/no field.")
    return at_now, rows, churned_all[rows], text, now_day


def _check_label(churned: np.ndarray, settings: AnalyticsSettings) -> None:
    total = len(churned)
    positives = int(churned.sum())
    negatives = total - positives
    if settings.churn_label == "inactivity":
        what = f"stopped ordering (no order in the last {settings.churn_window_days} days)"
    else:
        what = "are labelled churned"
    if positives == total:
        raise NotEnoughData(
            f"All {total:,} customers {what}; the churn model needs some who did not churn (at least {MIN_CHURNED})."
        )
    if positives == 0:
        raise NotEnoughData(
            f"None of the {total:,} customers {what}; the churn model needs at least {MIN_CHURNED} churned customers."
        )
    if positives < MIN_CHURNED:
        raise NotEnoughData(
            f"Only {positives} of {total:,} customers {what}; the churn model needs at least {MIN_CHURNED} churned."
        )
    if negatives < MIN_CHURNED:
        raise NotEnoughData(
            f"Only {negatives} of {total:,} customers did not churn; the churn model needs at least {MIN_CHURNED}."
        )


def score_tenant(
    data: TenantData,
    settings: AnalyticsSettings,
    *,
    now: datetime,
    progress: Callable[[str, float], None] | None = None,
) -> ScoringResult:
    """Score every contact of one tenant as of ``now``. See the module docstring."""
    import time

    report = progress or (lambda stage, fraction: None)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        timings[stage] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    report("features", 0.0)
    now_day = day_number(now)
    if len(data.contacts) == 0:
        raise NotEnoughData(f"This tenant has no contacts; the models need at least {MIN_CUSTOMERS} customers.")
    if len(data.orders) == 0:
        raise NotEnoughData(
            f"This tenant has no orders; the models need orders from at least {MIN_CUSTOMERS} customers."
        )
    prepared = prepare(data, custom=settings.custom_features)
    at_now = features_at(prepared, now_day)
    customers = at_now.has_orders
    n_customers = int(customers.sum())
    if n_customers == 0:
        raise NotEnoughData(
            f"No contact has a paid or pending order; the models need orders from at least {MIN_CUSTOMERS} customers."
        )
    if n_customers < MIN_CUSTOMERS:
        raise NotEnoughData(f"Only {n_customers:,} customers have orders; the models need at least {MIN_CUSTOMERS}.")
    lap("features")

    # Churn label first (cheap, and the likeliest to be missing).
    churn_features, churn_rows, churned, label_text, churn_cutoff = _churn_training(
        prepared, data, settings, now_day, at_now
    )
    _check_label(churned, settings)
    exclude = set(CHURN_EXCLUDED) | ({settings.churn_label} if settings.churn_label.startswith("cf_") else set())
    exclude |= {name for name in churn_features.frame.columns if name.startswith(f"{settings.churn_label}=")}
    # Value model: features at T - h, target = paid spend in (T - h, T].
    report("value model", 0.15)
    horizon = settings.value_horizon_days
    value_cutoff = now_day - horizon
    at_value = features_at(prepared, value_cutoff)
    value_rows = at_value.has_orders
    if value_rows.sum() < MIN_CUSTOMERS:
        raise NotEnoughData(
            f"Only {int(value_rows.sum()):,} customers had ordered by {_date(value_cutoff)} ({horizon} days before the "
            f"cutoff); the value model needs at least {MIN_CUSTOMERS} (shorten the value horizon or wait for more "
            "history)."
        )
    target_all = paid_spend_between(prepared, value_cutoff, now_day)
    naive_all = paid_spend_between(prepared, value_cutoff - horizon, value_cutoff)
    cold = at_value.exists & ~at_value.has_orders
    cold_spend = float(target_all[cold].mean()) if cold.any() else 0.0
    value_candidates = _model_columns(at_value, VALUE_EXCLUDED)
    value_card = fit_value_model(
        at_value.frame[value_rows],
        target_all[value_rows],
        naive_all[value_rows],
        candidates=value_candidates,
        specs=at_value.specs,
        horizon_days=horizon,
        train_cutoff=_moment(value_cutoff),
        seed=settings.seed,
    )
    # For the card only: contacts without orders are not predicted (0), whatever this says.
    value_card.metrics["no_orders_next_period_mean"] = cold_spend
    value_card.metrics["no_orders_rows"] = int(cold.sum())
    del at_value, target_all, naive_all
    lap("value model")

    report("churn model", 0.35)
    churn_card = fit_churn_model(
        churn_features.frame[churn_rows],
        churned,
        candidates=_model_columns(churn_features, exclude),
        specs=churn_features.specs,
        window_days=settings.churn_window_days,
        train_cutoff=_moment(churn_cutoff),
        label=label_text,
        seed=settings.seed,
    )
    del churn_features
    lap("churn model")

    # RFM and clusters at T.
    report("segments", 0.5)
    frame = at_now.frame
    rfm = rfm_scores(
        frame["recency_days"].to_numpy(dtype=np.float64, na_value=np.nan),
        frame["orders_total"].to_numpy(dtype=np.float64),
        frame["spend_total"].to_numpy(dtype=np.float64),
    )
    lap("rfm")
    report("clusters", 0.55)
    labels, profiles = cluster_customers(
        frame.loc[customers, list(CLUSTER_FEATURES)], k_range=settings.k_range, seed=settings.seed
    )
    cluster = np.full(len(frame), -1, dtype=np.int64)
    cluster[customers] = labels if profiles else -1
    lap("clusters")

    # Scores and reasons at T (millions of small dicts: the cyclic GC is paused meanwhile).
    with gc_paused():
        report("scores", 0.7)
        scored = frame[customers]
        logit, churn_reasons_scored = apply_card(churn_card, scored, at_now.specs)
        churn_probability = np.full(len(frame), np.nan)
        churn_probability[customers] = sigmoid(logit)
        lap("churn scores")
        report("scores", 0.85)
        value_pred, value_reasons_scored = apply_card(value_card, scored, at_now.specs)
        predicted_value = np.zeros(len(frame))
        predicted_value[customers] = np.maximum(value_pred, 0.0)
        lap("value scores")

        positions = np.flatnonzero(customers)
        churn_reasons: list[list[dict[str, Any]]] = [[] for _ in range(len(frame))]
        cold_reason = {"feature": "orders_total", "text": "no orders yet", "contribution": 0.0}
        value_reasons: list[list[dict[str, Any]]] = [[dict(cold_reason)] for _ in range(len(frame))]
        for i, churn_row, value_row in zip(positions.tolist(), churn_reasons_scored, value_reasons_scored, strict=True):
            churn_reasons[i] = churn_row
            value_reasons[i] = value_row
        del churn_reasons_scored, value_reasons_scored

        threshold = float(churn_card.metrics["threshold"])
        scores = pd.DataFrame(
            {
                "churn_probability": churn_probability,
                "risk_band": risk_bands(churn_probability, threshold),
                "predicted_value": predicted_value,
                "r_score": rfm.r.astype(np.int64),
                "f_score": rfm.f.astype(np.int64),
                "m_score": rfm.m.astype(np.int64),
                "rfm_segment": rfm.segment,
                "cluster": cluster,
                "churn_reasons": churn_reasons,
                "value_reasons": value_reasons,
            },
            index=data.contacts.index,
        )
    lap("assemble")
    descriptions = describe_features(at_now.specs)
    descriptions["rfm_scores"] = RFM_SCORE_RULE
    report("done", 1.0)
    return ScoringResult(
        scores=scores,
        value_model=value_card,
        churn_model=churn_card,
        clusters=profiles,
        rfm_rules=list(RFM_RULES),
        feature_descriptions=descriptions,
        cutoff=_moment(now_day),
        timings=timings,
        counts={
            "contacts": len(frame),
            "customers": n_customers,
            "orders": len(prepared.order_day),
            "interactions": len(prepared.interaction_day),
            "deals": len(prepared.deal_pos),
            "value_training_rows": int(value_card.metrics["rows_train"] + value_card.metrics["rows_holdout"]),
            "churn_training_rows": len(churned),
        },
    )
