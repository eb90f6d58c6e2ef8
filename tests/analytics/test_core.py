"""The pure analytics core (analytics/*, no Django, no database) on small frames where the right
answer is known: RFM by hand, exact features, coefficient signs, reason wording, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics.churn_model import fit_churn_model
from analytics.clusters import cluster_customers
from analytics.data import AnalyticsSettings, CustomFeature, NotEnoughData, TenantData
from analytics.features import FeatureSpec, day_number, features_at, prepare
from analytics.pipeline import ScoringResult, score_tenant
from analytics.reasons import format_reason, top_reasons
from analytics.rfm import RFM_RULES, SEGMENT_GRID, SEGMENTS, quintile_scores, rfm_scores, segments
from analytics.synthetic import demo_tenant_data
from analytics.value_model import fit_value_model

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


def tenant(
    order_days: dict[int, list[float]],
    *,
    contacts: int | None = None,
    stage: dict[int, str] | None = None,
    extra: dict[str, list[object]] | None = None,
    amount: float = 100.0,
) -> TenantData:
    """Contacts 1..n; ``order_days[contact]`` = days before NOW of its paid orders."""
    n = contacts or max(order_days, default=0)
    ids = pd.Index(np.arange(1, n + 1), name="contact_id")
    frame = pd.DataFrame(
        {
            "created_at": pd.Series([NOW - timedelta(days=1500)] * n, index=ids),
            "lifecycle_stage": [(stage or {}).get(i, "customer") for i in ids],
            "email_consent": True,
            "sms_consent": False,
            "source": "website",
            "account_employees": np.nan,
            "account_industry": "",
            **(extra or {}),
        },
        index=ids,
    )
    rows = [(c, NOW - timedelta(days=d)) for c, days in order_days.items() for d in days]
    orders = pd.DataFrame(
        {
            "contact_id": [c for c, _ in rows],
            "ordered_at": pd.to_datetime([t for _, t in rows], utc=True),
            "amount": amount,
            "status": "paid",
        }
    )
    empty_times = pd.Series([], dtype="datetime64[ns, UTC]")
    return TenantData(
        contacts=frame,
        orders=orders,
        interactions=pd.DataFrame({"contact_id": [], "occurred_at": empty_times, "kind": []}),
        deals=pd.DataFrame(
            {"contact_id": [], "created_at": empty_times, "stage_kind": [], "closed_at": empty_times, "amount": []}
        ),
    )


# --- RFM ------------------------------------------------------------------------------


def test_quintile_scores_by_hand_with_ties_and_any_row_order() -> None:
    assert quintile_scores(np.array([10, 20, 30, 40, 50])).tolist() == [1, 2, 3, 4, 5]
    assert quintile_scores(np.array([10, 20, 30, 40, 50]), higher_is_better=False).tolist() == [5, 4, 3, 2, 1]
    values = np.array([1, 1, 1, 1, 5, 6, 7, 8, 9, 10])
    expected = [1, 1, 1, 1, 3, 3, 4, 4, 5, 5]  # 1 + floor(5 x strictly-worse / 10); ties share the score
    assert quintile_scores(values).tolist() == expected
    shuffle = np.random.default_rng(3).permutation(10)
    assert quintile_scores(values[shuffle]).tolist() == np.asarray(expected)[shuffle].tolist()


def test_rfm_scores_and_segments_by_hand() -> None:
    recency = np.array([1.0, 2, 3, 4, 5, np.nan])  # contact 6 has no orders
    frequency = np.array([10.0, 8, 6, 4, 2, 0])
    monetary = np.array([500.0, 400, 300, 200, 100, 0])
    scores = rfm_scores(recency, frequency, monetary)
    assert scores.r.tolist() == [5, 4, 3, 2, 1, 0]
    assert scores.f.tolist() == [5, 4, 3, 2, 1, 0]
    assert scores.m.tolist() == [5, 4, 3, 2, 1, 0]
    assert scores.segment.tolist() == ["Champions", "Loyal", "Need attention", "Hibernating", "Lost", ""]


def test_segment_rules() -> None:
    r = np.array([5, 1, 5, 4, 2, 3])
    f = np.array([1, 5, 4, 1, 3, 2])
    m = np.array([1, 5, 4, 1, 4, 1])
    # FM = floor((F + M + 1) / 2): 1, 5, 4, 1, 4, 2
    assert segments(r, f, m).tolist() == [
        "New",
        "Cannot lose them",
        "Champions",
        "Promising",
        "At risk",
        "About to sleep",
    ]
    assert {name for row in SEGMENT_GRID for name in row} == set(SEGMENTS)
    assert [name for name, _ in RFM_RULES] == list(SEGMENTS)


# --- Features ---------------------------------------------------------------------------


def test_features_on_a_tiny_frame_are_exact() -> None:
    data = tenant({1: [10, 40, 400], 2: []}, contacts=3)
    late = pd.DataFrame(  # a refund and an order after the cutoff do not count
        {
            "contact_id": [1, 1],
            "ordered_at": pd.to_datetime([NOW - timedelta(days=5), NOW + timedelta(days=1)], utc=True),
            "amount": [999.0, 999.0],
            "status": ["refunded", "paid"],
        }
    )
    interactions = pd.DataFrame(
        {
            "contact_id": [1, 1, 3],
            "occurred_at": pd.to_datetime([NOW - timedelta(days=d) for d in (5, 60, 200)], utc=True),
            "kind": ["call", "call", "email"],
        }
    )
    data = TenantData(
        contacts=data.contacts,
        orders=pd.concat([data.orders, late], ignore_index=True),
        interactions=interactions,
        deals=data.deals,
    )
    features = features_at(prepare(data), day_number(NOW))
    row = features.frame.loc[1]
    assert row["recency_days"] == pytest.approx(10, abs=1e-3)
    assert row["orders_total"] == 3
    assert row["spend_total"] == 300
    assert row["avg_order_value"] == 100
    assert row["orders_365"] == 2
    assert row["spend_365"] == 200
    assert row["orders_90"] == 2
    assert row["order_trend"] == 2  # two in the last 90 days, none in the 90 before
    assert row["call_30d"] == 1
    assert row["call_90d"] == 2
    assert row["interactions_90d"] == 2
    assert features.frame.loc[3, "email_365d"] == 1
    assert features.frame.loc[3, "email_90d"] == 0
    assert np.isnan(features.frame.loc[2, "recency_days"])
    assert features.frame.loc[2, "orders_total"] == 0
    assert features.has_orders.tolist() == [True, False, False]
    earlier = features_at(prepare(data), day_number(NOW - timedelta(days=30)))
    assert earlier.frame.loc[1, "recency_days"] == pytest.approx(10, abs=1e-3)  # the order 40 days ago
    assert earlier.frame.loc[1, "orders_total"] == 2


# --- Models -----------------------------------------------------------------------------


def _specs(*names: str) -> dict[str, FeatureSpec]:
    return {name: FeatureSpec(name, name, f"{name} {{v}}") for name in names}


def test_value_model_recovers_a_planted_positive_coefficient() -> None:
    rng = np.random.default_rng(1)
    n = 2000
    frame = pd.DataFrame({"planted": rng.normal(0, 1, n), "noise": rng.normal(0, 1, n)})
    target = np.maximum(500 + 200 * frame["planted"].to_numpy() + rng.normal(0, 50, n), 0)
    card = fit_value_model(
        frame,
        target,
        naive=target + rng.normal(0, 300, n),
        candidates=["planted", "noise"],
        specs=_specs("planted", "noise"),
        horizon_days=365,
        train_cutoff=NOW,
        seed=0,
    )
    assert card.coefficients["planted"] > 150
    assert abs(card.coefficients["noise"]) < 20
    assert card.metrics["r2"] > 0.8
    assert card.metrics["mae"] < card.metrics["baseline_mae"]


def test_churn_model_finds_the_planted_sign_and_is_calibrated() -> None:
    rng = np.random.default_rng(2)
    n = 4000
    frame = pd.DataFrame({"risky": rng.normal(0, 1, n), "loyal": rng.normal(0, 1, n), "noise": rng.normal(0, 1, n)})
    logit = -1.5 + 2.0 * frame["risky"] - 1.5 * frame["loyal"]
    y = rng.random(n) < 1 / (1 + np.exp(-logit.to_numpy()))
    card = fit_churn_model(
        frame,
        y,
        candidates=["risky", "loyal", "noise"],
        specs=_specs("risky", "loyal", "noise"),
        window_days=180,
        train_cutoff=NOW,
        label="planted",
        seed=0,
    )
    assert card.coefficients["risky"] > 0.5
    assert card.coefficients["loyal"] < -0.5
    assert card.metrics["roc_auc"] > 0.8
    assert card.metrics["brier"] < card.metrics["base_rate_brier"]
    confusion = card.metrics["confusion"]
    assert sum(confusion.values()) == card.metrics["rows_holdout"]
    assert sum(row["count"] for row in card.metrics["calibration"]) == card.metrics["rows_holdout"]


def test_reasons_wording_and_sign() -> None:
    from analytics.features import EVENT_SPECS

    specs = {
        **EVENT_SPECS,
        "email_consent": FeatureSpec("email_consent", "", "email consent given", zero="no email consent"),
    }
    contributions = np.array([[0.31, -0.05, 0.1], [-0.2, 0.0, 0.0]])
    raw = np.array([[210.0, 1, 0], [3, 12, 1]])
    reasons = top_reasons(contributions, raw, ["recency_days", "orders_total", "email_consent"], specs)
    assert [format_reason(r) for r in reasons[0]] == [
        "no order in 210 days +0.31",
        "no email consent +0.10",
        "1 order in total -0.05",
    ]
    assert reasons[0][0] == {"feature": "recency_days", "text": "no order in 210 days", "contribution": 0.31}
    assert reasons[1][0]["text"] == "no order in 3 days" and reasons[1][0]["contribution"] == -0.2


def test_clusters_are_named_from_their_traits() -> None:
    rng = np.random.default_rng(4)
    n = 600
    frequent = np.arange(n) < n // 2
    frame = pd.DataFrame(
        {
            "recency_days": np.where(frequent, 5, 300) + rng.normal(0, 1, n).clip(-3, 3),
            "orders_total": np.where(frequent, 40, 1.0),
            "spend_total": np.where(frequent, 8000, 50.0),
            "avg_order_value": 100.0,
            "tenure_days": 700.0,
            "interactions_90d": 0.0,
            "order_trend": 0.0,
        }
    )
    labels, profiles = cluster_customers(frame, k_range=(2, 3), seed=0)
    assert len(set(labels[frequent])) == 1 and len(set(labels[~frequent])) == 1
    names = {p.name for p in profiles}
    assert any("Frequent" in name and "high spenders" in name for name in names), names
    assert sum(p.size for p in profiles) == n


# --- The whole pipeline on the demo plan ------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> tuple[TenantData, ScoringResult, list[tuple[str, float]]]:
    data, _ = demo_tenant_data(contacts=5000, seed=7, now=NOW)
    calls: list[tuple[str, float]] = []
    settings = AnalyticsSettings(custom_features=(CustomFeature("cf_tier", "Tier", "choice"),), k_range=(3, 4))
    result = score_tenant(data, settings, now=NOW, progress=lambda stage, fraction: calls.append((stage, fraction)))
    return data, result, calls


def test_pipeline_scores_every_contact(demo: tuple[TenantData, ScoringResult, list[tuple[str, float]]]) -> None:
    data, result, calls = demo
    scores = result.scores
    assert scores.index.equals(data.contacts.index)
    assert (scores["predicted_value"] >= 0).all()
    customers = scores["r_score"] > 0
    assert scores.loc[customers, "churn_probability"].between(0, 1).all()
    assert scores.loc[~customers, "churn_probability"].isna().all()
    assert set(scores.loc[customers, "risk_band"]) <= {"low", "medium", "high"}
    assert (scores.loc[~customers, "rfm_segment"] == "").all() and (scores.loc[~customers, "cluster"] == -1).all()
    assert all(len(reasons) == 3 for reasons in scores.loc[customers, "churn_reasons"])
    assert scores.loc[~customers, "predicted_value"].eq(0).all()
    assert [fraction for _, fraction in calls] == sorted(fraction for _, fraction in calls)
    assert calls[-1] == ("done", 1.0)


def test_pipeline_finds_the_planted_signal(demo: tuple[TenantData, ScoringResult, list[tuple[str, float]]]) -> None:
    _, result, _ = demo
    churn, value = result.churn_model, result.value_model
    assert churn.metrics["brier"] < churn.metrics["base_rate_brier"]
    assert churn.metrics["roc_auc"] > 0.75
    assert churn.coefficients["email_consent"] < 0  # no consent raises churn in the plan
    assert churn.coefficients["recency_days"] > 0
    assert value.metrics["mae"] < value.metrics["baseline_mae"]
    assert value.metrics["mae"] < value.metrics["mean_mae"]
    assert value.coefficients["cf_tier=gold"] > 0 > value.coefficients["cf_tier=bronze"]
    assert result.clusters and sum(c.size for c in result.clusters) == int((result.scores["cluster"] >= 0).sum())


# --- Bad input --------------------------------------------------------------------------


def _active(n: int, churned: int = 0) -> dict[int, list[float]]:
    """n customers ordering every 20 to 59 days for two years; the first ``churned`` stopped 300 days ago."""
    regular = {i: [float(d) for d in range(1 + i % 7, 730, 20 + i % 40)] for i in range(1, n + 1)}
    return {i: [d for d in days if d > 300] if i <= churned else days for i, days in regular.items()}


@pytest.mark.parametrize(
    ("data", "settings", "message"),
    [
        (tenant({}, contacts=50), AnalyticsSettings(), "This tenant has no orders"),
        (tenant({1: [10]}), AnalyticsSettings(), "Only 1 customers have orders; the models need at least 200."),
        (tenant(_active(120)), AnalyticsSettings(), "Only 120 customers have orders; the models need at least 200."),
        (tenant(_active(300, churned=20)), AnalyticsSettings(), "Only 20 of 300 customers stopped ordering"),
        (tenant(_active(300, churned=300)), AnalyticsSettings(), "All 300 customers stopped ordering"),
        (tenant(_active(300)), AnalyticsSettings(), "None of the 300 customers stopped ordering"),
        (
            tenant(_active(300), stage={i: "churned" for i in range(1, 301)}),
            AnalyticsSettings(churn_label="lifecycle"),
            "All 300 customers are labelled churned",
        ),
        (
            tenant(_active(300, churned=60), extra={"cf_score": [None] * 250 + ["1"] * 50}),
            AnalyticsSettings(custom_features=(CustomFeature("cf_score", "Score", "number"),)),
            'The custom field "Score" is empty for 83% of the customers with orders',
        ),
        (
            tenant(_active(300, churned=60), extra={"cf_score": ["high"] * 150 + ["2"] * 150}),
            AnalyticsSettings(custom_features=(CustomFeature("cf_score", "Score", "number"),)),
            'The custom field "Score" is chosen as a number, but 150 of its 300 values are not numbers',
        ),
        (
            tenant(_active(300, churned=60), extra={"cf_note": [f"note {i}" for i in range(300)]}),
            AnalyticsSettings(custom_features=(CustomFeature("cf_note", "Note", "choice"),)),
            'The custom field "Note" has 300 different values; it looks like free text',
        ),
        (
            tenant(_active(300, churned=60), extra={"cf_note": ["x"] * 300}),
            AnalyticsSettings(custom_features=(CustomFeature("cf_note", "Note", "text"),)),
            'The custom field "Note" is a text field',
        ),
    ],
)
def test_not_enough_data_says_what_is_missing(data: TenantData, settings: AnalyticsSettings, message: str) -> None:
    with pytest.raises(NotEnoughData) as raised:
        score_tenant(data, settings, now=NOW)
    assert message in str(raised.value)


def test_a_small_clean_tenant_scores(tmp_path: object) -> None:
    """300 regular customers, 60 of whom stopped: enough for both models."""
    result = score_tenant(tenant(_active(300, churned=60)), AnalyticsSettings(k_range=(2, 3)), now=NOW)
    assert result.churn_model.metrics["positives"] == 60
    assert (result.scores["predicted_value"] >= 0).all()


def test_score_rows_for_the_database_carry_valid_json_reasons_even_with_a_nan() -> None:
    import csv
    import io
    import json
    from datetime import UTC, datetime

    from analytics.writeback import COLUMNS, _csv

    good = [{"feature": "recency_days", "text": "no order in 210 days", "contribution": 0.31}]
    bad = [{"feature": "frequency", "text": "3 orders", "contribution": float("nan")}, *good]
    scores = pd.DataFrame(
        {"churn_probability": [0.5, 0.2], "risk_band": ["high", "low"], "predicted_value": [10.0, 0.0],
         "r_score": [3, 0], "f_score": [2, 0], "m_score": [1, 0], "rfm_segment": ["Champions", ""],
         "cluster": [1, -1], "churn_reasons": [good, bad], "value_reasons": [[], None]},
        index=pd.Index([11, 12]),
    )  # fmt: skip
    text = _csv(scores, tenant_id=1, run_id=2, scored_at=datetime(2026, 1, 1, tzinfo=UTC))
    rows = list(csv.reader(io.StringIO(text)))
    reasons = [json.loads(row[COLUMNS.index("reasons")]) for row in rows]
    assert reasons[0] == {"churn": good, "value": []}
    assert reasons[1] == {"churn": good, "value": []}  # the NaN reason is dropped, None becomes no reasons
    assert rows[1][COLUMNS.index("r_score")] == "\\N" and rows[1][COLUMNS.index("cluster")] == "\\N"
