"""k-means segments of customers with orders, on standardised features; k chosen by silhouette.

For speed at a million customers each k in the range is fitted with KMeans on a random sample
(at most ``FIT_SAMPLE`` rows) and scored by silhouette on a smaller sample (``SILHOUETTE_SAMPLE``,
silhouette is quadratic); the best k is then applied to every customer. Each cluster is profiled
(size, mean of each feature in its own units, standardised centre) and named from its dominant
traits, e.g. "Frequent high spenders" or "Lapsed low spenders".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from analytics.data import ClusterProfile

FIT_SAMPLE = 20_000
SILHOUETTE_SAMPLE = 3_000
TRAIT_THRESHOLD = 0.5  # |z| of a cluster centre above which a trait names the cluster

# feature -> (transform, word when high, word when low); the order is the naming priority.
CLUSTER_FEATURES: dict[str, tuple[str, str, str]] = {
    "recency_days": ("log1p", "lapsed", "recent"),
    "orders_total": ("log1p", "frequent", "occasional"),
    "spend_total": ("log1p", "high spenders", "low spenders"),
    "avg_order_value": ("log1p", "big-basket", "small-basket"),
    "tenure_days": ("log1p", "long-standing", "new"),
    "interactions_90d": ("log1p", "engaged", "quiet"),
    "order_trend": ("raw", "growing", "declining"),
}
_NOUNS = {"spend_total"}


def cluster_matrix(frame: pd.DataFrame) -> np.ndarray:
    columns = []
    for name, (transform, _, _) in CLUSTER_FEATURES.items():
        values = np.nan_to_num(frame[name].to_numpy(dtype=np.float64, na_value=np.nan))
        columns.append(np.sign(values) * np.log1p(np.abs(values)) if transform == "log1p" else values)
    return np.column_stack(columns)


def _name(z: dict[str, float]) -> str:
    adjectives = [
        (abs(value), CLUSTER_FEATURES[name][1] if value > 0 else CLUSTER_FEATURES[name][2])
        for name, value in z.items()
        if name not in _NOUNS and abs(value) >= TRAIT_THRESHOLD
    ]
    adjectives.sort(key=lambda item: -item[0])
    spend = z.get("spend_total", 0.0)
    noun = "customers"
    if abs(spend) >= TRAIT_THRESHOLD:
        noun = CLUSTER_FEATURES["spend_total"][1] if spend > 0 else CLUSTER_FEATURES["spend_total"][2]
    words = [word for _, word in adjectives[:2]]
    if not words and noun == "customers":
        words = ["typical"]
    text = " ".join([*words, noun])
    return text[0].upper() + text[1:]


def cluster_customers(
    frame: pd.DataFrame, *, k_range: tuple[int, int], seed: int
) -> tuple[np.ndarray, list[ClusterProfile]]:
    """Cluster the rows of ``frame`` (customers with orders); returns labels 0..k-1 and profiles."""
    x = cluster_matrix(frame)
    n = len(x)
    low, high = sorted(k_range)
    low = max(2, low)
    high = min(high, n - 1)
    if n < 3 or high < low:
        return np.zeros(n, dtype=np.int64), []
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    z = (x - means) / scales
    rng = np.random.default_rng(seed)
    fit_rows = rng.choice(n, FIT_SAMPLE, replace=False) if n > FIT_SAMPLE else np.arange(n)
    sil_rows = rng.choice(n, SILHOUETTE_SAMPLE, replace=False) if n > SILHOUETTE_SAMPLE else np.arange(n)
    best: tuple[float, int, KMeans] | None = None
    for k in range(low, high + 1):
        model = KMeans(n_clusters=k, random_state=seed, n_init=2, max_iter=100, tol=1e-3)
        model.fit(z[fit_rows])
        labels = model.predict(z[sil_rows])
        if len(np.unique(labels)) < 2:
            continue
        score = float(silhouette_score(z[sil_rows], labels, random_state=seed))
        if best is None or score > best[0] + 1e-9:
            best = (score, k, model)
    if best is None:
        return np.zeros(n, dtype=np.int64), []
    silhouette, k, model = best
    labels = model.predict(z).astype(np.int64)
    # Number clusters by size (largest first) so numbers are stable across equal runs.
    sizes = np.bincount(labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    renumber = np.empty(k, dtype=np.int64)
    renumber[order] = np.arange(k)
    labels = renumber[labels]
    names = list(CLUSTER_FEATURES)
    raw = frame[names].to_numpy(dtype=np.float64, na_value=np.nan)
    sums = np.zeros((k, len(names)))
    for j in range(len(names)):
        sums[:, j] = np.bincount(labels, weights=np.nan_to_num(raw[:, j]), minlength=k)
    zsums = np.zeros((k, len(names)))
    for j in range(len(names)):
        zsums[:, j] = np.bincount(labels, weights=z[:, j], minlength=k)
    counts = np.bincount(labels, minlength=k)
    profiles: list[ClusterProfile] = []
    used: dict[str, int] = {}
    for c in range(k):
        size = int(counts[c])
        mean = {name: float(sums[c, j] / max(size, 1)) for j, name in enumerate(names)}
        traits = {name: float(zsums[c, j] / max(size, 1)) for j, name in enumerate(names)}
        name = _name(traits)
        used[name] = used.get(name, 0) + 1
        if used[name] > 1:
            name = f"{name} ({used[name]})"
        profiles.append(
            ClusterProfile(number=c, name=name, size=size, means=mean, silhouette=silhouette, k=k, traits=traits)
        )
    return labels, profiles
