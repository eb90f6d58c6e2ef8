"""Benchmark of the pure analytics core (analytics/pipeline.py): score_tenant on a synthetic
tenant built from the demo data plan (analytics/synthetic.py), no database.

    .venv/bin/python bench/analytics_core.py --contacts 1000000 [--baseline-contacts 50000]

Prints the sizes, the time of each stage, the total and the peak RSS of the process (which
includes the synthetic frames), then a naive baseline: per-contact pandas groupby-apply of the
RFM/order features on a slice, extrapolated linearly to the full size.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd

from analytics.data import AnalyticsSettings, CustomFeature
from analytics.pipeline import score_tenant
from analytics.synthetic import demo_tenant_data

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive_features(orders: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """What the core replaces: a Python function per contact."""

    def one(group: pd.DataFrame) -> pd.Series:
        counted = group[group["status"].isin(["paid", "pending"])]
        last = counted["ordered_at"].max()
        return pd.Series(
            {
                "recency_days": (now - last).days if len(counted) else np.nan,
                "orders_total": len(counted),
                "spend_total": counted["amount"].sum(),
                "spend_365": counted.loc[counted["ordered_at"] > now - pd.Timedelta(days=365), "amount"].sum(),
            }
        )

    return orders.groupby("contact_id").apply(one)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--baseline-contacts", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    started = time.perf_counter()
    data = demo_tenant_data(contacts=args.contacts, seed=args.seed, now=NOW)[0]  # drop the plan: not scored
    built = time.perf_counter() - started
    machine = platform.processor() or platform.machine()
    print(f"machine: {os.cpu_count()} CPUs, {machine}, Python {platform.python_version()}")
    print(
        f"synthetic tenant: {len(data.contacts):,} contacts, {len(data.orders):,} orders, "
        f"{len(data.interactions):,} interactions, {len(data.deals):,} deals; built in {built:.1f} s; "
        f"RSS so far {peak_rss_mib():,.0f} MiB"
    )
    settings = AnalyticsSettings(custom_features=(CustomFeature("cf_tier", "Tier", "choice"),), seed=args.seed)
    started = time.perf_counter()
    result = score_tenant(data, settings, now=NOW)
    total = time.perf_counter() - started
    for stage, seconds in result.timings.items():
        print(f"  {stage:<14} {seconds:7.2f} s")
    print(f"score_tenant: {total:.1f} s; peak RSS {peak_rss_mib():,.0f} MiB")
    value, churn = result.value_model.metrics, result.churn_model.metrics
    print(
        f"value: R2 {value['r2']:.3f}, MAE {value['mae']:.0f} vs naive {value['baseline_mae']:.0f} "
        f"({value['mae_vs_baseline']:.1%} better), mean {value['mean_mae']:.0f}"
    )
    print(
        f"churn: ROC AUC {churn['roc_auc']:.3f}, PR AUC {churn['pr_auc']:.3f}, Brier {churn['brier']:.4f} "
        f"vs base rate {churn['base_rate_brier']:.4f}; clusters k={result.clusters[0].k if result.clusters else 0}"
    )

    if args.baseline_contacts:
        ids = data.contacts.index[: args.baseline_contacts]
        orders = data.orders[data.orders["contact_id"].isin(ids)].copy()
        orders["status"] = orders["status"].astype(str)
        started = time.perf_counter()
        naive_features(orders, pd.Timestamp(NOW))
        seconds = time.perf_counter() - started
        scale = len(data.contacts) / args.baseline_contacts
        print(
            f"baseline: groupby-apply of 4 order features on {args.baseline_contacts:,} contacts "
            f"({len(orders):,} orders): {seconds:.1f} s, x{scale:.0f} = {seconds * scale:.0f} s at full size"
        )


if __name__ == "__main__":
    main()
