"""Shared pieces of the two linear models: standardising features, and applying a ``ModelCard``
to a feature frame in chunks (the linear predictor and the top reasons per row)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from analytics.data import ModelCard
from analytics.features import FeatureSpec, design_matrix
from analytics.reasons import top_reasons

CHUNK_ROWS = 200_000


def usable_features(frame: pd.DataFrame, candidates: Iterable[str]) -> list[str]:
    """Candidate columns that vary among the training rows (constant ones carry no signal)."""
    out = []
    for name in candidates:
        values = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
        finite = values[np.isfinite(values)]
        if len(finite) and finite.min() != finite.max():
            out.append(name)
    return out


def transforms_for(features: list[str], specs: dict[str, FeatureSpec], *, keep_money_raw: bool) -> dict[str, str]:
    return {
        name: "log1p" if specs[name].log and not (keep_money_raw and specs[name].money_like) else "raw"
        for name in features
    }


def matrix(frame: pd.DataFrame, features: list[str], transforms: dict[str, str]) -> np.ndarray:
    return design_matrix(frame, features, {name for name, t in transforms.items() if t == "log1p"})


def standardise_fit(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    means = np.nanmean(x, axis=0)
    scales = np.nanstd(x, axis=0)
    scales[~(scales > 0)] = 1.0
    return means, scales


def standardise(x: np.ndarray, means: np.ndarray, scales: np.ndarray) -> np.ndarray:
    z = (x - means) / scales
    z[~np.isfinite(z)] = 0.0  # a missing value counts as the average
    return z


def card_arrays(card: ModelCard) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    features = list(card.features)
    return (
        features,
        np.asarray([card.coefficients[f] for f in features]),
        np.asarray([card.means[f] for f in features]),
        np.asarray([card.scales[f] for f in features]),
    )


def apply_card(
    card: ModelCard, frame: pd.DataFrame, specs: dict[str, FeatureSpec], *, reasons: bool = True
) -> tuple[np.ndarray, list[list[dict[str, Any]]]]:
    """The linear predictor of every row of ``frame`` and, if asked, its top reasons; in chunks so
    a million rows never need a million-by-features float64 matrix at once."""
    features, coef, means, scales = card_arrays(card)
    predictor = np.empty(len(frame), dtype=np.float64)
    explained: list[list[dict[str, Any]]] = []
    for start in range(0, len(frame), CHUNK_ROWS):
        chunk = frame.iloc[start : start + CHUNK_ROWS]
        x = matrix(chunk, features, card.transforms)
        terms = standardise(x, means, scales) * coef
        predictor[start : start + len(chunk)] = card.intercept + terms.sum(axis=1)
        if reasons:
            raw = chunk[features].to_numpy(dtype=np.float64, na_value=np.nan)
            explained.extend(top_reasons(terms, raw, features, specs))
    return predictor, explained
