"""Customer value: multiple linear regression (Ridge, a small penalty) on standardised features,
predicting paid spend over the next ``horizon`` days.

Time split: features at ``T - horizon`` from data before it, target = paid spend in
``(T - horizon, T]``, rows = customers with an order at ``T - horizon``. A random holdout of those
rows (``HOLDOUT_SHARE``) gives R², MAE and RMSE next to two baselines: the naive forecast (the
previous period's paid spend, ``(T - 2 horizon, T - horizon]``) and the training mean. The model
fitted on the training part is then applied to features at T. Predictions are clipped at 0.

Spend amounts (total, last 365 days, average order) stay on their own scale, since the target is
a spend; counts and days enter as log(1 + x).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

from analytics.data import ModelCard, NotEnoughData
from analytics.features import FeatureSpec
from analytics.linear import matrix, standardise, standardise_fit, transforms_for, usable_features

HOLDOUT_SHARE = 0.25
ALPHA = 1.0


def fit_value_model(
    frame: pd.DataFrame,
    target: np.ndarray,
    naive: np.ndarray,
    *,
    candidates: list[str],
    specs: dict[str, FeatureSpec],
    horizon_days: int,
    train_cutoff: datetime,
    seed: int,
) -> ModelCard:
    """Fit on ``frame`` (one row per training customer, features at the training cutoff)."""
    target = np.asarray(target, dtype=np.float64)
    naive = np.asarray(naive, dtype=np.float64)
    rows = np.arange(len(frame))
    train, holdout = train_test_split(rows, test_size=HOLDOUT_SHARE, random_state=seed)
    features = usable_features(frame.iloc[train], candidates)
    if not features:
        raise NotEnoughData(
            "No feature varies between the customers (same orders, same attributes); nothing to learn from."
        )
    transforms = transforms_for(features, specs, keep_money_raw=True)
    x = matrix(frame, features, transforms)
    means, scales = standardise_fit(x[train])
    z = standardise(x, means, scales)
    del x
    model = Ridge(alpha=ALPHA)
    model.fit(z[train], target[train])
    predicted = np.maximum(model.predict(z[holdout]), 0.0)
    actual = target[holdout]
    mean_forecast = np.full(len(holdout), float(target[train].mean()))
    mae = float(mean_absolute_error(actual, predicted))
    baseline_mae = float(mean_absolute_error(actual, naive[holdout]))
    metrics = {
        "r2": float(r2_score(actual, predicted)),
        "mae": mae,
        "rmse": float(np.sqrt(mean_squared_error(actual, predicted))),
        "baseline_mae": baseline_mae,
        "baseline_rmse": float(np.sqrt(mean_squared_error(actual, naive[holdout]))),
        "baseline_r2": float(r2_score(actual, naive[holdout])),
        "mean_mae": float(mean_absolute_error(actual, mean_forecast)),
        "mae_vs_baseline": (baseline_mae - mae) / baseline_mae if baseline_mae > 0 else 0.0,
        "rows_train": len(train),
        "rows_holdout": len(holdout),
        "target_mean": float(target.mean()),
        "target_description": f"paid spend in the {horizon_days} days after the training cutoff",
    }
    coefficients = dict(zip(features, (float(c) for c in model.coef_), strict=True))
    return ModelCard(
        kind="value",
        features=tuple(features),
        coefficients=coefficients,
        intercept=float(model.intercept_),
        means=dict(zip(features, (float(m) for m in means), strict=True)),
        scales=dict(zip(features, (float(s) for s in scales), strict=True)),
        transforms=transforms,
        metrics=metrics,
        horizon_days=horizon_days,
        train_cutoff=train_cutoff,
        label=f"Paid spend over the next {horizon_days} days",
        estimator=f"Ridge(alpha={ALPHA}) on standardised features",
        notes=(
            f"Trained on customers with an order at the training cutoff; {HOLDOUT_SHARE:.0%} held out at random.",
            "Naive baseline: the previous period's paid spend. Predictions below 0 are shown as 0.",
        ),
    )
