"""RFM: recency, frequency and monetary scores 1-5 by quintile, and eleven named segments.

Scores (customers with at least one order only; everyone else gets 0 and no segment):

* a customer's score is ``1 + floor(5 * worse / n)`` where ``worse`` is how many of the ``n``
  customers are strictly worse on that measure (a longer time since the last order for R,
  fewer orders for F, less spend for M). Equal values always get equal scores, the result does
  not depend on row order, and with distinct values each score holds a fifth of the customers.
  Many ties (for example lots of one-order customers) pull their whole group to the lower score.
* ``FM = floor((F + M + 1) / 2)``: the frequency and monetary scores averaged, halves rounded up.

The segment is read from the table ``SEGMENT_GRID`` by R (rows) and FM (columns); ``RFM_RULES``
states the same table in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.segments import SEGMENTS

# SEGMENT_GRID[R - 1][FM - 1]
SEGMENT_GRID = (
    ("Lost", "Lost", "At risk", "At risk", "Cannot lose them"),  # R = 1
    ("Hibernating", "Hibernating", "At risk", "At risk", "Cannot lose them"),  # R = 2
    ("About to sleep", "About to sleep", "Need attention", "Loyal", "Loyal"),  # R = 3
    ("Promising", "Potential loyalists", "Potential loyalists", "Loyal", "Champions"),  # R = 4
    ("New", "Potential loyalists", "Potential loyalists", "Champions", "Champions"),  # R = 5
)

RFM_RULES: list[tuple[str, str]] = [
    ("Champions", "R 5 and FM 4-5, or R 4 and FM 5: bought very recently, buy often and spend the most."),
    ("Loyal", "R 3-4 and FM 4-5 (except R 4, FM 5): buy often and spend well, not quite as recently."),
    ("Potential loyalists", "R 4-5 and FM 2-3: recent customers with average frequency and spend."),
    ("New", "R 5 and FM 1: bought very recently, but few orders and little spend so far."),
    ("Promising", "R 4 and FM 1: bought recently, few orders and little spend."),
    ("Need attention", "R 3 and FM 3: average on recency, frequency and spend."),
    ("About to sleep", "R 3 and FM 1-2: average recency, below-average frequency and spend."),
    ("At risk", "R 1-2 and FM 3-4: spent well and ordered often, but a long time ago."),
    ("Cannot lose them", "R 1-2 and FM 5: among the best customers by frequency and spend, but not seen for long."),
    ("Hibernating", "R 2 and FM 1-2: low recency, frequency and spend."),
    ("Lost", "R 1 and FM 1-2: the longest since an order, with few orders and little spend."),
]
RFM_SCORE_RULE = (
    "Scores 1-5 by quintile among customers with orders: 1 + floor(5 x share of customers strictly worse). "
    "R: fewer days since the last order is better; F: more orders; M: more spend. FM = (F + M) / 2, halves up."
)


def quintile_scores(values: np.ndarray, *, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1-5: ``1 + floor(5 * strictly_worse / n)``; equal values get equal scores."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n == 0:
        return np.empty(0, dtype=np.int8)
    ordered = np.sort(values)
    if higher_is_better:
        worse = np.searchsorted(ordered, values, side="left")
    else:
        worse = n - np.searchsorted(ordered, values, side="right")
    return (1 + (5 * worse) // n).astype(np.int8)


@dataclass(frozen=True)
class RfmScores:
    r: np.ndarray  # int8, 0 where no orders
    f: np.ndarray
    m: np.ndarray
    segment: np.ndarray  # object (str), "" where no orders


def rfm_scores(recency_days: np.ndarray, frequency: np.ndarray, monetary: np.ndarray) -> RfmScores:
    """R, F, M scores and segments; rows with no orders (frequency 0 or NaN recency) get 0 and ""."""
    recency = np.asarray(recency_days, dtype=np.float64)
    frequency = np.asarray(frequency, dtype=np.float64)
    monetary = np.asarray(monetary, dtype=np.float64)
    buyers = np.isfinite(recency) & (np.nan_to_num(frequency) > 0)
    n = len(recency)
    r = np.zeros(n, dtype=np.int8)
    f = np.zeros(n, dtype=np.int8)
    m = np.zeros(n, dtype=np.int8)
    r[buyers] = quintile_scores(recency[buyers], higher_is_better=False)
    f[buyers] = quintile_scores(frequency[buyers])
    m[buyers] = quintile_scores(np.nan_to_num(monetary[buyers]))
    return RfmScores(r=r, f=f, m=m, segment=segments(r, f, m))


def segments(r: np.ndarray, f: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Segment names from scores (vectorised lookup in SEGMENT_GRID); "" where any score is 0."""
    r = np.asarray(r, dtype=np.int64)
    fm = (np.asarray(f, dtype=np.int64) + np.asarray(m, dtype=np.int64) + 1) // 2
    grid = np.asarray(SEGMENT_GRID, dtype=object)
    valid = (r >= 1) & (fm >= 1) & (np.asarray(f) > 0) & (np.asarray(m) > 0)
    out = np.full(len(r), "", dtype=object)
    out[valid] = grid[r[valid] - 1, fm[valid] - 1]
    return out


def segment_sizes(segment: np.ndarray) -> dict[str, int]:
    counts = pd.Series(segment).value_counts()
    return {name: int(counts.get(name, 0)) for name in SEGMENTS}
