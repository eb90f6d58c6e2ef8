"""Synthetic tenants for tests and the benchmark, without a database.

``demo_tenant_data`` expands the demo data plan (customers/demo/generate.py, pure numpy) into a
``TenantData`` the way customers/demo/load.py expands it in SQL: the same per-contact order and
interaction parameters, so the same planted signal (value from company size, industry and tier;
churn from consent, the "discount" source, value and engagement), drawn with numpy instead of
``hashint8extended``. Row-for-row equality with the database is not the point; the distribution is.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from analytics.data import INTERACTION_KINDS, TenantData
from customers.demo import generate

AMOUNT_SIGMA = generate.AMOUNT_SIGMA
KIND_WEIGHTS = (0.25, 0.30, 0.12, 0.15, 0.06, 0.04, 0.08)  # call, email, meeting, note, sms, social, task


def _times(now: datetime, days_ago: np.ndarray) -> pd.Series:
    base = pd.Timestamp(now).tz_convert("UTC") if pd.Timestamp(now).tzinfo else pd.Timestamp(now, tz="UTC")
    ns = (np.asarray(days_ago, dtype=np.float64) * 86_400e9).astype(np.int64)
    return pd.Series(pd.DatetimeIndex(base.value - ns, tz="UTC").as_unit("ns"))


def demo_tenant_data(
    *, contacts: int, seed: int = 42, now: datetime, profile: generate.TenantProfile = generate.ACME
) -> tuple[TenantData, generate.TenantPlan]:
    """The demo plan for ``contacts`` contacts, expanded into frames; also the plan (hidden truth)."""
    plan = generate.plan_tenant(profile, contacts=contacts, seed=seed, sales_reps=5)
    c = plan.contacts
    a = plan.accounts
    rng = np.random.default_rng(np.random.SeedSequence([seed, 6]))
    n = len(c)
    ids = np.arange(1, n + 1, dtype=np.int64)

    account = np.asarray(c.account)
    has_account = account >= 0
    employees = np.where(has_account, np.asarray(a.employees, dtype=np.float64)[np.maximum(account, 0)], np.nan)
    industry = np.where(has_account, np.asarray(a.industry, dtype=object)[np.maximum(account, 0)], "")
    contact_frame = pd.DataFrame(
        {
            "created_at": _times(now, c.created_days_ago).to_numpy(),
            "lifecycle_stage": pd.Categorical(c.lifecycle_stage),
            "email_consent": np.asarray(c.email_consent, dtype=bool),
            "sms_consent": np.asarray(c.sms_consent, dtype=bool),
            "source": pd.Categorical(c.source),
            "account_employees": employees.astype(np.float32),
            "account_industry": pd.Categorical(industry),
            "cf_tier": pd.Categorical(c.tier),
        },
        index=pd.Index(ids, name="contact_id"),
    )
    contact_frame["created_at"] = (
        contact_frame["created_at"].dt.tz_localize("UTC")
        if (contact_frame["created_at"].dt.tz is None)
        else contact_frame["created_at"]
    )

    # Orders (ORDERS_SQL in customers/demo/load.py).
    n_orders = np.asarray(c.n_orders, dtype=np.int64)
    owner = np.repeat(np.arange(n), n_orders)
    m = len(owner)
    u1, u4, u5 = rng.random(m), rng.random(m), rng.random(m)
    to = np.asarray(c.orders_to_days_ago)[owner]
    frm = np.asarray(c.orders_from_days_ago)[owner]
    decline = np.asarray(c.decline_days)[owner]
    stable = u1 < np.asarray(c.stable_share)[owner]
    ago = np.where(stable, to + decline + (frm - to - decline) * u5, to + decline * np.sqrt(u5))
    amount = np.maximum(
        np.round(np.exp(np.asarray(c.amount_mu)[owner] + AMOUNT_SIGMA * rng.standard_normal(m)), 2), 1.0
    )
    status = np.where(u4 < 0.025, 1, np.where(u4 < 0.045, 2, np.where((ago < 3) & (u4 > 0.4), 3, 0))).astype(np.int8)
    orders = pd.DataFrame(
        {
            "contact_id": ids[owner],
            "ordered_at": _times(now, ago),
            "amount": amount,
            "status": pd.Categorical.from_codes(status, ["paid", "refunded", "cancelled", "pending"]),
        }
    )
    del owner, u1, u4, u5, to, frm, decline, stable, ago, amount, status

    # Interactions (INTERACTIONS_SQL).
    n_inter = np.asarray(c.n_interactions, dtype=np.int64)
    owner = np.repeat(np.arange(n), n_inter)
    k = len(owner)
    lo = np.asarray(c.interactions_to_days_ago)[owner]
    hi = np.asarray(c.interactions_from_days_ago)[owner]
    weights = np.asarray(KIND_WEIGHTS) / sum(KIND_WEIGHTS)
    interactions = pd.DataFrame(
        {
            "contact_id": ids[owner],
            "occurred_at": _times(now, lo + (hi - lo) * rng.random(k)),
            "kind": pd.Categorical.from_codes(rng.choice(len(INTERACTION_KINDS), size=k, p=weights), INTERACTION_KINDS),
        }
    )

    # A small board of deals on contacts with an account (customers/demo/deals.py: at most 240).
    count = min(240, max(1, n // 10))
    with_account = np.flatnonzero(has_account)
    picked = rng.choice(with_account, size=min(count, len(with_account)), replace=False)
    kind_draw = rng.random(len(picked))
    kind = np.where(kind_draw < 1 / 6, "won", np.where(kind_draw < 2 / 6, "lost", "open"))
    created_ago = rng.uniform(5, 200, len(picked))
    closed_ago = np.where(kind == "open", np.nan, rng.uniform(0, 30, len(picked)))
    closed_ago = np.minimum(closed_ago, created_ago)
    closed = _times(now, np.nan_to_num(closed_ago))
    closed[np.isnan(closed_ago)] = pd.NaT
    deals = pd.DataFrame(
        {
            "contact_id": ids[picked],
            "created_at": _times(now, created_ago),
            "stage_kind": kind,
            "closed_at": closed,
            "amount": np.round(rng.lognormal(np.log(5000), 0.8, len(picked)), 2),
        }
    )
    return TenantData(contacts=contact_frame, orders=orders, interactions=interactions, deals=deals), plan
