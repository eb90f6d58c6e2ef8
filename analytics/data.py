"""What the analytics core takes in and gives back: plain dataclasses around pandas frames.

No Django here (issue 6): the Django side extracts a tenant with COPY into a ``TenantData``,
calls ``analytics.pipeline.score_tenant`` and writes the ``ScoringResult`` back.

Conventions for the frames in ``TenantData``:

* every timestamp is timezone-aware UTC (``datetime64[*, UTC]``); naive timestamps are read as UTC;
* order amounts are already in the tenant's currency;
* an order *counts* (for recency, frequency and monetary value) when its status is ``paid`` or
  ``pending``; refunded and cancelled orders are ignored. The value model's target is *paid* spend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

CONTACT_COLUMNS = (
    "created_at",
    "lifecycle_stage",
    "email_consent",
    "sms_consent",
    "source",
    "account_employees",
    "account_industry",
)
ORDER_COLUMNS = ("contact_id", "ordered_at", "amount", "status")
INTERACTION_COLUMNS = ("contact_id", "occurred_at", "kind")
DEAL_COLUMNS = ("contact_id", "created_at", "stage_kind", "closed_at", "amount")
INTERACTION_KINDS = ("call", "email", "meeting", "note", "sms", "social", "task")
COUNTED_STATUSES = ("paid", "pending")
CUSTOM_FEATURE_KINDS = ("number", "choice", "boolean")


@dataclass(frozen=True)
class TenantData:
    """One tenant's customers as the Django side extracts them with COPY."""

    contacts: pd.DataFrame  # index contact_id; CONTACT_COLUMNS plus one "cf_<key>" column per chosen custom field
    orders: pd.DataFrame  # ORDER_COLUMNS; status paid / pending / refunded / cancelled
    interactions: pd.DataFrame  # INTERACTION_COLUMNS; kind one of INTERACTION_KINDS (others are ignored)
    deals: pd.DataFrame  # DEAL_COLUMNS; stage_kind open / won / lost, closed_at NaT while open


@dataclass(frozen=True)
class CustomFeature:
    """A custom field the tenant chose as a feature."""

    column: str  # "cf_<key>"
    label: str
    kind: str  # "number" (as it is) | "choice" (one-hot) | "boolean" (0/1)


@dataclass(frozen=True)
class AnalyticsSettings:
    value_horizon_days: int = 365  # predict spend over the next period
    churn_window_days: int = 180  # inactivity label: no order within this window
    churn_label: str = "inactivity"  # or "lifecycle" (lifecycle_stage == "churned") or "cf_<key>" (a yes/no field)
    custom_features: tuple[CustomFeature, ...] = ()
    k_range: tuple[int, int] = (3, 8)
    seed: int = 42


class NotEnoughData(Exception):
    """The data cannot support a model; the message says exactly what is missing."""


@dataclass(frozen=True)
class ModelCard:
    """A fitted linear model (on standardised features) and its holdout metrics.

    ``coefficients`` are per standardised feature: ``z = (x - means[f]) / scales[f]`` where x is
    the feature after ``transforms[f]`` ("log1p" or "raw"). The linear predictor is
    ``intercept + sum(coefficients[f] * z_f)`` (the churn model's is a logit).
    """

    kind: str  # "value" | "churn"
    features: tuple[str, ...]
    coefficients: dict[str, float]
    intercept: float
    means: dict[str, float]
    scales: dict[str, float]
    transforms: dict[str, str]
    metrics: dict[str, Any]
    horizon_days: int  # value: the prediction horizon; churn: the inactivity window
    train_cutoff: datetime  # where the training features were taken
    label: str  # what the model predicts, in words
    estimator: str  # e.g. "Ridge(alpha=1.0)"
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ClusterProfile:
    number: int
    name: str  # from the dominant traits, e.g. "Frequent high spenders"
    size: int
    means: dict[str, float]  # mean of each clustering feature, in its own units
    silhouette: float  # of the chosen k (the same for every cluster of a run)
    k: int
    traits: dict[str, float] = field(default_factory=dict)  # standardised centre per feature (z-scores)
