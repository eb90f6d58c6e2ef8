"""The top reasons behind each score, in words, with signed contributions.

A linear model's score is ``intercept + sum(coefficient x standardised feature)``, so each term
is how far that feature moves this customer's score away from an average customer's: for the
churn model in log-odds (positive raises the risk), for the value model in currency (positive
raises the predicted value). The three terms largest in size become the reasons, worded from the
feature's raw value, e.g. ``{"feature": "recency_days", "text": "no order in 210 days",
"contribution": 0.31}`` (``format_reason`` gives "no order in 210 days +0.31").

Everything is vectorised: the top three per row come from ``argpartition``, and each feature's
wording is formatted once per distinct (rounded) value, not once per row.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from analytics.features import FeatureSpec

TOP_REASONS = 3


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small acyclic dicts are made; otherwise
    it rescans the growing heap again and again (measured: several times slower at a million rows)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _number(value: float, spec: FeatureSpec) -> str:
    if spec.money or spec.decimals == 0:
        return f"{value:,.0f}"
    text = f"{value:,.{spec.decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _word(value: float, spec: FeatureSpec) -> str:
    if not np.isfinite(value):
        return spec.missing
    if value == 0 and spec.zero is not None:
        return spec.zero
    template = spec.text
    if value < 0 and spec.negative is not None:
        template, value = spec.negative, -value
    plural = "" if value == 1 else "s"
    return template.format(v=_number(value, spec), s=plural)


def describe_values(values: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """The wording of each value of one feature (object array of str), formatted per distinct value."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return np.empty(0, dtype=object)
    rounded = np.round(values, 0 if spec.money else spec.decimals)
    finite = np.isfinite(rounded)
    out = np.full(len(values), spec.missing, dtype=object)
    if finite.any():
        uniques, inverse = np.unique(rounded[finite], return_inverse=True)
        words = np.asarray([_word(float(u), spec) for u in uniques], dtype=object)
        out[finite] = words[inverse]
    return out


def top_reasons(
    contributions: np.ndarray,
    raw_values: np.ndarray,
    features: list[str],
    specs: dict[str, FeatureSpec],
    *,
    top: int = TOP_REASONS,
) -> list[list[dict[str, Any]]]:
    """For each row, the ``top`` features with the largest |contribution|, largest first, as
    ``{"feature", "text", "contribution"}`` dicts. ``raw_values`` holds the features' raw values
    (same shape as ``contributions``) for the wording."""
    n, p = contributions.shape
    if n == 0:
        return []
    top = min(top, p)
    if top == 0:
        return [[] for _ in range(n)]
    size = np.abs(np.nan_to_num(contributions))
    candidates = np.argpartition(-size, top - 1, axis=1)[:, :top] if top < p else np.tile(np.arange(p), (n, 1))
    candidate_size = np.take_along_axis(size, candidates, axis=1)
    order = np.argsort(-candidate_size, axis=1, kind="stable")
    chosen = np.take_along_axis(candidates, order, axis=1)  # n x top feature indexes
    picked = np.take_along_axis(contributions, chosen, axis=1).round(3)
    values = np.take_along_axis(raw_values, chosen, axis=1)

    flat_feature = chosen.ravel()
    flat_values = values.ravel()
    texts = np.empty(len(flat_feature), dtype=object)
    sort = np.argsort(flat_feature, kind="stable")
    bounds = np.searchsorted(flat_feature[sort], np.arange(p + 1))
    for j in range(p):
        rows = sort[bounds[j] : bounds[j + 1]]
        if len(rows):
            texts[rows] = describe_values(flat_values[rows], specs[features[j]])
    names = np.asarray(features, dtype=object)[flat_feature].reshape(n, top).tolist()
    words = texts.reshape(n, top).tolist()
    amounts = picked.tolist()
    return [
        [
            {"feature": feature, "text": text, "contribution": amount}
            for feature, text, amount in zip(row_features, row_texts, row_amounts, strict=True)
        ]
        for row_features, row_texts, row_amounts in zip(names, words, amounts, strict=True)
    ]


def format_reason(reason: dict[str, Any]) -> str:
    """'no order in 210 days +0.31'"""
    return f"{reason['text']} {float(reason['contribution']):+.2f}"
