"""Churn: logistic regression on standardised features, with class weights, then recalibrated.

Labels (``AnalyticsSettings.churn_label``):

* ``inactivity`` (time split): rows = customers with an order at or before ``T - window``;
  churned = no order in ``(T - window, T]``; features at ``T - window`` from data before it.
* ``lifecycle`` or a yes/no custom field (a state, not an event): rows = customers with orders
  (and a known label); features at T; the holdout is stratified.

Fitting: ``class_weight="balanced"`` so the rarer class shapes the direction of the model, then
the linear predictor is recalibrated on the (unweighted) training rows with a one-feature logistic
regression (Platt scaling). Balanced weights alone inflate every probability towards 50%; the
recalibration undoes that, so probabilities mean what they say (the Brier score is reported next
to the base-rate forecast's). The result is still one logistic regression: the recalibration
rescales the coefficients and shifts the intercept, so reasons stay coefficient x standardised
feature.

The threshold for "high risk" maximises F1 on the training rows; the holdout reports ROC AUC,
PR AUC, Brier, the base-rate Brier, a calibration table and the confusion matrix at it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from analytics.data import ModelCard, NotEnoughData
from analytics.features import FeatureSpec
from analytics.linear import matrix, standardise, standardise_fit, transforms_for, usable_features

HOLDOUT_SHARE = 0.25
CALIBRATION_BINS = 10
C = 1.0


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict[str, Any]]:
    """Mean predicted vs observed churn per equal-width probability bin (empty bins left out)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    predicted = np.bincount(which, weights=p, minlength=bins)
    observed = np.bincount(which, weights=y.astype(np.float64), minlength=bins)
    return [
        {
            "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
            "predicted": float(predicted[b] / counts[b]),
            "observed": float(observed[b] / counts[b]),
            "count": int(counts[b]),
        }
        for b in range(bins)
        if counts[b]
    ]


def best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability cut that maximises F1 (vectorised over the sorted probabilities)."""
    order = np.argsort(-p, kind="stable")
    ys = y[order].astype(np.float64)
    tp = np.cumsum(ys)
    fp = np.cumsum(1 - ys)
    positives = ys.sum()
    f1 = 2 * tp / np.maximum(tp + fp + positives, 1)
    # Only cut between distinct probabilities.
    ps = p[order]
    distinct = np.r_[ps[1:] != ps[:-1], True]
    f1 = np.where(distinct, f1, -1)
    best = int(np.argmax(f1))
    return float(ps[best])


def confusion(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, int]:
    flagged = p >= threshold
    y = y.astype(bool)
    return {
        "tp": int((flagged & y).sum()),
        "fp": int((flagged & ~y).sum()),
        "tn": int((~flagged & ~y).sum()),
        "fn": int((~flagged & y).sum()),
    }


def fit_churn_model(
    frame: pd.DataFrame,
    y: np.ndarray,
    *,
    candidates: list[str],
    specs: dict[str, FeatureSpec],
    window_days: int,
    train_cutoff: datetime,
    label: str,
    seed: int,
) -> ModelCard:
    y = np.asarray(y, dtype=bool)
    rows = np.arange(len(frame))
    train, holdout = train_test_split(rows, test_size=HOLDOUT_SHARE, random_state=seed, stratify=y)
    features = usable_features(frame.iloc[train], candidates)
    if not features:
        raise NotEnoughData(
            "No feature varies between the customers (same orders, same attributes); nothing to learn from."
        )
    transforms = transforms_for(features, specs, keep_money_raw=False)
    x = matrix(frame, features, transforms)
    means, scales = standardise_fit(x[train])
    z = standardise(x, means, scales)
    del x
    weighted = LogisticRegression(C=C, class_weight="balanced", max_iter=500)
    weighted.fit(z[train], y[train])
    raw_logit = z @ weighted.coef_[0] + weighted.intercept_[0]
    platt = LogisticRegression(C=1e6, max_iter=200)
    platt.fit(raw_logit[train, None], y[train])
    slope, shift = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    coef = slope * weighted.coef_[0]
    intercept = slope * float(weighted.intercept_[0]) + shift
    p = sigmoid(z @ coef + intercept)
    threshold = best_threshold(y[train], p[train])
    base_rate = float(y[train].mean())
    yh, ph = y[holdout], p[holdout]
    metrics: dict[str, Any] = {
        "roc_auc": float(roc_auc_score(yh, ph)),
        "pr_auc": float(average_precision_score(yh, ph)),
        "brier": float(brier_score_loss(yh, ph)),
        "base_rate_brier": float(np.mean((yh - base_rate) ** 2)),
        "threshold": threshold,
        "confusion": confusion(yh, ph, threshold),
        "calibration": calibration_table(yh, ph),
        "base_rate": base_rate,
        "rows_train": len(train),
        "rows_holdout": len(holdout),
        "positives": int(y.sum()),
        "label": label,
        "risk_bands": {"medium": threshold / 2, "high": threshold},
        "platt": {"slope": slope, "intercept": shift},
    }
    return ModelCard(
        kind="churn",
        features=tuple(features),
        coefficients=dict(zip(features, (float(c) for c in coef), strict=True)),
        intercept=intercept,
        means=dict(zip(features, (float(m) for m in means), strict=True)),
        scales=dict(zip(features, (float(s) for s in scales), strict=True)),
        transforms=transforms,
        metrics=metrics,
        horizon_days=window_days,
        train_cutoff=train_cutoff,
        label=label,
        estimator=f'LogisticRegression(C={C}, class_weight="balanced") + Platt recalibration',
        notes=(
            f"{HOLDOUT_SHARE:.0%} of the rows held out (stratified by the label).",
            "High risk: probability at or above the F1-best threshold on the training rows; "
            "medium: at or above half of it; low: below.",
        ),
    )


def risk_bands(p: np.ndarray, threshold: float) -> np.ndarray:
    """'high' at or above the threshold, 'medium' at or above half of it, 'low' below, '' for NaN."""
    out = np.full(len(p), "", dtype=object)
    finite = np.isfinite(p)
    out[finite] = "low"
    out[finite & (p >= threshold / 2)] = "medium"
    out[finite & (p >= threshold)] = "high"
    return out
